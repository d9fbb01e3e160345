"""TOTP second factor (django-otp): required for the county centre, administrators, security administrators and
auditors when REQUIRE_2FA is on (production default), optional for everyone else, off in the DEBUG demo (and the login
page says so). Binding a first authenticator to an account of those roles needs a one-time enrolment code issued by
a 安全管理员 (issue 8, defect 10): the password alone does not let its holder bind their own device."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security
from audit.models import Action, AuditEntry
from org.models import EnrolmentCode
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_factor(settings):
    settings.REQUIRE_2FA = True


def code_for(key_hex, offset=0):
    return f"{totp(bytes.fromhex(key_hex), step=30, t0=0, digits=6, drift=offset):06d}"


def bound_device(user):
    return TOTPDevice.objects.create(user=user, name="手机验证器", confirmed=True)


def issue_code(user) -> str:
    """An enrolment code as the operator's command line issues it (no 安全管理员 needed in the fixture)."""
    return security.issue_enrolment_code(None, user=user)


def enter_code(client, code):
    return client.post(reverse("account:otp_setup"), {"enrolment_code": code})


def test_login_page_says_when_2fa_is_off(client, settings):
    settings.REQUIRE_2FA = False
    assert "演示环境：已关闭双因素认证" in client.get(reverse("login")).content.decode()
    settings.REQUIRE_2FA = True
    assert "演示环境" not in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize("who", ["county_user", "sysadmin", "security_admin", "auditor"])
def test_required_roles_must_bind_a_device_before_anything_else(client, request, two_factor, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account:otp_verify"))
    response = client.get(response["Location"])  # no device yet: on to the setup page
    assert response["Location"].startswith(reverse("account:otp_setup"))
    setup_url = response["Location"]
    page = client.get(setup_url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "绑定码" in body and "otpauth://totp/" not in body  # first the enrolment code, no secret yet
    assert security.OTP_SETUP_KEY not in client.session
    assert enter_code(client, issue_code(user)).status_code == 302
    page = client.get(setup_url)
    body = page.content.decode()
    assert "otpauth://totp/" in body and 'src="data:image/svg+xml;base64,' in body
    assert "<script" not in body


def test_binding_a_device_with_a_correct_code_lets_the_user_in(client, county_user, two_factor):
    client.force_login(county_user)
    enter_code(client, issue_code(county_user))
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
        Action.OTP_CODE, Action.OTP_FAILED, Action.OTP_SETUP]


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


def test_the_security_admin_resets_a_lost_device_and_it_is_logged(client, county_user, security_admin):
    bound_device(county_user)
    client.force_login(security_admin)
    response = client.post(reverse("account:reset_2fa"), {"username": "county"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=county_user).exists()
    [row] = AuditEntry.objects.filter(action=Action.OTP_RESET)
    assert (row.username, row.object_label) == ("anquan", "county")


def test_nobody_resets_their_own_device_or_without_the_security_admin_role(client, security_admin, sysadmin,
                                                                           auditor):
    bound_device(security_admin)
    client.force_login(security_admin)
    response = client.post(reverse("account:reset_2fa"), {"username": "anquan"})
    assert "不能重置自己的双因素认证" in response.content.decode()
    assert TOTPDevice.objects.filter(user=security_admin).exists()
    for other in (sysadmin, auditor):  # the administrator no longer resets authenticators (三员)
        client.force_login(other)
        assert client.post(reverse("account:reset_2fa"), {"username": "anquan"}).status_code == 403
    assert TOTPDevice.objects.filter(user=security_admin).exists()
    assert not AuditEntry.objects.filter(action=Action.OTP_RESET).exists()


# --- one-time enrolment codes (issue 8, defect 10) ------------------------------------------------------------------


def test_enrolment_without_a_code_is_refused(client, county_user, two_factor):
    client.force_login(county_user)
    page = client.get(reverse("account:otp_setup"))
    assert "otpauth://totp/" not in page.content.decode()
    # Posting an authenticator code straight away binds nothing (there is no secret, and no enrolment code).
    assert client.post(reverse("account:otp_setup"), {"token": "123456"}).status_code == 200
    wrong = enter_code(client, "ABCD-EFGH-JKMN-PQRS")
    assert wrong.status_code == 200 and "绑定码无效、已使用或已过期" in wrong.content.decode()
    # Even a forged setup key in the session does not get past the service.
    session = client.session
    session[security.OTP_SETUP_KEY] = key = "00" * 20
    session.save()
    assert client.post(reverse("account:otp_setup"), {"token": code_for(key)}).status_code == 200
    assert not TOTPDevice.objects.filter(user=county_user).exists()
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, user=county_user, detail="绑定码错误").exists()


def test_an_expired_code_is_refused(client, county_user, two_factor):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        code = issue_code(county_user)
        clock.shift(datetime.timedelta(hours=24, minutes=1))
        client.force_login(county_user)
        response = enter_code(client, code)
        assert response.status_code == 200 and "绑定码无效、已使用或已过期" in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, detail="绑定码已过期").exists()


def test_a_code_that_expires_after_it_was_typed_binds_nothing(client, county_user, two_factor):
    client.force_login(county_user)
    assert enter_code(client, issue_code(county_user)).status_code == 302
    client.get(reverse("account:otp_setup"))
    key = client.session[security.OTP_SETUP_KEY]
    EnrolmentCode.objects.filter(user=county_user).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(reverse("account:otp_setup"), {"token": code_for(key)})
    body = response.content.decode()
    assert response.status_code == 200 and "绑定码" in body and "otpauth://totp/" not in body  # asked again
    assert not TOTPDevice.objects.filter(user=county_user).exists()


def test_a_fresh_code_works_once(client, county_user, security_admin, two_factor):
    code = issue_code(county_user)
    client.force_login(county_user)
    assert enter_code(client, code.lower().replace("-", " ")).status_code == 302  # typed loosely: still the code
    client.get(reverse("account:otp_setup"))
    key = client.session[security.OTP_SETUP_KEY]
    assert client.post(reverse("account:otp_setup"), {"token": code_for(key)}).status_code == 302
    assert TOTPDevice.objects.filter(user=county_user, confirmed=True).count() == 1
    assert EnrolmentCode.objects.get(user=county_user).used_at is not None
    setup = AuditEntry.objects.get(action=Action.OTP_SETUP)
    assert "绑定码" in setup.detail

    # The phone is lost; the device is reset. The used code does not let anyone bind a new one.
    TOTPDevice.objects.filter(user=county_user).delete()
    again = type(client)()
    again.force_login(county_user)
    response = enter_code(again, code)
    assert response.status_code == 200 and "绑定码无效、已使用或已过期" in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, detail="绑定码已使用").exists()


def test_the_security_admin_issues_a_code_shown_once_and_stored_hashed(client, county_user, security_admin, sysadmin):
    client.force_login(security_admin)
    response = client.post(reverse("account:issue_code"), {"code-username": "county"})
    body = response.content.decode()
    assert response.status_code == 200 and "绑定码已签发" in body
    [code] = re.findall(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>", body)
    row = EnrolmentCode.objects.get(user=county_user)
    assert code not in row.code_hash and code.replace("-", "") not in row.code_hash
    assert row.issued_by == security_admin
    assert row.expires_at - row.issued_at == datetime.timedelta(hours=24)
    [audit_row] = AuditEntry.objects.filter(action=Action.OTP_CODE)
    assert (audit_row.username, audit_row.object_label) == ("anquan", "county")
    assert code not in audit_row.detail and code.replace("-", "") not in audit_row.detail
    assert code not in client.get(reverse("account:security")).content.decode()  # shown once

    # A second code voids the first one.
    second = client.post(reverse("account:issue_code"), {"code-username": "county"}).content.decode()
    [code2] = re.findall(r"<code>([A-Z2-9]{4}(?:-[A-Z2-9]{4}){3})</code>", second)
    user_client = type(client)()
    user_client.force_login(county_user)
    assert enter_code(user_client, code).status_code == 200
    assert enter_code(user_client, code2).status_code == 302

    # Not for oneself, and not by the administrator.
    refused = client.post(reverse("account:issue_code"), {"code-username": "anquan"})
    assert "不能为自己签发绑定码" in refused.content.decode()
    client.force_login(sysadmin)
    assert client.post(reverse("account:issue_code"), {"code-username": "county"}).status_code == 403
    assert EnrolmentCode.objects.filter(user=county_user).count() == 2


def test_roles_that_need_no_second_factor_bind_without_a_code(client, secretary_a, two_factor):
    client.force_login(secretary_a)
    page = client.get(reverse("account:otp_setup"))
    assert "otpauth://totp/" in page.content.decode()
    key = client.session[security.OTP_SETUP_KEY]
    assert client.post(reverse("account:otp_setup"), {"token": code_for(key)}).status_code == 302
    assert TOTPDevice.objects.filter(user=secretary_a).exists()


def test_totp_devices_are_not_in_the_admin():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)


def test_the_first_accounts_get_their_code_from_the_command_line(client, sysadmin, two_factor):
    """A new installation has no 安全管理员 yet: the operator issues the first codes at the server."""
    out = io.StringIO()
    call_command("issue_enrolment_code", "sysadmin", stdout=out)
    [code] = re.findall(r"[A-Z2-9]{4}(?:-[A-Z2-9]{4}){3}", out.getvalue())
    [row] = AuditEntry.objects.filter(action=Action.OTP_CODE)
    assert row.object_label == "sysadmin" and "命令行" in row.detail and code not in row.detail
    client.force_login(sysadmin)
    assert enter_code(client, code).status_code == 302
