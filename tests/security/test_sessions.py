"""Sessions end after 30 minutes without activity and 12 hours after login, whatever the activity."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import security
from audit.models import Action, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)


def minutes(n):
    return datetime.timedelta(minutes=n)


def test_idle_for_more_than_30_minutes_logs_out(client, secretary_a):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(secretary_a)
        clock.shift(minutes(29))
        assert client.get(reverse("home")).status_code == 200  # activity restarts the idle clock
        clock.shift(minutes(29))
        assert client.get(reverse("home")).status_code == 200
        clock.shift(minutes(31))
        response = client.get(reverse("cases:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert "_auth_user_id" not in client.session
    [row] = AuditEntry.objects.filter(action=Action.LOGOUT)
    assert row.user_id == secretary_a.pk and "30 分钟没有操作" in row.detail
    page = client.get(response["Location"])
    assert "30 分钟没有操作" in page.content.decode()


def test_twelve_hours_after_login_the_session_ends_even_when_active(client, secretary_a):
    with time_machine.travel(T0, tick=False) as clock:
        client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
        for _ in range(12 * 3):  # a request every 20 minutes for 12 hours
            clock.shift(minutes(20))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(minutes(1))
        response = client.get(reverse("home"))
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    [row] = AuditEntry.objects.filter(action=Action.LOGOUT)
    assert "12 小时" in row.detail


def session_writes(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]]


def test_ordinary_page_views_do_not_rewrite_the_session(client, secretary_a):
    """The idle clock is written at most once a minute, so pages keep their pinned query counts."""
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(secretary_a)
        client.get(reverse("home"))
        clock.shift(datetime.timedelta(seconds=30))
        assert session_writes(client, reverse("home")) == []
        clock.shift(datetime.timedelta(seconds=31))
        assert len(session_writes(client, reverse("home"))) == 1


def test_session_cookie_ends_with_the_browser(settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60 and settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 3600


# --- a session whose row expired first (issue 8, item 10) -------------------------------------------------------------


def lost_session_rows():
    return list(AuditEntry.objects.filter(action=Action.LOGOUT, detail=security.LOST_SESSION_DETAIL))


def test_idle_timeout_with_the_session_row_deleted_is_still_audited_once(client, secretary_a):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(secretary_a)
        assert client.get(reverse("home")).status_code == 200
        assert client.cookies[security.MARKER_COOKIE].value  # the marker rides along with the session
        clock.shift(minutes(31))
        Session.objects.all().delete()  # the row is gone (clearsessions, a restart of the session store …)
        stale = client.cookies[security.MARKER_COOKIE].value
        response = client.get(reverse("cases:list"))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert client.cookies[security.MARKER_COOKIE].value == ""  # deleted
        [row] = lost_session_rows()
        assert (row.user_id, row.username, row.role) == (secretary_a.pk, "sec_a", "village_secretary")
        assert row.detail == "会话超时结束（空闲/绝对时限）" and row.path == reverse("cases:list")
        assert "登录已超时" in client.get(response["Location"]).content.decode()
        for _ in range(2):  # the browser comes back again, and a second request still carries the old cookie
            client.get(reverse("home"))
            client.cookies[security.MARKER_COOKIE] = stale
            client.get(reverse("home"))
    assert len(lost_session_rows()) == 1
    assert AuditEntry.objects.filter(action=Action.LOGOUT).count() == 1


def test_absolute_limit_with_the_session_row_expired_in_the_database_is_audited(client, secretary_a):
    """Nobody deletes anything: after 12 idle hours the row's own expiry date has passed, so Django loads an empty
    session and the user is already anonymous when the timeout check runs."""
    with time_machine.travel(T0, tick=False) as clock:
        client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
        assert client.cookies[security.MARKER_COOKIE].value  # set on the login response itself
        clock.shift(datetime.timedelta(hours=12, minutes=5))
        assert Session.objects.filter(expire_date__gt=timezone.now()).count() == 0
        assert client.get(reverse("home")).status_code == 302
    [row] = lost_session_rows()
    assert row.user_id == secretary_a.pk


def test_an_ordinary_logout_or_timeout_leaves_no_lost_session_row(client, secretary_a):
    with time_machine.travel(T0, tick=False) as clock:
        client.force_login(secretary_a)
        client.get(reverse("home"))
        client.post(reverse("logout"))
        assert client.cookies[security.MARKER_COOKIE].value == ""
        client.get(reverse("home"))
        client.force_login(secretary_a)
        client.get(reverse("home"))
        clock.shift(minutes(31))
        client.get(reverse("home"))  # the middleware's own timeout: recorded with its reason, cookie deleted
        assert client.cookies[security.MARKER_COOKIE].value == ""
        client.get(reverse("home"))
    assert lost_session_rows() == []
    assert AuditEntry.objects.filter(action=Action.LOGOUT).count() == 2


def test_a_forged_marker_is_ignored_and_deleted(client, secretary_a):
    client.cookies[security.MARKER_COOKIE] = signing.dumps([str(secretary_a.pk), 0], salt="another-salt")
    client.get(reverse("home"))
    assert lost_session_rows() == [] and client.cookies[security.MARKER_COOKIE].value == ""


def test_the_marker_costs_no_query_on_an_ordinary_page(client, secretary_a):
    client.force_login(secretary_a)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.status_code == 200 and security.MARKER_COOKIE not in response.cookies  # current: not re-sent
    assert not [q["sql"] for q in ctx.captured_queries if "audit_auditentry" in q["sql"]]


def test_the_marker_is_the_same_a_second_later(client, secretary_a):
    """Deterministic (no timestamp in it): the browser's copy stays current, so it is not re-sent on every page."""
    import time_machine
    from django.utils import timezone

    session = {"_auth_user_id": str(secretary_a.pk), security.LOGIN_AT: 1_796_173_093}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = security.session_marker(session)
        clock.shift(5)
        assert security.session_marker(session) == first
