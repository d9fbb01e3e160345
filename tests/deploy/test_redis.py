"""Optional Redis for cache and sessions (settings: REDIS_URL / CACHE_URL, docs/deploy.md). The settings are read
from the environment in a fresh process; the behaviour is checked against Redis database 5 on 127.0.0.1, if it is
reachable (skipped with a message otherwise): signing in stores the session there (and in the database), the lockout
still locks after five failures, and the reveal budget still answers 429."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from cases.models import PiiReveal
from tests.conftest import PASSWORD
from tests.security.test_lockout import fail_five_times, login, signed_in_as
from tests.security.test_pii import case_a, person, reveal_url  # noqa: F401 - fixtures and helpers

REDIS_URL = "redis://127.0.0.1:6379/5"

SHOW = ("import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'cache': s.CACHES['default']['BACKEND'], 'location': s.CACHES['default'].get('LOCATION'), "
        "'sessions': s.SESSION_ENGINE}))")


def settings_with(**env):
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL", "SESSION_ENGINE")}
    done = subprocess.run([sys.executable, "-c", SHOW], cwd=django_settings.BASE_DIR, capture_output=True, text=True,
                          env={**base, "DJANGO_SETTINGS_MODULE": "jiaxiang.settings", **env}, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_redis_the_cache_is_per_process_and_sessions_are_in_the_database():
    assert settings_with() == {"cache": "django.core.cache.backends.locmem.LocMemCache", "location": "",
                               "sessions": "django.contrib.sessions.backends.db"}


@pytest.mark.parametrize("variable", ["REDIS_URL", "CACHE_URL"])
def test_redis_url_gives_the_builtin_redis_cache_and_write_through_sessions(variable):
    assert settings_with(**{variable: REDIS_URL}) == {
        "cache": "django.core.cache.backends.redis.RedisCache", "location": REDIS_URL,
        "sessions": "django.contrib.sessions.backends.cached_db"}
    assert settings_with(REDIS_URL=REDIS_URL, SESSION_ENGINE="django.contrib.sessions.backends.cache")["sessions"] \
        == "django.contrib.sessions.backends.cache"


@pytest.fixture
def redis_cache(settings):
    redis = pytest.importorskip("redis", reason="redis（Python 客户端）未安装：跳过 Redis 缓存与会话测试")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis {REDIS_URL} 不可达（{exc}）：未测试 Redis 缓存与会话。启动 redis-server 后再运行。")
    prefix = f"jiaxiang-test-{secrets.token_hex(4)}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                                   "KEY_PREFIX": prefix}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    client = redis.Redis.from_url(REDIS_URL)
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.mark.django_db
def test_a_signed_in_session_lives_in_redis_and_in_the_database(redis_cache, client, secretary_a):
    redis, prefix = redis_cache
    assert login(client, "sec_a", PASSWORD).status_code == 302
    assert signed_in_as(client) == str(secretary_a.pk)
    session_key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert any(session_key in key.decode() for key in redis.scan_iter(f"{prefix}:*"))
    from django.contrib.sessions.models import Session

    assert Session.objects.filter(session_key=session_key).exists()  # a Redis restart signs nobody out
    assert client.get(reverse("cases:list")).status_code == 200
    cache.set("probe", "ok")
    assert redis.exists(f"{prefix}:1:probe")


@pytest.mark.django_db
def test_lockout_still_locks_after_five_failures_with_the_redis_cache(redis_cache, client, secretary_a):
    locked = fail_five_times(client)
    assert locked.status_code == 429 or "锁定" in locked.content.decode()
    assert login(client, "sec_a", PASSWORD).status_code != 302  # the right password waits too
    assert signed_in_as(client) is None


@pytest.mark.django_db
def test_the_reveal_budget_still_answers_429_with_the_redis_cache(redis_cache, client, secretary_a, case_a):  # noqa: F811
    party = case_a.parties.get(name="张三")
    client.force_login(secretary_a)
    for i in range(django_settings.PII_REVEALS_PER_HOUR):
        assert client.post(reveal_url(case_a, party), {"reason": f"第{i}次核对身份"}).status_code == 200
    assert client.post(reveal_url(case_a, party), {"reason": "再看一次号码"}).status_code == 429
    assert PiiReveal.objects.count() == django_settings.PII_REVEALS_PER_HOUR
