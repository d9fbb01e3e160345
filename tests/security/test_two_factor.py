"""TOTP second factor (django-otp): required for the county centre, administrators and auditors when REQUIRE_2FA
is on (production default), optional for everyone else, off in the DEBUG demo (and the login page says so)."""

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security
from audit.models import Action, AuditEntry
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_factor(settings):
    settings.REQUIRE_2FA = True


def code_for(key_hex, offset=0):
    return f"{totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=offset):06d}"


def bound_device(user):
    return TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=True)


def test_login_page_says_when_2fa_is_off(client, settings):
    settings.REQUIRE_2FA = False
    assert "演示环境：已关闭双因素认证" in client.get(reverse("login")).content.decode()
    settings.REQUIRE_2FA = True
    assert "演示环境" not in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("who", ["county_user", "sysadmin", "auditor"])
def test_required_roles_must_bind_a_device_before_anything_else(client, request, two_factor, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account:otp_verify"))
    response = client.get(response["Location"])  # no device yet: on to the setup page
    assert response["Location"].startswith(reverse("account:otp_setup"))
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "otpauth://totp/" in body and 'src="data:image/svg+xml;base64,' in body
    assert "<script" not in body


def test_binding_a_device_with_a_correct_code_lets_the_user_in(client, county_user, two_factor):
    client.force_login(county_user)
    client.get(reverse("account:otp_setup"))
    key = client.session[security.OTP_SETUP_KEY]

    wrong = client.post(reverse("account:otp_setup"), {"token": "000000" if code_for(key) != "000000" else "111111"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(user=county_user).exists()

    response = client.post(reverse("account:otp_setup"), {"token": code_for(key), "next": reverse("cases:list")})
    assert response.status_code == 302 and response["Location"] == reverse("cases:list")
    device = TOTPDevice.objects.get(user=county_user)
    assert device.confirmed and device.key == key
    assert client.get(reverse("home")).status_code == 200
    assert list(AuditEntry.objects.filter(action__startswith="otp").order_by("id").values_list("action", flat=True)) == [
        Action.OTP_FAILED, Action.OTP_SETUP]


def test_password_login_then_code(client, county_user, two_factor):
    device = bound_device(county_user)
    response = client.post(reverse("login"), {"username": "county", "password": PASSWORD, "next": "/cases/"})
    assert response.status_code == 302
    gate = client.get(response["Location"])
    assert gate["Location"].startswith(reverse("account:otp_verify"))
    session_before = client.cookies["sessionid"].value

    with time_machine.travel(timezone.now(), tick=False) as clock:
        bad = client.post(gate["Location"], {"token": "12345"})
        assert bad.status_code == 200 and "验证码不正确" in bad.content.decode()
        assert client.get(reverse("home")).status_code == 302
        clock.shift(2)  # django-otp throttles: 1 s after one failure, doubling with each further one
        good = client.post(reverse("account:otp_verify"), {"token": code_for(device.key), "next": "/cases/"})
    assert good.status_code == 302 and good["Location"] == "/cases/"
    assert client.get(reverse("home")).status_code == 200
    assert client.cookies["sessionid"].value != session_before  # new session id after the second factor
    actions = list(AuditEntry.objects.filter(user=county_user).order_by("id").values_list("action", flat=True))
    assert actions[:1] == [Action.LOGIN] and Action.OTP_FAILED in actions and actions[-1] == Action.OTP_VERIFY


def test_a_code_is_not_accepted_twice(client, county_user, two_factor):
    device = bound_device(county_user)
    code = code_for(device.key)
    client.force_login(county_user)
    assert client.post(reverse("account:otp_verify"), {"token": code}).status_code == 302
    other = type(client)()
    other.force_login(county_user)
    assert other.post(reverse("account:otp_verify"), {"token": code}).status_code == 200


def test_repeated_wrong_codes_are_throttled(client, county_user, two_factor):
    device = bound_device(county_user)
    client.force_login(county_user)
    for _ in range(3):
        client.post(reverse("account:otp_verify"), {"token": "000000"})
    response = client.post(reverse("account:otp_verify"), {"token": code_for(device.key)})
    assert response.status_code == 200 and "次数过多" in response.content.decode()


def test_other_roles_are_not_asked(client, secretary_a, two_factor):
    client.force_login(secretary_a)
    assert client.get(reverse("home")).status_code == 200


def test_anyone_who_bound_a_device_is_asked(client, secretary_a, two_factor):
    bound_device(secretary_a)
    client.force_login(secretary_a)
    assert client.get(reverse("home"))["Location"].startswith(reverse("account:otp_verify"))


def test_staff_without_a_membership_is_asked(client, two_factor, django_user_model):
    boss = django_user_model.objects.create_user("boss", password=PASSWORD, is_staff=True, is_superuser=True)
    client.force_login(boss)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("account:otp_verify"))


def test_2fa_off_lets_required_roles_in(client, county_user, settings):
    settings.REQUIRE_2FA = False
    client.force_login(county_user)
    assert client.get(reverse("home")).status_code == 200


def test_administrator_resets_a_lost_device_and_it_is_logged(client, county_user, sysadmin):
    bound_device(county_user)
    client.force_login(sysadmin)
    response = client.post(reverse("account:reset_2fa"), {"username": "county"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=county_user).exists()
    [row] = AuditEntry.objects.filter(action=Action.OTP_RESET)
    assert (row.username, row.object_label) == ("sysadmin", "county")


def test_nobody_resets_their_own_device_or_without_the_admin_role(client, sysadmin, auditor):
    bound_device(sysadmin)
    client.force_login(sysadmin)
    client.post(reverse("account:reset_2fa"), {"username": "sysadmin"})
    assert TOTPDevice.objects.filter(user=sysadmin).exists()
    client.force_login(auditor)
    assert client.post(reverse("account:reset_2fa"), {"username": "sysadmin"}).status_code == 403
    assert TOTPDevice.objects.filter(user=sysadmin).exists()
    assert not AuditEntry.objects.filter(action=Action.OTP_RESET).exists()


def test_totp_devices_are_not_in_the_admin():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
