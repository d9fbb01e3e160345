"""Transport and headers: CSP without inline script on every page, no-store for signed-in pages, no framing, and
the production settings pass `manage.py check --deploy --fail-level WARNING`."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db
ROOT = Path(settings.BASE_DIR)


def csp_directives(response):
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_headers(response, *, signed_in):
    csp = csp_directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    if signed_in:
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_login_page_headers(client):
    assert_headers(client.get(reverse("login")), signed_in=False)


def test_every_page_of_a_signed_in_user_has_csp_and_no_store(client, make_case, secretary_a, auditor, sysadmin):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    for url in (reverse("home"), reverse("cases:list"), reverse("cases:create"), case.get_absolute_url(),
                reverse("cases:edit", args=[case.number]), reverse("account:password_change"),
                reverse("account:otp_setup")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_headers(response, signed_in=True)
    assert_headers(client.get("/cases/JX-0000-999999/"), signed_in=True)  # the 404 page too
    client.force_login(auditor)
    assert_headers(client.get(reverse("audit:list")), signed_in=True)
    assert_headers(client.get(reverse("cases:create")), signed_in=True)  # the 403 page too
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    for url in (reverse("admin:index"), reverse("account:security")):
        assert_headers(client.get(url), signed_in=True)


def test_lockout_page_has_csp(client, secretary_a):
    for _ in range(5):
        response = client.post(reverse("login"), {"username": "sec_a", "password": "Wrong-passw0rd"})
    assert response.status_code == 429
    assert_headers(response, signed_in=False)


def test_cookies_are_http_only():
    assert settings.SESSION_COOKIE_HTTPONLY and settings.CSRF_COOKIE_HTTPONLY


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def inline_findings(*patterns):
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found += [(str(path.relative_to(ROOT)), m.group(0).strip()) for m in pattern.finditer(text)]
    return found


def test_no_template_has_inline_script_or_style():
    """CSP forbids inline script, event handlers and inline style (no 'unsafe-inline'): they would silently not
    run or not apply in the browser. Styles go in static/css, behaviour in static/js."""
    assert inline_findings(INLINE_SCRIPT, INLINE_HANDLER, INLINE_STYLE) == []


# --- Production settings -----------------------------------------------------------------------------------------------


def production_env(**overrides):
    """A clean production-like environment: nothing inherited but the basics (the test process itself sets things
    like DJANGO_ALLOW_ASYNC_UNSAFE for the browser tests). `.env` never overrides variables set here."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV") if k in os.environ}
    env.update({
        "DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "pingan.jiaxiang.gov.cn",
        "FIELD_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(), "PYTHONWARNINGS": "ignore",
    })
    env.update(overrides)
    return env


def check_deploy(env):
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_settings_pass_the_deploy_check():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("override, finding", [
    ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
    ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ({"SECURE_COOKIES": "false"}, "security.W012"),
    ({"REQUIRE_2FA": "false"}, "jiaxiang.W001"),
    ({"TRUSTED_PROXIES": "10.0.0.5,not-an-address"}, "jiaxiang.E001"),
])
def test_weakening_production_settings_fails_the_deploy_check(override, finding):
    result = check_deploy(production_env(**override))
    assert result.returncode != 0 and finding in result.stdout + result.stderr
