"""Append-only case records on PostgreSQL, whoever the client (issue 8, defect 6).

* TRUNCATE of any case or workflow table is refused (statement-level trigger) for every role but a superuser: the
  table owner that runs migrations included. A superuser is exempt because it is above any in-database control anyway
  (it can switch triggers off) and because Django's test runner empties tables with TRUNCATE as one.
* UPDATE of a timeline row (cases_caseevent) or of a PII reveal or look-up record is refused for everyone.
* DELETE, refused on cases, parties and timeline since 0007 (`cases_refuse_delete`), is refused on every workflow
  table: the same function, with a message that fits them all.

The application's role gets neither TRUNCATE nor those UPDATE/DELETE privileges at all (deploy/db_roles.sql); these
triggers hold even for the owner. A later data migration that must rewrite such rows drops and re-creates the
trigger in the same migration. SQLite (development) has no triggers: nothing runs there.
"""

from django.db import migrations

WORKFLOW = [
    "cases_dispute", "cases_party", "cases_caseevent", "cases_assignment", "cases_dutylog", "cases_referral",
    "cases_warning", "cases_visit", "cases_supervision", "cases_clockmark", "cases_extension", "cases_piireveal",
    "cases_piilookup", "cases_attachment",
]
NO_UPDATE = ["cases_caseevent", "cases_piireveal", "cases_piilookup"]
ALREADY_NO_DELETE = ["cases_dispute", "cases_party", "cases_caseevent"]  # 0007
NO_DELETE = [t for t in WORKFLOW if t not in ALREADY_NO_DELETE]

# The functions are created with params=None: the % in RAISE is a PL/pgSQL placeholder, not a Python one.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION cases_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '案件记录不得清空（TRUNCATE 表 %）：案件及其流转、督办、附件和查看记录只增不删', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cases_refuse_update() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '案件动态和个人信息查看记录只允许追加，禁止修改（表 %）', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION cases_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '案件记录不得删除（表 %）：案件及其流转、督办、附件和查看记录只增不删；撤回请以“当事人撤回”结案并写明理由',
        TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

# 0007's function, restored on the way back.
OLD_DELETE_FUNCTION = """
CREATE OR REPLACE FUNCTION cases_refuse_delete() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '案件记录不得删除（表 %）：撤回请以“当事人撤回”结案并写明理由', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def add_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS, params=None)
    for table in WORKFLOW:
        schema_editor.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION cases_refuse_truncate()")
    for table in NO_UPDATE:
        schema_editor.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION cases_refuse_update()")
    for table in NO_DELETE:
        schema_editor.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                              f"FOR EACH ROW EXECUTE FUNCTION cases_refuse_delete()")


def drop_guards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NO_DELETE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}")
    for table in NO_UPDATE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
    for table in WORKFLOW:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS cases_refuse_update(); DROP FUNCTION IF EXISTS cases_refuse_truncate()")
    schema_editor.execute(OLD_DELETE_FUNCTION, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0012_transfers_signed_and_reviewed_extensions"),
    ]

    operations = [
        migrations.RunPython(add_guards, drop_guards, elidable=False),
    ]
