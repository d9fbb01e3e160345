"""The two database roles of deploy/db_roles.sql, on PostgreSQL (issue 8, defect 6).

The test applies deploy/db_roles.sh (psql) to the test database with two roles of its own (suffixed, dropped at the
end; ownership goes back to the test's user), then works as each role: the application role (a connection of its
own: a login when the server lets it in without a password, else the test's user with SET ROLE, which checks the
same privileges) may read and write but not empty, rewrite history, switch triggers off or change the schema; the
owner role may do DDL, yet the triggers still refuse it TRUNCATE of the audit log and UPDATE of a timeline row.
"""

import contextlib
import os
import shutil
import subprocess
import uuid

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from cases import services as case_services
from tests.conftest import VILLAGE_A

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="database roles, grants and triggers are PostgreSQL's; SQLite (development) has none"),
    pytest.mark.skipif(shutil.which("psql") is None, reason="deploy/db_roles.sh needs the psql client"),
]

SCRIPT = settings.BASE_DIR / "deploy" / "db_roles.sh"
PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"]


def _params():
    s = connection.settings_dict
    return {"dbname": s["NAME"], "user": s["USER"], "host": s["HOST"] or None, "port": s["PORT"] or None,
            "password": s["PASSWORD"] or None}


def _admin():
    import psycopg2

    conn = psycopg2.connect(**_params())
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def session_as(role):
    """A connection of its own as `role`: a login if the server allows one without a password, else SET ROLE."""
    import psycopg2
    from psycopg2 import sql

    try:
        conn = psycopg2.connect(**{**_params(), "user": role, "password": None})
    except psycopg2.OperationalError:
        conn = psycopg2.connect(**_params())
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
        conn.commit()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_user")
            assert cur.fetchone()[0] == role
        conn.rollback()
        yield conn
    finally:
        conn.close()


def attempt(conn, statement, params=None):
    """Run one statement in a transaction that is always rolled back: (result rows or None, error or None)."""
    import psycopg2

    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return (cur.fetchall() if cur.description else []), None
    except psycopg2.Error as exc:
        return None, exc
    finally:
        conn.rollback()


def privileges(conn, role):
    with conn.cursor() as cur:
        cur.execute(
            "SELECT c.relname, p FROM pg_class c CROSS JOIN unnest(%s::text[]) AS p "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND has_table_privilege(%s, c.oid, p) "
            "UNION ALL SELECT c.relname, p FROM pg_class c CROSS JOIN unnest(ARRAY['USAGE', 'SELECT', 'UPDATE']) AS p "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' "
            "AND has_sequence_privilege(%s, c.oid, p)", [PRIVILEGES, role, role])
        return set(cur.fetchall())


@pytest.fixture(scope="module")
def roles(django_db_setup):
    """Owner and application roles made by deploy/db_roles.sh on the test database; undone afterwards."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, other_app = f"jx_owner_{suffix}", f"jx_app_{suffix}", f"jx_app2_{suffix}"
    p = _params()
    env = {**os.environ, "OWNER_ROLE": owner, "APP_ROLE": app, "PGUSER": p["user"], "PGHOST": p["host"] or "",
           "PGPORT": str(p["port"] or ""), "PGPASSWORD": p["password"] or ""}
    env = {k: v for k, v in env.items() if v != ""}
    admin = _admin()
    try:
        done = subprocess.run([str(SCRIPT), p["dbname"]], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        with admin.cursor() as cur:
            cur.execute(f'CREATE ROLE "{other_app}" LOGIN')  # for grant_app_role, which does not create roles
        yield {"owner": owner, "app": app, "other_app": other_app}
    finally:
        with admin.cursor() as cur:
            cur.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", [[owner, app, other_app]])
            existing = [r for (r,) in cur.fetchall()]
            if owner in existing:
                cur.execute(f'REASSIGN OWNED BY "{owner}" TO CURRENT_USER')
            for role in existing:
                cur.execute(f'DROP OWNED BY "{role}"')
            for role in existing:
                cur.execute(f'DROP ROLE "{role}"')
            # What the script took from PUBLIC on this (throw-away) test database, as PostgreSQL 15 creates it.
            cur.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{p["dbname"]}" TO PUBLIC')
            cur.execute("ALTER SCHEMA public OWNER TO pg_database_owner; GRANT USAGE ON SCHEMA public TO PUBLIC")
        admin.close()


@pytest.fixture(scope="module")
def reference_data_reload(django_db_setup, django_db_blocker):
    """The transactional tests' flush empties the reference data the rest of the suite relies on: put it back."""
    yield
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    with django_db_blocker.unblock():
        _restore_reference_data()


@pytest.fixture
def reference_data(db):
    """Divisions and units again after an earlier transactional test's flush."""
    from org.models import Division
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    if not Division.objects.exists():
        _restore_reference_data()


@pytest.fixture
def a_case(reference_data, make_case, secretary_a, town_x):
    """A referred case: rows in the case, party, timeline, referral and audit tables (committed)."""
    case = make_case(secretary_a, VILLAGE_A)
    case_services.refer_up(actor=secretary_a, dispute=case, reason="需要镇街协调")
    return case


@pytest.mark.django_db(transaction=True)
def test_the_application_role_works_but_cannot_empty_rewrite_or_restructure(roles, a_case, reference_data_reload):
    with session_as(roles["app"]) as app:
        # Normal work: read a case, change it, append to the audit log, end a session.
        rows, error = attempt(app, "SELECT number FROM cases_dispute WHERE id = %s", [a_case.pk])
        assert error is None and rows == [(a_case.number,)]
        rows, error = attempt(app, "UPDATE cases_dispute SET title = title WHERE id = %s RETURNING id", [a_case.pk])
        assert error is None and rows == [(a_case.pk,)]
        with app.cursor() as cur:
            cur.execute("SELECT string_agg(quote_ident(column_name), ', ') FROM information_schema.columns "
                        "WHERE table_name = 'audit_auditentry' AND column_name <> 'id'")
            columns = cur.fetchone()[0]
        app.rollback()
        rows, error = attempt(app, f"INSERT INTO audit_auditentry ({columns}) SELECT {columns} FROM audit_auditentry "  # noqa: S608
                                   "ORDER BY id DESC LIMIT 1 RETURNING id")
        assert error is None and len(rows) == 1
        rows, error = attempt(app, "DELETE FROM django_session")
        assert error is None

        refused = {}
        for statement in [
            "TRUNCATE audit_auditentry",
            "ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only",
            "ALTER TABLE cases_caseevent DISABLE TRIGGER ALL",
            "DELETE FROM audit_auditentry",
            "UPDATE audit_auditentry SET detail = detail",
            "UPDATE cases_caseevent SET note = note",
            "UPDATE cases_piireveal SET reason = reason",
            "DELETE FROM cases_piireveal",
            "DELETE FROM cases_attachment",
            "DELETE FROM cases_referral",
            "DELETE FROM cases_warning",
            "DELETE FROM cases_supervision",
            "DELETE FROM cases_caseevent",
            "DELETE FROM cases_dispute",
            "TRUNCATE cases_dispute CASCADE",
            "CREATE TABLE jx_probe (id integer)",
            "DROP TABLE cases_attachment",
            "ALTER TABLE cases_dispute ADD COLUMN jx_probe integer",
            "INSERT INTO django_migrations (app, name, applied) VALUES ('cases', 'jx_probe', now())",
        ]:
            _, error = attempt(app, statement)
            refused[statement] = error and (error.pgcode, error.diag.message_primary)
    not_refused = [s for s, e in refused.items() if e is None]
    assert not not_refused, f"the application role was allowed: {not_refused}"
    # Refused by the grants (permission denied / must be owner), before any trigger is reached.
    assert all(code == "42501" and message.isascii() for code, message in refused.values()), refused


@pytest.mark.django_db(transaction=True)
def test_even_the_owner_is_refused_truncate_of_the_audit_log_and_timeline_updates(roles, a_case,
                                                                                reference_data_reload):
    with session_as(roles["owner"]) as owner:
        _, error = attempt(owner, "CREATE TABLE jx_probe (id integer)")
        assert error is None  # the owner runs migrations (rolled back here)
        expected = {
            "TRUNCATE audit_auditentry": "审计日志只允许追加，禁止清空",
            "UPDATE cases_caseevent SET note = note": "案件动态和个人信息查看记录只允许追加，禁止修改",
            "DELETE FROM audit_auditentry": "审计日志只允许追加",
            "TRUNCATE cases_dispute CASCADE": "案件记录不得清空",
            "TRUNCATE cases_referral CASCADE": "案件记录不得清空",
            "DELETE FROM cases_referral": "案件记录不得删除（表 cases_referral）",
        }
        for statement, message in expected.items():
            _, error = attempt(owner, statement)
            assert error is not None and message in error.diag.message_primary, (statement, error)
            assert error.pgcode == "42501"


@pytest.mark.django_db(transaction=True)
def test_tables_of_later_migrations_and_grant_app_role(roles, reference_data_reload):
    admin = _admin()
    try:
        # A table a later migration creates (as the owner) is usable by the application at once (default
        # privileges), without DELETE or TRUNCATE.
        with admin.cursor() as cur:
            cur.execute(f'SET ROLE "{roles["owner"]}"; '
                        "CREATE TABLE jx_later (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text); "
                        "RESET ROLE")
        assert {p for t, p in privileges(admin, roles["app"]) if t == "jx_later"} == {"SELECT", "INSERT", "UPDATE"}

        # grant_app_role gives a fresh role exactly what the script gave, and running it again changes nothing.
        call_command("grant_app_role", role=roles["other_app"], stdout=open(os.devnull, "w"))
        granted = privileges(admin, roles["other_app"])
        assert granted == privileges(admin, roles["app"])
        call_command("grant_app_role", role=roles["other_app"], stdout=open(os.devnull, "w"))
        assert privileges(admin, roles["other_app"]) == granted
        assert ("audit_auditentry", "INSERT") in granted and ("audit_auditentry", "UPDATE") not in granted
        assert ("django_session", "DELETE") in granted and ("cases_referral", "DELETE") not in granted
        assert not any(p in ("TRUNCATE", "TRIGGER", "REFERENCES") for _, p in granted)

        # Run as the application role itself it refuses (PostgreSQL would only warn "no privileges were granted").
        with connection.cursor() as cur:
            cur.execute(f'SET ROLE "{roles["app"]}"')
        try:
            with pytest.raises(CommandError, match="不是全部表的所有者"):
                call_command("grant_app_role", role=roles["app"], stdout=open(os.devnull, "w"))
        finally:
            with connection.cursor() as cur:
                cur.execute("RESET ROLE")
    finally:
        with admin.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS jx_later")
        admin.close()
