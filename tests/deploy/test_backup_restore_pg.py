"""deploy/backup.sh and deploy/restore.sh on PostgreSQL: a case with a party is dumped by the script, restored by the
other into a fresh database, and read back through Django with its ID number and phone decrypted; the key is not in
the dump; rotation keeps BACKUP_KEEP dumps; restoring over a database that has tables is refused."""

import base64
import hashlib
import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from cases.models import Party
from tests.conftest import VILLAGE_A, party_row
from tests.deploy.conftest import fresh_database, pg_only, pg_url

pytestmark = [*pg_only, pytest.mark.django_db(transaction=True)]
DEPLOY = settings.BASE_DIR / "deploy"
ID_NUMBER = "370829198001010012"  # a valid GB 11643 number made up for the test


def run(script, *args, env=None):
    return subprocess.run([str(DEPLOY / script), *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, check=False)


def django_on(dbname, key, code):
    """A fresh Django process on the restored database, as the rebuilt server would run it."""
    env = {**os.environ, "DATABASE_URL": pg_url(dbname), "FIELD_ENCRYPTION_KEY": key, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "manage.py", "shell", "-v", "0", "-c", code], cwd=settings.BASE_DIR,
                          env=env, capture_output=True, text=True, timeout=300, check=False)


READ_PARTY = """
import json
from cases.models import Party
p = Party.objects.get(pk={pk})
print(json.dumps({{"name": p.name, "id": p.id_number, "phone": p.phone, "case": p.dispute_id,
                  "parties": Party.objects.filter(dispute_id=p.dispute_id).count()}}))
"""


def test_a_dump_restored_into_a_fresh_database_reads_back_the_decrypted_party(
        reference_data, make_case, secretary_a, tmp_path):
    case = make_case(secretary_a, VILLAGE_A, parties=[
        party_row("王五", id_number=ID_NUMBER, phone="13912345678"), party_row("赵六", "respondent")])
    party = Party.objects.get(dispute=case, name="王五")
    key = settings.FIELD_ENCRYPTION_KEY
    backups = tmp_path / "backups"

    done = run("backup.sh", pg_url(), env={"BACKUP_DIR": str(backups), "FIELD_ENCRYPTION_KEY": key})
    assert done.returncode == 0, done.stderr
    dumps = sorted(backups.glob("jiaxiang-*.dump"))
    assert len(dumps) == 1 and oct(dumps[0].stat().st_mode & 0o777) == "0o600"
    key_id = dumps[0].with_suffix(".key-id").read_text().strip()
    assert key_id == hashlib.sha256(key.encode()).hexdigest()[:16]

    # Neither the key (as written in .env, or its raw bytes) nor the plain ID number is anywhere in the dump.
    sql = subprocess.run(["pg_restore", "-f", "-", str(dumps[0])], capture_output=True, check=True).stdout
    assert b"CREATE TABLE public.cases_party" in sql
    for secret in (key.encode(), base64.b64decode(key), ID_NUMBER.encode(), b"13912345678"):
        assert secret not in sql and secret not in dumps[0].read_bytes()

    with fresh_database() as dbname:
        restored = run("restore.sh", str(dumps[0]), pg_url(dbname), env={"FIELD_ENCRYPTION_KEY": key})
        assert restored.returncode == 0, restored.stderr
        read = django_on(dbname, key, READ_PARTY.format(pk=party.pk))
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout.strip().splitlines()[-1]) == {
            "name": "王五", "id": ID_NUMBER, "phone": "13912345678", "case": case.pk, "parties": 2}
        # Every migration is recorded as applied in the copy, and the append-only triggers came back too.
        check = django_on(dbname, key, "from django.core.management import call_command; "
                                       "call_command('migrate', check=True, verbosity=0)")
        assert check.returncode == 0, check.stdout + check.stderr
        triggers = subprocess.run(["psql", "-X", "-At", "-d", pg_url(dbname), "-c",
                                   "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'cases_caseevent'::regclass "
                                   "AND NOT tgisinternal"], capture_output=True, text=True, check=True)
        assert int(triggers.stdout) >= 1
        # Without the key the copy is unreadable: the dump alone does not expose the parties.
        wrong = base64.b64encode(b"another-key-of-32-bytes-length!!").decode()
        assert ID_NUMBER not in django_on(dbname, wrong, READ_PARTY.format(pk=party.pk)).stdout

        again = run("restore.sh", str(dumps[0]), pg_url(dbname))
        assert again.returncode == 1 and "已有" in again.stderr  # never over a database that has tables


def test_rotation_keeps_the_newest_dumps(tmp_path, reference_data):
    backups = tmp_path / "backups"
    for _ in range(3):
        done = run("backup.sh", pg_url(), env={"BACKUP_DIR": str(backups), "BACKUP_KEEP": "2",
                                               "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY})
        assert done.returncode == 0, done.stderr
    kept = sorted(p.name for p in backups.glob("jiaxiang-*.dump"))
    assert len(kept) == 2 and len(list(backups.glob("*.key-id"))) == 2
    assert not list(backups.glob(".*partial"))


def test_backup_refuses_without_a_database_and_restore_without_a_readable_dump(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BACKUP_DATABASE_URL")}
    done = subprocess.run([str(DEPLOY / "backup.sh")], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 2 and "用法" in done.stderr
    junk = tmp_path / "junk.dump"
    junk.write_bytes(b"not a dump")
    assert run("restore.sh", str(junk), pg_url()).returncode == 2
