"""Password rules (length, 3 of 4 classes, not like the user name, not common), and forced changes: accounts an
administrator set up, and passwords older than PASSWORD_MAX_AGE_DAYS."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from org.models import Membership, Role
from tests.conftest import COUNTY, PASSWORD, VILLAGE_A

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "Xin-mima-2026#jx"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def errors_for(password, user=None):
    try:
        validate_password(password, user)
    except ValidationError as e:
        return e.messages
    return []


@pytest.mark.parametrize("password", ["Ab1-short", "alllowercase-only", "ALLUPPER123456", "lower123456789",
                                      "12345678901234", "Password123"])
def test_weak_passwords_are_refused_in_chinese(password):
    messages = errors_for(password)
    assert messages, password
    assert all(CHINESE.search(m) for m in messages), messages


def test_three_of_four_classes_and_ten_characters_pass():
    assert errors_for("Jiaxiang#2026") == []
    assert errors_for("jiaxiang#2026") == []  # lower, digit, symbol
    assert errors_for("Jiaxiangxian2026") == []  # upper, lower, digit
    assert any("3 类" in m for m in errors_for("jiaxiangxian2026"))


def test_password_like_the_username_is_refused(secretary_a):
    user = get_user_model()(username="liushan", first_name="刘建国")
    assert any("相似" in m for m in errors_for("Liushan#2026", user))


# --- Forced change --------------------------------------------------------------------------------------------------


def test_fixture_users_are_not_forced_to_change(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(reverse("home")).status_code == 200


def test_flagged_account_is_sent_to_change_its_password_first(client, secretary_a):
    Membership.objects.filter(user=secretary_a).update(must_change_password=True)
    client.force_login(secretary_a)
    for url in (reverse("home"), reverse("cases:list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account:password_change") + "?next=")
    page = client.get(reverse("account:password_change"))
    assert "首次" in page.content.decode() or "系统管理员设置" in page.content.decode()

    response = client.post(reverse("account:password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        "next": reverse("cases:list"),
    })
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    m = Membership.objects.get(user=secretary_a)
    assert not m.must_change_password
    assert timezone.now() - m.password_changed_at < datetime.timedelta(minutes=1)
    assert client.get(reverse("home")).status_code == 200  # still signed in (session hash updated)
    [row] = AuditEntry.objects.filter(action=Action.PASSWORD_CHANGE)
    assert row.user_id == secretary_a.pk
    secretary_a.refresh_from_db()
    assert secretary_a.check_password(NEW_PASSWORD)


def test_weak_or_unchanged_new_password_is_refused(client, secretary_a):
    client.force_login(secretary_a)
    pages = []
    for new in ("short", PASSWORD):
        response = client.post(reverse("account:password_change"), {
            "old_password": PASSWORD, "new_password1": new, "new_password2": new})
        assert response.status_code == 200
        pages.append(response.content.decode())
    assert "密码太短：至少需要 10 个字符" in pages[0] and "3 类" in pages[0]
    assert "新密码不能与当前密码相同" in pages[1]
    assert not AuditEntry.objects.filter(action=Action.PASSWORD_CHANGE).exists()


def test_change_page_refuses_an_offsite_next(client, secretary_a):
    client.force_login(secretary_a)
    response = client.post(reverse("account:password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("age_days, forced", [(89, False), (91, True)])
def test_password_older_than_the_limit_must_change(client, secretary_a, settings, age_days, forced):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    Membership.objects.filter(user=secretary_a).update(
        password_changed_at=timezone.now() - datetime.timedelta(days=age_days))
    client.force_login(secretary_a)
    response = client.get(reverse("home"))
    assert (response.status_code == 302) is forced
    if forced:
        page = client.get(response["Location"])
        assert "超过 90 天" in page.content.decode()


def test_setting_a_password_anywhere_restarts_its_age(secretary_a):
    Membership.objects.filter(user=secretary_a).update(password_changed_at=timezone.now() - datetime.timedelta(days=400))
    secretary_a.set_password(NEW_PASSWORD)
    secretary_a.save()
    m = Membership.objects.get(user=secretary_a)
    assert timezone.now() - m.password_changed_at < datetime.timedelta(minutes=1)


# --- Accounts set up by an administrator -----------------------------------------------------------------------------


def test_account_created_in_the_admin_must_change_its_password(client, sysadmin, security_admin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "new_grid", "password1": "Chushi-mima-2026", "password2": "Chushi-mima-2026",
        "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    new = get_user_model().objects.get(username="new_grid")
    response = client.post(reverse("admin:org_membership_add"), {
        "user": new.pk, "division": VILLAGE_A, "role": Role.GRID_WORKER, "title": "网格员", "phone": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    # A case role takes effect once a 安全管理员 approves it (三员, tests/security/test_three_duties.py).
    approver = type(client)()
    approver.force_login(security_admin)
    grant = new.membership_requests.get()
    assert approver.post(reverse("account:grant_approve", args=[grant.pk])).status_code == 302
    assert Membership.objects.get(user=new).must_change_password

    actions = list(AuditEntry.objects.filter(object_label="new_grid").order_by("id").values_list("action", "username"))
    assert actions == [(Action.ACCOUNT_CHANGE, "sysadmin"), (Action.ROLE_CHANGE, "sysadmin"),
                       (Action.ROLE_CHANGE, "anquan")]

    new_client = type(client)()
    new_client.post(reverse("login"), {"username": "new_grid", "password": "Chushi-mima-2026"})
    assert new_client.get(reverse("home"))["Location"].startswith(reverse("account:password_change"))


def test_password_reset_by_an_administrator_must_be_changed(client, sysadmin, secretary_a):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    url = reverse("admin:auth_user_password_change", args=[secretary_a.pk])
    response = client.post(url, {"password1": "Reset-mima-2026", "password2": "Reset-mima-2026",
                                 "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Membership.objects.get(user=secretary_a).must_change_password
    [row] = AuditEntry.objects.filter(action=Action.PASSWORD_RESET)
    assert (row.username, row.object_label) == ("sysadmin", "sec_a")
    assert COUNTY == row.division_code
