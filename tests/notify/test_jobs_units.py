"""The job queue's systemd units (deploy/systemd/): N workers, the sweep's timer; and `make run` starts a worker."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS = ["jiaxiang-worker@.service", "jiaxiang-sweep.service", "jiaxiang-sweep.timer"]


def text(name):
    return (ROOT / "deploy" / "systemd" / name).read_text(encoding="utf-8")


def test_the_worker_unit_runs_db_worker_on_every_queue_with_a_unique_id():
    worker = text("jiaxiang-worker@.service")
    assert re.search(r"^ExecStart=/srv/jiaxiang/\.venv/bin/python manage\.py db_worker --queue-name=\* --no-reload"
                     r".* --worker-id=%H-%i$", worker, re.M)
    assert re.search(r"^Restart=always$", worker, re.M) and re.search(r"^User=jiaxiang$", worker, re.M)


def test_the_sweep_runs_every_five_minutes_and_catches_up_deliveries():
    sweep, timer = text("jiaxiang-sweep.service"), text("jiaxiang-sweep.timer")
    assert "manage.py sweep_deadlines" in sweep and "manage.py deliver_due" in sweep
    assert re.search(r"^Type=oneshot$", sweep, re.M)
    assert re.search(r"^Unit=jiaxiang-sweep\.service$", timer, re.M)
    assert re.search(r"^OnCalendar=\*:0/5$", timer, re.M)


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze 不可用（不是 systemd 系统）")
    srv = tmp_path / "srv" / "jiaxiang"
    (srv / ".venv" / "bin").mkdir(parents=True)
    (srv / "var").mkdir()
    (srv / ".venv" / "bin" / "python").symlink_to(sys.executable)
    names = []
    for name in UNITS:
        target = tmp_path / name.replace("@.", "@verify.")
        target.write_text(text(name).replace("/srv/jiaxiang", str(srv)), encoding="utf-8")
        names.append(str(target))
    result = subprocess.run([analyze, "verify", *names], capture_output=True, text=True, timeout=120, check=False)
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "jiaxiang" in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_make_run_starts_one_worker_beside_the_server_and_stops_it_with_the_server():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun: demo\n", 1)[1].split("\n\n", 1)[0]
    assert "manage.py db_worker" in recipe and "runserver" in recipe
    assert "trap" in recipe and "kill" in recipe
