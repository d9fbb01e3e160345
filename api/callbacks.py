"""Result callbacks: when a case that came from a work order is resolved (化解) or closed (结案), the system that sent
it gets a signed JSON POST at its callback URL, retried with back-off until it answers 2xx (docs/api.md).

* `on_change` listens to every recorded case change (core.changes, published by cases' `record_change` inside its
  transaction): for 化解/结案 of a work order's case it stores a `Callback` with its body fixed now, and enqueues
  the task `api.tasks.deliver_callback` when the transaction commits (a rolled-back change sends nothing).
* `send` makes one attempt: it claims the callback with a guarded UPDATE (two workers never send it at once),
  POSTs it outside any transaction, records the `CallbackAttempt`, and on failure sets the next time from
  `BACKOFF`. A backend that can defer (the database backend) gets the retry enqueued with `run_after`; with the
  immediate backend `manage.py send_callbacks` sends what is due (it is also the catch-up after an outage).

Signature: `X-Jiaxiang-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`, with the timestamp
(Unix seconds) in `X-Jiaxiang-Timestamp`; `X-Jiaxiang-Delivery` is the same on every retry of one callback.
"""

import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import EventKind

from .models import Callback, CallbackAttempt, CallbackEvent, CallbackStatus, WorkOrder
from .selectors import case_state

EVENTS = {EventKind.RESOLVED: CallbackEvent.RESOLVED, EventKind.CLOSED: CallbackEvent.CLOSED}
# Seconds to wait after the 1st, 2nd … failed attempt; after the last one the callback is given up (FAILED).
BACKOFF = (60, 300, 1800, 7200, 21600, 86400)
MAX_ATTEMPTS = len(BACKOFF) + 1
TIMEOUT = 10  # seconds for the receiver to answer
LOCK = datetime.timedelta(seconds=TIMEOUT * 3)  # a claim older than this is a crashed worker's: claim it again
SIGNATURE_HEADER = "X-Jiaxiang-Signature"
TIMESTAMP_HEADER = "X-Jiaxiang-Timestamp"
DELIVERY_HEADER = "X-Jiaxiang-Delivery"
EVENT_HEADER = "X-Jiaxiang-Event"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def on_change(*, case, kind, actor, **_):
    """core.changes subscriber: queue the result callback of a work order's case that was resolved or closed."""
    event = EVENTS.get(kind)
    if event is None:
        return
    order = WorkOrder.objects.select_related("system").filter(dispute_id=case.pk).first()
    if order is None or not order.system.callback_url:
        return
    case.work_order = order
    callback = Callback.objects.create(work_order=order, event=event, url=order.system.callback_url, body="",
                                       next_attempt_at=timezone.now())
    body = {"event": event, "delivery_id": str(callback.delivery_id), "occurred_at": timezone.now().isoformat(),
            "case": case_state(case)}
    callback.body = json.dumps(body, ensure_ascii=False, sort_keys=True)
    callback.save(update_fields=["body"])
    transaction.on_commit(lambda: enqueue(callback))


def enqueue(callback: Callback) -> None:
    """Hand the callback to the job queue: at its next attempt time if the backend can defer, else now if due."""
    from .tasks import deliver_callback

    if deliver_callback.get_backend().supports_defer:
        deliver_callback.using(run_after=callback.next_attempt_at).enqueue(callback.pk)
    elif callback.next_attempt_at <= timezone.now():
        deliver_callback.enqueue(callback.pk)


def _post(callback: Callback) -> dict:
    secret = callback.work_order.system.callback_secret
    body = callback.body.encode("utf-8")
    timestamp = int(time.time())
    request = urllib.request.Request(callback.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "User-Agent": "jiaxiang-pingan/1",
        TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body),
        DELIVERY_HEADER: str(callback.delivery_id), EVENT_HEADER: callback.event,
    })
    opener = urllib.request.build_opener(_NoRedirect)
    started = time.monotonic()
    result = {"status_code": None, "ok": False, "error": "", "response": ""}
    try:
        with opener.open(request, timeout=TIMEOUT) as answer:
            result.update(status_code=answer.status, ok=200 <= answer.status < 300,
                          response=answer.read(2000).decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        result.update(status_code=error.code, error=f"对方返回 HTTP {error.code}",
                      response=error.read(2000).decode("utf-8", "replace"))
    except (urllib.error.URLError, OSError, ValueError) as error:
        result["error"] = "无法送达：" + _reason(getattr(error, "reason", error))
    result["duration_ms"] = int((time.monotonic() - started) * 1000)
    return result


def _reason(reason) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return "对方拒绝连接"
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return f"{TIMEOUT}秒内未应答"
    return str(reason)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a place to resend the signed body to."""

    def redirect_request(self, *args, **kwargs):
        return None


def send(callback_id: int) -> str:
    """One attempt at a due callback; returns its status afterwards ("skipped" if it was not ours to send)."""
    now = timezone.now()
    claimed = (Callback.objects.filter(pk=callback_id, status=CallbackStatus.PENDING, next_attempt_at__lte=now)
               .filter(Q(locked_until__isnull=True) | Q(locked_until__lt=now))
               .update(locked_until=now + LOCK))
    if not claimed:
        return "skipped"
    callback = Callback.objects.select_related("work_order__system").get(pk=callback_id)
    result = _post(callback)
    with transaction.atomic():
        number = callback.attempts + 1
        CallbackAttempt.objects.create(callback=callback, number=number, at=now, status_code=result["status_code"],
                                       ok=result["ok"], error=result["error"][:200],
                                       response=result["response"][:500], duration_ms=result["duration_ms"])
        callback.attempts, callback.locked_until = number, None
        if result["ok"]:
            callback.status, callback.delivered_at, callback.next_attempt_at = CallbackStatus.DELIVERED, timezone.now(), None
        elif number >= MAX_ATTEMPTS:
            callback.status, callback.next_attempt_at = CallbackStatus.FAILED, None
        else:
            callback.next_attempt_at = timezone.now() + datetime.timedelta(seconds=BACKOFF[number - 1])
        callback.save(update_fields=["attempts", "locked_until", "status", "delivered_at", "next_attempt_at"])
        if callback.status == CallbackStatus.PENDING:
            transaction.on_commit(lambda: enqueue(callback))
    return callback.status


def due(now=None):
    """Pending callbacks whose next attempt time has come (the partial index api_callback_pending_due)."""
    return Callback.objects.filter(status=CallbackStatus.PENDING, next_attempt_at__lte=now or timezone.now())
