"""Five wrong passwords lock a user name for 30 minutes (django-axes); only a 安全管理员 may lift it early."""

import datetime

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse

from accounts.security import locked_usernames
from audit.models import Action, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def login(client, username, password, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def fail_five_times(client, username="sec_a", **extra):
    responses = [login(client, username, "Wrong-passw0rd", **extra) for _ in range(5)]
    assert [r.status_code for r in responses[:4]] == [200] * 4  # the form again, with an error
    return responses[-1]


def test_five_failures_lock_the_username_and_the_right_password_waits_30_minutes(client, secretary_a):
    with time_machine.travel(T0, tick=False) as clock:
        locked = fail_five_times(client)
        assert locked.status_code == 429
        body = locked.content.decode()
        assert "账号已锁定" in body and "30 分钟" in body

        clock.shift(datetime.timedelta(minutes=1))
        refused = login(client, "sec_a", PASSWORD)
        assert refused.status_code == 429 and not signed_in_as(client)

        clock.shift(datetime.timedelta(minutes=28))  # 29 minutes after the lockout: still locked
        assert login(client, "sec_a", PASSWORD).status_code == 429

        clock.shift(datetime.timedelta(minutes=2))  # 31 minutes: the try at minute 1 did not extend it
        accepted = login(client, "sec_a", PASSWORD)
        assert accepted.status_code == 302 and signed_in_as(client) == str(secretary_a.pk)

    lockouts = AuditEntry.objects.filter(action=Action.LOCKOUT).order_by("id")
    assert lockouts[0].detail == "连续 5 次登录失败，账号锁定 30 分钟"
    assert all(r.username == "sec_a" for r in lockouts)
    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED, username="sec_a").count() == 7
    assert AuditEntry.objects.filter(action=Action.LOGIN, user=secretary_a).count() == 1


def test_lockout_follows_the_username_not_the_address(client, secretary_a, secretary_b):
    fail_five_times(client, REMOTE_ADDR="198.51.100.1")
    # Another address (or user agent) does not help the attacker ...
    assert login(client, "sec_a", PASSWORD, REMOTE_ADDR="198.51.100.2", HTTP_USER_AGENT="other").status_code == 429
    # ... and a colleague behind the same village NAT address is not locked out.
    assert login(client, "sec_b", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302


def test_failures_from_rotating_addresses_add_up(client, secretary_a):
    for i in range(4):
        assert login(client, "sec_a", "Wrong-passw0rd", REMOTE_ADDR=f"198.51.100.{i}").status_code == 200
    assert login(client, "sec_a", "Wrong-passw0rd", REMOTE_ADDR="198.51.100.9").status_code == 429


def test_success_resets_the_count(client, secretary_a):
    for _ in range(4):
        login(client, "sec_a", "Wrong-passw0rd")
    assert login(client, "sec_a", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert login(client, "sec_a", "Wrong-passw0rd").status_code == 200


# --- Unlock by the 安全管理员 (三员: not the administrator) -----------------------------------------------------------


def test_security_admin_sees_locked_usernames_and_unlocks_with_an_audit_row(client, secretary_a, security_admin):
    fail_five_times(client)
    admin_client = client_class_for(client)
    admin_client.force_login(security_admin)
    page = admin_client.get(reverse("account:security"))
    assert page.status_code == 200
    assert "sec_a" in page.content.decode()

    response = admin_client.post(reverse("account:unlock"), {"username": "sec_a"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="sec_a").exists()
    [row] = AuditEntry.objects.filter(action=Action.UNLOCK)
    assert (row.username, row.object_label, row.user_id) == ("anquan", "sec_a", security_admin.pk)
    assert row.object_id == str(secretary_a.pk)

    assert login(client, "sec_a", PASSWORD).status_code == 302


def client_class_for(client):
    return type(client)()


@pytest.mark.parametrize("who", ["secretary_a", "auditor", "county_user", "sysadmin"])
def test_only_the_security_admin_role_may_unlock(client, request, who, secretary_b):
    fail_five_times(client, username="sec_b")
    user = request.getfixturevalue(who)
    other = client_class_for(client)
    other.force_login(user)
    assert other.get(reverse("account:security")).status_code == 403
    assert other.post(reverse("account:unlock"), {"username": "sec_b"}).status_code == 403
    assert AccessAttempt.objects.filter(username="sec_b").exists()
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED, user=user).count() == 2
    assert not AuditEntry.objects.filter(action=Action.UNLOCK).exists()


def test_unlock_is_post_only(client, security_admin):
    client.force_login(security_admin)
    assert client.get(reverse("account:unlock")).status_code == 405


def test_expired_lockouts_are_not_listed(client, secretary_a):
    with time_machine.travel(T0, tick=False):
        fail_five_times(client)
        assert [row["username"] for row in locked_usernames()] == ["sec_a"]
    with time_machine.travel(T0 + datetime.timedelta(minutes=31), tick=False):
        assert locked_usernames() == []


def test_an_absurdly_long_username_is_a_failed_login_not_a_server_error(client):
    """Axes keeps user names in a 255-character column; the login form does not limit the length."""
    name = "纠" * 5000
    for _ in range(5):
        response = login(client, name, "Wrong-passw0rd")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == "纠" * 150
    assert AuditEntry.objects.filter(action=Action.LOGIN_FAILED, username="纠" * 150).count() == 5
