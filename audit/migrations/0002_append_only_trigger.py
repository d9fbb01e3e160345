"""On PostgreSQL, the audit table refuses UPDATE and DELETE for everyone, including someone with a database shell
using the application's credentials (the model and queryset already refuse in Python).

TRUNCATE is not blocked: the test runner empties tables with it, and in production the application's database role
should not own the table (docs/security.md §5: GRANT SELECT, INSERT only). SQLite (development) has no trigger:
its test runner empties tables with DELETE.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志只允许追加，禁止%（audit_auditentry）', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # None: the % in RAISE is not a placeholder


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_audit_entries"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
