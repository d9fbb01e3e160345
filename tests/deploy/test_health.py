"""/healthz (jiaxiang/health.py): database, migrations and job queue; JSON 200/503; no login, no personal data,
no cookie; one query when no queue is installed, two with one."""

import json

import pytest
from django.db import OperationalError, models
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import isolate_apps

from jiaxiang import health

pytestmark = pytest.mark.django_db


def get(client, **extra):
    response = client.get("/healthz", **extra)
    return response, json.loads(response.content)


@pytest.fixture
def no_queue(monkeypatch):
    """The job-queue package may or may not be installed in this environment: pretend the probe finds none (the
    package itself stays importable: notify's delivery uses it on every request that changes a case)."""
    monkeypatch.setattr(health, "queue_models", lambda: [])


def test_healthy_answer_is_json_200_without_login_cookie_or_personal_data(client, no_queue, django_assert_num_queries):
    with django_assert_num_queries(1):  # the migration table: also the proof that the database answers
        response, body = get(client)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert body == {"status": "ok", "checks": {"database": "ok", "migrations": "ok", "queue": "absent"}}
    assert not response.cookies  # no session, no CSRF cookie
    assert "no-store" in response["Cache-Control"]


def test_the_migrations_on_disk_are_read_once_per_process(client, no_queue, monkeypatch):
    calls = []
    real = health.MigrationLoader
    monkeypatch.setattr(health, "MigrationLoader", lambda *a, **k: calls.append(1) or real(*a, **k))
    health.expected_migrations.cache_clear()
    for _ in range(3):
        assert get(client)[0].status_code == 200
    assert calls == [1]


def test_an_unapplied_migration_answers_503(client, no_queue):
    MigrationRecorder.Migration.objects.filter(app="cases").order_by("-name").first().delete()  # rolled back after
    response, body = get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "checks": {"database": "ok", "migrations": "unapplied", "queue": "absent"}}


def test_an_unreachable_database_answers_503_without_details(client, no_queue, monkeypatch, caplog):
    def down(alias="default"):
        raise OperationalError('could not connect to server at "db.internal" as user "jiaxiang_app"')

    monkeypatch.setattr(health, "applied_migrations", down)
    response, body = get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "checks": {"database": "error", "migrations": "error", "queue": "error"}}
    assert "db.internal" not in response.content.decode() and "jiaxiang_app" not in response.content.decode()
    assert "db.internal" in caplog.text  # the operator finds the cause in the log


def test_a_reachable_queue_table_is_ok_and_costs_one_query(client, monkeypatch, django_assert_num_queries):
    from cases.models import Dispute

    monkeypatch.setattr(health, "queue_models", lambda: [Dispute])  # any migrated table stands in for the queue's
    with django_assert_num_queries(2):
        response, body = get(client)
    assert response.status_code == 200 and body["checks"]["queue"] == "ok"


@isolate_apps("core")
def test_a_queue_table_that_does_not_answer_is_503(client, monkeypatch):
    class TaskResult(models.Model):
        class Meta:
            app_label = "core"
            managed = False
            db_table = "jiaxiang_test_no_such_queue_table"

    monkeypatch.setattr(health, "queue_models", lambda: [TaskResult])
    response, body = get(client)
    assert response.status_code == 503
    assert body == {"status": "error", "checks": {"database": "ok", "migrations": "ok", "queue": "error"}}


def test_with_django_tasks_installed_its_database_backend_is_checked(client):
    pytest.importorskip("django_tasks", reason="django-tasks is not installed here: the check answers 'absent'")
    response, body = get(client)
    assert response.status_code == 200
    assert body["checks"]["queue"] in ("ok", "absent")  # "absent" unless a database backend app is installed


def test_probe_over_plain_http_is_not_redirected_to_https(client, settings, no_queue):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert get(client)[0].status_code == 200


def test_healthz_is_get_only(client, no_queue):
    assert client.post("/healthz").status_code == 405
