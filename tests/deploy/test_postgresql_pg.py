"""deploy/postgresql.conf names only real settings with values PostgreSQL accepts, and deploy/postgresql-tables.sql
runs on a migrated database: the web role gets its statement and lock timeouts, the event tables their autovacuum."""

import re
import secrets
import subprocess

import pytest
from django.conf import settings
from django.db import connection

from tests.deploy.conftest import pg_only, pg_url

pytestmark = [*pg_only, pytest.mark.django_db]
DEPLOY = settings.BASE_DIR / "deploy"


def conf_settings():
    found = {}
    for line in (DEPLOY / "postgresql.conf").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, value = (part.strip() for part in line.split("=", 1))
            found[name] = value.strip("'")
    return found


def test_every_setting_exists_and_its_value_is_accepted():
    wanted = conf_settings()
    assert {"shared_buffers", "work_mem", "random_page_cost", "effective_cache_size", "jit"} <= set(wanted)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, vartype, enumvals, min_val, max_val, unit FROM pg_settings")
        known = {row[0]: row[1:] for row in cursor.fetchall()}
        unknown = sorted(set(wanted) - set(known))
        assert not unknown, f"deploy/postgresql.conf 中不存在的设置：{unknown}"
        for name, value in wanted.items():
            vartype, enumvals, low, high, unit = known[name]
            if vartype == "enum":
                assert value in enumvals, (name, value)
            elif vartype == "bool":
                assert value in ("on", "off", "true", "false"), (name, value)
            elif vartype in ("integer", "real") and unit in ("8kB", "kB", "MB", "B"):
                cursor.execute("SELECT pg_size_bytes(%s)", [value.replace("kB", "kB")])
                assert cursor.fetchone()[0] > 0, (name, value)
            elif vartype in ("integer", "real") and unit in ("ms", "s", "min"):
                assert re.fullmatch(r"\d+(ms|s|min|h)?", value), (name, value)
            elif vartype in ("integer", "real"):
                assert low is None or float(low) <= float(value) <= float(high), (name, value)
    assert float(wanted["random_page_cost"]) < 2  # SSD
    assert wanted["jit"] == "off"


@pytest.fixture
def app_role():
    role = f"deploy_app_{secrets.token_hex(3)}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" LOGIN')
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f'DROP OWNED BY "{role}"')
        cursor.execute(f'DROP ROLE "{role}"')


@pytest.mark.django_db(transaction=True)
def test_the_table_settings_apply_to_a_migrated_database(app_role, reference_data):
    done = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"app_role={app_role}", "-d", pg_url(),
                           "-f", str(DEPLOY / "postgresql-tables.sql")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with connection.cursor() as cursor:
        cursor.execute("SELECT setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole "
                       "WHERE r.rolname = %s AND s.setdatabase = (SELECT oid FROM pg_database "
                       "WHERE datname = current_database())", [app_role])
        assert set(cursor.fetchone()[0]) == {"statement_timeout=30s", "lock_timeout=10s"}
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'cases_caseevent'::regclass")
        assert "autovacuum_analyze_scale_factor=0.01" in cursor.fetchone()[0]
        cursor.execute(f"ALTER ROLE \"{app_role}\" IN DATABASE \"{connection.settings_dict['NAME']}\" RESET ALL")
