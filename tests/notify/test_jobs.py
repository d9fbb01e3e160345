"""The job queue (issue 13 point 1; docs/jobs.md): django-tasks with its database backend.

A job is a row written in the transaction of the change that asks for it (notify.jobs.enqueue_on_commit), so a
rolled-back change leaves no job and a committed one cannot lose its job. Here the jobs are run by the package's own
worker code in this process; test_jobs_worker_pg.py runs a real `manage.py db_worker` process on PostgreSQL."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from cases import services
from notify import jobs
from notify.models import Delivery, DeliveryStatus
from tests.conftest import VILLAGE_A
from tests.notify.delivery_fakes import KEY_ID, SECRET, FakeAliyunSms

pytestmark = pytest.mark.django_db

DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}


class Boom(Exception):
    pass


def run_ready_jobs() -> int:
    """What one `db_worker --batch` pass does: claim each ready job under a row lock and run it."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test-worker", excluded_queue_names=[])
    ran = 0
    while (row := DBTaskResult.objects.ready().get_locked()) is not None:
        row.claim(worker.worker_id)
        worker.run_task(row)
        ran += 1
    return ran


@pytest.fixture
def database_jobs(settings):
    settings.TASKS = DATABASE_BACKEND
    return task_backends["default"]


@pytest.fixture
def fake_sms(settings):
    with FakeAliyunSms(0, fail=2) as fake:
        settings.SMS_PROVIDER, settings.ALIYUN_SMS_ENDPOINT = "aliyun", fake.url + "/"
        settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
        settings.ALIYUN_SMS_SIGN_NAME, settings.SMS_TEMPLATE_CODE = "嘉祥县平安办", "SMS_100001"
        yield fake


@pytest.fixture
def case_for_town(make_case, secretary_a, town_x):
    person = town_x.person
    person.phone = "13800001111"
    person.save()
    return make_case(secretary_a, VILLAGE_A, title="宅基地边界纠纷")


def test_the_job_is_written_in_the_changes_transaction_and_rolls_back_with_it(
        database_jobs, fake_sms, case_for_town, secretary_a):
    with pytest.raises(Boom), transaction.atomic():
        services.refer_up(actor=secretary_a, dispute=case_for_town, reason="多次调解未果")
        (job,) = DBTaskResult.objects.all()  # already there inside the transaction, not after it
        assert (job.task_path, job.queue_name) == ("notify.jobs.deliver", "delivery")
        raise Boom
    assert not DBTaskResult.objects.exists() and not Delivery.objects.exists()
    assert run_ready_jobs() == 0 and fake_sms.requests == []


def test_a_committed_job_is_run_by_the_worker_retried_later_and_sent_once(
        database_jobs, fake_sms, case_for_town, secretary_a):
    services.refer_up(actor=secretary_a, dispute=case_for_town, reason="多次调解未果")
    (delivery,) = Delivery.objects.all()
    (job,) = DBTaskResult.objects.all()
    assert job.args_kwargs == {"args": [delivery.pk], "kwargs": {}}
    assert run_ready_jobs() == 1  # fails: the retry is a new job deferred by the back-off
    (retry,) = DBTaskResult.objects.filter(status="READY")
    assert retry.run_after == Delivery.objects.get().next_attempt_at
    assert run_ready_jobs() == 0  # not before its time
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=31), tick=False):
        assert run_ready_jobs() == 1  # fails again
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=3), tick=False):
        assert run_ready_jobs() == 1  # sent
        assert run_ready_jobs() == 0
        jobs.deliver.enqueue(delivery.pk)  # a stray duplicate job finds it sent
        assert run_ready_jobs() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)
    assert len(fake_sms.delivered) == 1
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_enqueue_on_commit_defers_only_where_the_backend_can(database_jobs):
    later = timezone.now() + datetime.timedelta(minutes=5)
    result = jobs.enqueue_on_commit(jobs.deliver_due, run_after=later)
    assert DBTaskResult.objects.get(pk=result.id).run_after == later


def test_with_the_immediate_backend_a_job_runs_at_commit_and_never_after_a_rollback(
        django_capture_on_commit_callbacks, monkeypatch):
    ran = []
    monkeypatch.setattr("notify.delivery.send.deliver_due", lambda **kw: ran.append(1) or {})
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            jobs.enqueue_on_commit(jobs.deliver_due)
            raise Boom
    assert ran == []
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            jobs.enqueue_on_commit(jobs.deliver_due)
            assert ran == []  # not inside the transaction
    assert ran == [1]
    assert jobs.enqueue_on_commit(jobs.deliver_due, run_after=timezone.now()) is None  # cannot defer: left to
    # the catch-up (manage.py deliver_due)
