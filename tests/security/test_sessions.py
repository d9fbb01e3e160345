"""Sessions end after 30 minutes without activity and 12 hours after login, whatever the activity."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

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
