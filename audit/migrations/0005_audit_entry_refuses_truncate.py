"""On PostgreSQL the audit table refuses TRUNCATE too (issue 8, defect 6): 0002's trigger refuses UPDATE and DELETE
for everyone, but TRUNCATE fires no row trigger, and the table's owner could empty the log with it.

A statement-level trigger refuses it for every role but a superuser: a superuser is above any in-database control
anyway (it can switch triggers off), and Django's test runner empties tables with TRUNCATE as one. The application's
role has no TRUNCATE privilege at all (deploy/db_roles.sql). SQLite (development) has no trigger.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_entry_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '审计日志只允许追加，禁止清空（TRUNCATE audit_auditentry）'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_truncate();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_entry_refuse_truncate();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_security_admin_role_and_otp_code"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
