"""A real worker process (`manage.py db_worker`, as systemd's jiaxiang-worker@.service runs it) delivers a committed
job on PostgreSQL, and a retry deferred by the back-off once its time has come."""

import datetime
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cases import services
from notify.models import Delivery, DeliveryStatus, Preference
from tests.conftest import VILLAGE_A
from tests.notify.delivery_fakes import KEY_ID, SECRET, FakeAliyunSms

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the real-worker test runs on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _reference_data():
    with open(os.devnull, "w") as null:
        call_command("load_divisions", verbosity=0, stdout=null)
        call_command("seed_reference", stdout=null)


@pytest.fixture(scope="module")
def reference_data_after_flush(django_db_setup, django_db_blocker):
    """The transactional test's flush deletes the reference rows; put them back for the tests after it."""
    yield
    with django_db_blocker.unblock():
        _reference_data()


def awake_all_day(user):
    """No quiet hours (start = end): these tests send at whatever time CI runs them, 22:00–07:00 included."""
    Preference.objects.update_or_create(user=user, defaults={"quiet_start": datetime.time(0, 0),
                                                             "quiet_end": datetime.time(0, 0)})


def run_worker(fake) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    env = {**os.environ,
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
           "FIELD_ENCRYPTION_KEY": django_settings.FIELD_ENCRYPTION_KEY, "FIELD_HASH_KEY": "",
           "SMS_PROVIDER": "aliyun", "ALIYUN_SMS_ENDPOINT": fake.url + "/", "ALIYUN_SMS_ACCESS_KEY_ID": KEY_ID,
           "ALIYUN_SMS_ACCESS_KEY_SECRET": SECRET, "ALIYUN_SMS_SIGN_NAME": "嘉祥县平安办",
           "SMS_TEMPLATE_CODE": "SMS_100001", "CONN_MAX_AGE": "0"}
    return subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload",
         "--queue-name", "*", "--interval", "0"],
        cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_worker_process_delivers_a_committed_job(reference_data_after_flush, settings, make_case, make_user):
    _reference_data()
    from org.models import Role

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": []}}
    secretary = make_user(Role.VILLAGE_SECRETARY, VILLAGE_A, username="sec_pg")
    town = make_user(Role.TOWN_LEADER, "370829001000", username="town_pg")
    awake_all_day(town)
    person = town.person
    person.phone = "13800001111"
    person.save()
    case = make_case(secretary, VILLAGE_A, title="宅基地边界纠纷")
    with FakeAliyunSms(0, fail=1) as fake:
        services.refer_up(actor=secretary, dispute=case, reason="多次调解未果")  # commits: autocommit here
        (delivery,) = Delivery.objects.all()
        assert DBTaskResult.objects.filter(status="READY").count() == 1

        first = run_worker(fake)
        assert first.returncode == 0, first.stdout + first.stderr
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)  # the fake failed it
        (retry,) = DBTaskResult.objects.filter(status="READY")
        assert retry.run_after > timezone.now()  # deferred: this worker pass left it alone

        # 30 s pass (the back-off): the job and its delivery come due.
        past = timezone.now() - datetime.timedelta(seconds=1)
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=past)
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=past)
        second = run_worker(fake)
        assert second.returncode == 0, second.stdout + second.stderr
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
    assert [q["PhoneNumbers"] for q in fake.delivered] == ["13800001111"]
    assert list(delivery.tries.values_list("ok", flat=True)) == [False, True]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_two_workers_trying_one_delivery_at_once_send_it_once(reference_data_after_flush, settings, make_case,
                                                               make_user):
    """Two workers on two machines got the same delivery (a retry job and the catch-up): the first locks the row
    for the whole try (FOR UPDATE SKIP LOCKED), the second skips it; afterwards it is 已发送 and stays so."""
    import threading

    from django.db import connections

    from notify.delivery import send
    from org.models import Role

    _reference_data()
    secretary = make_user(Role.VILLAGE_SECRETARY, VILLAGE_A, username="sec_pg2")
    town = make_user(Role.TOWN_LEADER, "370829001000", username="town_pg2")
    awake_all_day(town)
    person = town.person
    person.phone = "13800002222"
    person.save()
    case = make_case(secretary, VILLAGE_A, title="相邻通行纠纷")
    with FakeAliyunSms(1, delay=1.0) as fake:
        settings.SMS_PROVIDER, settings.ALIYUN_SMS_ENDPOINT = "aliyun", fake.url + "/"
        settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
        settings.ALIYUN_SMS_SIGN_NAME, settings.SMS_TEMPLATE_CODE = "嘉祥县平安办", "SMS_100001"
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": []}}
        services.refer_up(actor=secretary, dispute=case, reason="多次调解未果")  # the job is not run here
        (delivery,) = Delivery.objects.all()
        results, barrier = [], threading.Barrier(2)

        def worker():
            barrier.wait(timeout=10)
            try:
                results.append(send.deliver(delivery.pk))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(results) == ["sent", "skipped"]
        assert send.deliver(delivery.pk) == "skipped"
    assert len(fake.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
