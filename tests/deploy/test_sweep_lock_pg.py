"""The sweep runs on one node at a time (core/locks.py, an advisory lock in `manage.py sweep_deadlines`): two
processes on one PostgreSQL database, as two app servers' timers would start them."""

import datetime
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import CaseEvent, ClockMark, Dispute, EventKind, Status, Supervision
from core.locks import lock_key, single_node
from tests.conftest import VILLAGE_A
from tests.deploy.conftest import pg_only, pg_url

pytestmark = [*pg_only, pytest.mark.django_db(transaction=True)]

HOLD = """
import sys, time
from core.locks import single_node
with single_node("sweep_deadlines") as mine:
    print("held" if mine else "busy", flush=True)
    sys.stdin.readline()   # keeps the lock until the test says so
"""


def node(*args, stdin=None):
    env = {**os.environ, "DATABASE_URL": pg_url(), "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY,
           "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, text=True,
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def overdue_cases(make_case, secretary_a, n):
    cases = [make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS) for _ in range(n)]
    Dispute.objects.filter(pk__in=[c.pk for c in cases]).update(deadline=timezone.now() - datetime.timedelta(days=2))
    return cases


def test_a_sweep_on_a_second_node_waits_for_the_first(reference_data, make_case, secretary_a):
    cases = overdue_cases(make_case, secretary_a, 5)
    first = node("shell", "-v", "0", "-c", HOLD, stdin=subprocess.PIPE)  # node A: in the middle of its sweep
    try:
        assert first.stdout.readline().strip() == "held"
        second = node("sweep_deadlines")  # node B's timer fires meanwhile
        out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
        assert "另一节点正在执行时限检查" in out
        assert ClockMark.objects.count() == 0 and Supervision.objects.count() == 0  # B wrote nothing
    finally:
        first.communicate("\n", timeout=60)
    assert first.returncode == 0

    third = node("sweep_deadlines")  # A has finished (or crashed: its session's lock went with it)
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert "\n开启纪委督办 5 件：" in "\n" + out
    assert Supervision.objects.filter(dispute__in=cases).count() == 5


def test_two_nodes_started_together_record_each_case_once(reference_data, make_case, secretary_a):
    cases = overdue_cases(make_case, secretary_a, 20)
    runs = [node("sweep_deadlines"), node("sweep_deadlines")]
    outputs = [p.communicate(timeout=180) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outputs
    assert Supervision.objects.count() == 20 and Supervision.objects.values("dispute").distinct().count() == 20
    assert CaseEvent.objects.filter(kind=EventKind.OVERDUE).count() == 20
    assert ClockMark.objects.filter(dispute__in=cases).values("dispute", "kind").distinct().count() == \
        ClockMark.objects.filter(dispute__in=cases).count()
    reported = sum(line.startswith("开启纪委督办 20 件：") for out, _ in outputs for line in out.splitlines())
    skipped = sum("另一节点正在执行时限检查" in out for out, _ in outputs)
    assert reported == 1 and skipped <= 1  # one did the work; the other skipped or found nothing left


def test_the_lock_is_released_after_the_block_and_when_the_holder_dies(reference_data):
    with single_node("sweep_deadlines") as mine:
        assert mine
    holder = node("shell", "-v", "0", "-c", HOLD, stdin=subprocess.PIPE)
    assert holder.stdout.readline().strip() == "held"
    holder.kill()  # a node that crashes mid-sweep
    holder.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while True:  # the server notices the closed connection and ends the session
        with single_node("sweep_deadlines") as mine:
            if mine:
                break
        assert time.monotonic() < deadline, "lock of a killed process was never released"
        time.sleep(0.2)
    assert lock_key("sweep_deadlines") != lock_key("other")
