"""Helpers of the deployment tests: the PostgreSQL test database as a URL for scripts and servers, throw-away
databases (named deploy_…), and the reference data a transactional test's flush removes."""

import contextlib
import secrets
import urllib.parse

import pytest
from django.db import connection

pg_only = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="只在 PostgreSQL 上运行（DATABASE_URL=postgres://…）"),
]


def pg_url(dbname=None) -> str:
    s = connection.settings_dict
    auth = urllib.parse.quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(s["PASSWORD"])
    host = s.get("HOST") or "127.0.0.1"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{dbname or s['NAME']}"


def _admin():
    import psycopg2

    s = connection.settings_dict
    conn = psycopg2.connect(dbname="postgres", user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None,
                            password=s["PASSWORD"] or None)
    conn.autocommit = True
    return conn


@contextlib.contextmanager
def fresh_database():
    """An empty database `deploy_<random>`, dropped afterwards (with anyone still connected to it)."""
    name = f"deploy_{secrets.token_hex(4)}"
    admin = _admin()
    try:
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def reference_data_reload(django_db_setup, django_db_blocker):
    """Module scope, so it runs after the transactional test's flush: later tests find divisions and rules again."""
    yield
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    with django_db_blocker.unblock():
        _restore_reference_data()


@pytest.fixture
def reference_data(reference_data_reload, transactional_db):
    """Divisions, units and rules at the start of a transactional test (an earlier one's flush removed them)."""
    from org.models import Division
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    if not Division.objects.exists():
        _restore_reference_data()
