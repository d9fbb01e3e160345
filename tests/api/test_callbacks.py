"""Result callbacks: signed, sent when the case of a work order is resolved and closed, retried with back-off."""

import datetime
import hashlib
import hmac
import json

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from api import callbacks
from api.models import Callback, CallbackAttempt, CallbackStatus
from cases import services as case_services
from cases.models import Dispute
from tests.api.conftest import work_order
from tests.api.fake_receiver import Receiver, closed_port_url

pytestmark = pytest.mark.django_db(transaction=False)


def _register(api_client, make_system, make_token, url):
    system = make_system(callback_url=url)
    token = make_token(system)[1]
    number = api_client(token).post("/api/v1/cases", work_order()).json()["number"]
    return system, Dispute.objects.get(number=number)


def _resolve(case, actor, capture):
    with capture(execute=True):
        case = case_services.start_handling(actor=actor, dispute=case)
    with capture(execute=True):
        return case_services.resolve(actor=actor, dispute=case, outcome="success", note="双方达成协议：张三赔偿")


def _verify(secret, received):
    headers = received["headers"]
    timestamp = headers["X-Jiaxiang-Timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + received["body"], hashlib.sha256).hexdigest()
    assert headers["X-Jiaxiang-Signature"] == f"sha256={expected}"
    assert abs(int(timestamp) - timezone.now().timestamp()) < 3600 * 48


def test_the_resolution_callback_is_signed_and_retried_after_a_failure(
        api_client, make_system, make_token, secretary_a, django_capture_on_commit_callbacks):
    with Receiver([500, 200]) as receiver:
        system, case = _register(api_client, make_system, make_token, receiver.url)
        _resolve(case, secretary_a, django_capture_on_commit_callbacks)
        callback = Callback.objects.get()
        assert len(receiver.received) == 1 and callback.status == CallbackStatus.PENDING
        assert callback.attempts == 1
        wait = callback.next_attempt_at - timezone.now()
        assert datetime.timedelta(seconds=50) < wait <= datetime.timedelta(seconds=callbacks.BACKOFF[0])

        call_command("send_callbacks", stdout=open("/dev/null", "w"))  # not due yet: nothing is sent
        assert len(receiver.received) == 1
        with time_machine.travel(callback.next_attempt_at + datetime.timedelta(seconds=1), tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                call_command("send_callbacks", stdout=open("/dev/null", "w"))
        assert len(receiver.received) == 2

    callback.refresh_from_db()
    assert callback.status == CallbackStatus.DELIVERED and callback.attempts == 2
    tries = list(CallbackAttempt.objects.filter(callback=callback))
    assert [(t.number, t.status_code, t.ok) for t in tries] == [(1, 500, False), (2, 200, True)]
    assert "500" in tries[0].error and tries[1].response == '{"ok": true}'
    for received in receiver.received:
        _verify(system.shown_secret, received)
    first, second = receiver.received
    assert first["headers"]["X-Jiaxiang-Delivery"] == second["headers"]["X-Jiaxiang-Delivery"]
    body = json.loads(second["body"])
    assert body["event"] == "resolved" and body["case"]["number"] == case.number
    assert body["case"]["status"] == "resolved" and body["case"]["outcome"] == "success"
    assert body["case"]["work_order_id"] == "WO-2026-0001"
    assert "张三" not in second["body"].decode() and "王某" not in second["body"].decode()


def test_a_tampered_body_does_not_verify(api_client, make_system, make_token, secretary_a,
                                         django_capture_on_commit_callbacks):
    with Receiver([200]) as receiver:
        system, case = _register(api_client, make_system, make_token, receiver.url)
        _resolve(case, secretary_a, django_capture_on_commit_callbacks)
    received = dict(receiver.received[0])
    received["body"] = received["body"].replace(b"resolved", b"rejected")
    with pytest.raises(AssertionError):
        _verify(system.shown_secret, received)


def test_closing_sends_a_second_callback(api_client, make_system, make_token, secretary_a,
                                         django_capture_on_commit_callbacks):
    with Receiver([200, 200]) as receiver:
        _, case = _register(api_client, make_system, make_token, receiver.url)
        case = _resolve(case, secretary_a, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            case_services.record_visit(actor=secretary_a, dispute=case, visited_on=timezone.localdate(),
                                       agreement_kept=True, satisfaction="satisfied", relapse_signs=False)
            case_services.close_case(actor=secretary_a, dispute=case)
    assert [json.loads(r["body"])["event"] for r in receiver.received] == ["resolved", "closed"]
    assert json.loads(receiver.received[1]["body"])["case"]["status"] == "closed"
    assert set(Callback.objects.values_list("status", flat=True)) == {CallbackStatus.DELIVERED}


def test_a_rolled_back_resolution_sends_nothing(api_client, make_system, make_token, secretary_a,
                                                django_capture_on_commit_callbacks):
    from django.db import transaction

    with Receiver([200]) as receiver:
        _, case = _register(api_client, make_system, make_token, receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            case = case_services.start_handling(actor=secretary_a, dispute=case)
        with django_capture_on_commit_callbacks(execute=True) as queued:
            with pytest.raises(RuntimeError), transaction.atomic():
                case_services.resolve(actor=secretary_a, dispute=case, outcome="success")
                raise RuntimeError("later step failed")
        assert queued == [] and receiver.received == []
    assert not Callback.objects.exists()


def test_cases_not_from_a_work_order_and_systems_without_url_get_no_callback(
        api_client, make_system, make_token, make_case, secretary_a, django_capture_on_commit_callbacks):
    from tests.conftest import VILLAGE_A

    _, case = _register(api_client, make_system, make_token, "")
    _resolve(case, secretary_a, django_capture_on_commit_callbacks)
    _resolve(make_case(secretary_a, VILLAGE_A), secretary_a, django_capture_on_commit_callbacks)
    assert not Callback.objects.exists()


def test_a_deferring_backend_gets_the_retry_with_run_after(api_client, make_system, make_token, secretary_a,
                                                            django_capture_on_commit_callbacks):
    from django_tasks import default_task_backend

    with Receiver([503]) as receiver:
        _, case = _register(api_client, make_system, make_token, receiver.url)
        _resolve(case, secretary_a, django_capture_on_commit_callbacks)
        callback = Callback.objects.get()
        with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
            with django_capture_on_commit_callbacks(execute=True):
                callbacks.enqueue(callback)
            (queued,) = default_task_backend.results
            assert queued.task.run_after == callback.next_attempt_at and queued.args == [callback.pk]


def test_it_gives_up_after_the_last_attempt_and_two_senders_never_send_twice(api_client, make_system, make_token,
                                                                             secretary_a,
                                                                             django_capture_on_commit_callbacks):
    _, case = _register(api_client, make_system, make_token, closed_port_url())
    _resolve(case, secretary_a, django_capture_on_commit_callbacks)
    callback = Callback.objects.get()
    assert callback.attempts == 1 and callback.tries.get().error == "无法送达：对方拒绝连接"
    for _ in range(callbacks.MAX_ATTEMPTS - 1):
        callback.refresh_from_db()
        with time_machine.travel(callback.next_attempt_at + datetime.timedelta(seconds=1), tick=False):
            assert callbacks.send(callback.pk) in ("pending", "failed")
            assert callbacks.send(callback.pk) == "skipped"  # no longer due: a second sender does nothing
    callback.refresh_from_db()
    assert callback.status == CallbackStatus.FAILED and callback.attempts == callbacks.MAX_ATTEMPTS
    assert callback.tries.count() == callbacks.MAX_ATTEMPTS
