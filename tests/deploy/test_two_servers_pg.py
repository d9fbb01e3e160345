"""More than one app server (issue 14 #5): two gunicorn instances started from deploy/gunicorn.conf.py on one
PostgreSQL database, with concurrent writes to the same cases through both — referrals, edits, meeting decisions —
while both nodes' sweeps run; afterwards there is no lost update, no duplicate event and no duplicate supervision."""

import concurrent.futures
import datetime
import os
import secrets
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, Dispute, EventKind, Referral, Status, Supervision
from meetings.models import Review
from tests.cases.test_dispute_edit import edit_data
from tests.conftest import VILLAGE_A
from tests.deploy.conftest import pg_only, pg_url
from tests.meetings import open_meeting

pytestmark = [*pg_only, pytest.mark.django_db(transaction=True)]
PORTS = (8160, 8161)
CSRF = secrets.token_hex(16)  # 32 characters: a valid CSRF secret, sent as cookie and header


def server_env(port):
    return {
        **os.environ, "DEBUG": "false", "DATABASE_URL": pg_url(), "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEY": settings.FIELD_ENCRYPTION_KEY, "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "0",
        "REQUIRE_2FA": "false", "PASSWORD_MAX_AGE_DAYS": "0", "CONN_MAX_AGE": "0",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "2", "PYTHONWARNINGS": "ignore",
    }


@pytest.fixture
def servers(reference_data, tmp_path):
    """Two gunicorn instances (ports 8160, 8161) of this checkout, each with its own workers and connections."""
    procs, logs = [], []
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    for port in PORTS:
        log = open(tmp_path / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed below
        logs.append(log)
        procs.append(subprocess.Popen(
            [gunicorn, "--config", str(settings.BASE_DIR / "deploy" / "gunicorn.conf.py"),
             "jiaxiang.wsgi:application"], cwd=settings.BASE_DIR, env=server_env(port), stdout=log,
            stderr=subprocess.STDOUT))
    try:
        deadline = time.monotonic() + 90
        for port, proc in zip(PORTS, procs, strict=True):
            while True:
                assert proc.poll() is None, (tmp_path / f"gunicorn-{port}.log").read_text()
                try:
                    health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=15)
                    if health.status_code == 200:
                        assert health.json()["checks"]["migrations"] == "ok"
                        break
                except (requests.ConnectionError, requests.Timeout):
                    pass
                assert time.monotonic() < deadline, "gunicorn did not come up"
                time.sleep(0.3)
        yield [f"http://127.0.0.1:{port}" for port in PORTS], [tmp_path / f"gunicorn-{p}.log" for p in PORTS]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value, "csrftoken": CSRF}


def at_once(calls):
    """Run (base_url, path, cookies, data) POSTs released together, alternating the two servers; status codes."""
    barrier = threading.Barrier(len(calls))

    def post(call):
        base, path, cookies, data = call
        barrier.wait(timeout=60)
        return requests.post(base + path, data=data, cookies=cookies, allow_redirects=False, timeout=120,
                             headers={"X-CSRFToken": CSRF, "Referer": base + path}).status_code

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(post, calls))


def sweep_node():
    env = server_env(PORTS[0])
    return subprocess.Popen([sys.executable, "manage.py", "sweep_deadlines"], cwd=settings.BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_writes_through_two_servers_lose_nothing_and_duplicate_nothing(
        servers, make_case, secretary_a, town_x):
    urls, logs = servers
    sec, town = session_cookie(secretary_a), session_cookie(town_x)

    # An overdue case, for the two nodes' sweeps that run during the web writes below.
    overdue = make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS, title="逾期案件")
    Dispute.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - datetime.timedelta(days=2))
    sweeps = [sweep_node(), sweep_node()]

    # 1. Referrals: eight 提请 of one case at once, four through each server.
    referred = make_case(secretary_a, VILLAGE_A, title="同时提请")
    path = reverse("cases:act", args=[referred.number, "refer"])
    codes = at_once([(urls[i % 2], path, sec, {"reason": f"第{i}次提请"}) for i in range(8)])
    assert codes.count(302) == 1 and all(c in (200, 403, 409) for c in codes if c != 302), codes  # refused
    assert Referral.objects.filter(dispute=referred).count() == 1
    assert CaseEvent.objects.filter(dispute=referred, kind=EventKind.REFERRED).count() == 1
    assert Dispute.objects.get(pk=referred.pk).version == referred.version + 1

    # 2. Meeting decisions: the town's meeting signs for that referral, six times at once through both servers.
    meeting = open_meeting(town_x)
    path = reverse("meetings:review", args=[meeting.pk, referred.number])
    codes = at_once([(urls[i % 2], path, town, {"analysis": f"研判{i}", "decision": "accept"}) for i in range(6)])
    assert codes.count(302) >= 1, codes
    assert Review.objects.filter(meeting=meeting, dispute=referred).count() == 1
    assert CaseEvent.objects.filter(dispute=referred, kind=EventKind.ACCEPTED).count() == 1
    after = Dispute.objects.get(pk=referred.pk)
    assert after.tier == "town" and after.version == referred.version + 2

    # 3. Edits: five rounds; in each, four saves of the same version race through both servers. Exactly one wins
    #    per round, its values are what the case holds, and every win is one version and one event.
    edited = make_case(secretary_a, VILLAGE_A, title="同时编辑")
    path = reverse("cases:edit", args=[edited.number])
    for round_ in range(5):
        case = Dispute.objects.get(pk=edited.pk)
        titles = [f"第{round_}轮第{i}人的标题" for i in range(4)]
        codes = at_once([(urls[i % 2], path, sec, edit_data(case, title=titles[i], people_involved=10 + i))
                         for i in range(4)])
        assert codes.count(302) == 1 and all(c in (200, 409) for c in codes if c != 302), codes  # stale: conflict
        winner = codes.index(302)
        case = Dispute.objects.get(pk=edited.pk)
        assert case.title == titles[winner] and case.people_involved == 10 + winner  # nothing of the winner lost
        assert case.version == edited.version + round_ + 1
    assert CaseEvent.objects.filter(dispute=edited, kind=EventKind.EDITED).count() == 5

    # 4. The two nodes' sweeps: one supervision and one red card for the overdue case, whoever ran.
    for proc in sweeps:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    assert Supervision.objects.filter(dispute=overdue).count() == 1
    assert CaseEvent.objects.filter(dispute=overdue, kind=EventKind.SUPERVISION_OPENED).count() == 1
    assert CaseEvent.objects.filter(dispute=overdue, kind=EventKind.OVERDUE).count() == 1

    # No event anywhere was written twice (same case, kind and values).
    events = list(CaseEvent.objects.values_list("dispute_id", "kind", "field", "old_value", "new_value", "note"))
    assert len(events) == len(set(events))

    # Both servers really served writes, and their access logs name no query string or party data.
    for log in logs:
        text = log.read_text()
        assert '"POST /cases/' in text or '"POST /meetings/' in text
        assert "?" not in "".join(line for line in text.splitlines() if '"GET ' in line or '"POST ' in line)
