"""The production environment of deploy/jiaxiang.env.example passes `manage.py check --deploy --fail-level WARNING`
(the same check tests/security/test_headers.py runs on a minimal environment), and it sets what the deployment
relies on: HTTPS from the proxy's header, the proxy as the only source of client addresses, STATIC_ROOT."""

import base64
import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.security.test_headers import check_deploy, production_env

ROOT = Path(settings.BASE_DIR)
EXAMPLE = ROOT / "deploy" / "jiaxiang.env.example"


def example_env(**overrides) -> dict:
    values = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value
    values["SECRET_KEY"] = secrets.token_urlsafe(64)
    values["FIELD_ENCRYPTION_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    values["DATABASE_URL"] = values["DATABASE_URL"].replace("«app password»", "secret")
    assert not any("«" in v for v in values.values()), values
    env = production_env()
    env.update(values)
    env.update(overrides)
    return env


def test_the_example_environment_has_placeholders_not_secrets():
    text = EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^SECRET_KEY=«", text, re.M) and re.search(r"^FIELD_ENCRYPTION_KEY=«", text, re.M)
    assert "DEBUG=false" in text


def test_the_production_example_passes_the_deploy_check():
    result = check_deploy(example_env())
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_tls_proxy_that_is_not_a_trusted_proxy_fails_the_deploy_check():
    result = check_deploy(example_env(TRUSTED_PROXIES=""))
    assert result.returncode != 0 and "jiaxiang.W003" in result.stdout + result.stderr


@pytest.mark.parametrize("extra", [{}, {"REDIS_URL": "redis://127.0.0.1:6379/0",
                                        "REPLICA_DATABASE_URL": "postgres://jiaxiang_app:x@10.0.0.12:5432/jiaxiang"}])
def test_the_production_settings_are_what_the_deploy_files_expect(extra):
    code = ("import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({"
            "'proxy_ssl': s.SECURE_PROXY_SSL_HEADER, 'proxies': s.TRUSTED_PROXIES, 'static': str(s.STATIC_ROOT), "
            "'redirect': s.SECURE_SSL_REDIRECT, 'exempt': s.SECURE_REDIRECT_EXEMPT, "
            "'replica': s.DATABASES['replica']['HOST'], 'replica_reads': s.REPLICA_READS, "
            "'cache': s.CACHES['default']['BACKEND']}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**example_env(**extra), "DJANGO_SETTINGS_MODULE": "jiaxiang.settings"}, check=False)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["proxy_ssl"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["proxies"] == ["127.0.0.1", "::1"] and got["static"] == "/srv/jiaxiang/staticfiles"
    assert got["redirect"] is True and got["exempt"] == ["^healthz$"]
    if extra:
        assert got["replica"] == "10.0.0.12" and got["replica_reads"] is True
        assert got["cache"] == "django.core.cache.backends.redis.RedisCache"
    else:
        assert got["replica"] == "127.0.0.1" and got["replica_reads"] is False
