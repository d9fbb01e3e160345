"""The delivery job: one try of one `Delivery`, safe to run twice at once and to run again after a crash.

The delivery row is locked (`SELECT … FOR UPDATE SKIP LOCKED`) for the whole try, so a second worker holding the
same job skips it; a row already 已发送 is never sent again, whoever asks. A failed try records its attempt and
schedules the next one with back-off (rules.backoff) in the same transaction; `deliver_due` (manage.py deliver_due,
run by the timer) picks up whatever is due and has no job — after a channel was down, with a backend that cannot
defer jobs, or when a job row was lost.
"""

import logging

from django.db import transaction
from django.utils import timezone

from ..models import Channel, Delivery, DeliveryAttempt, DeliveryStatus
from . import mail, messages, rules, sms, wecom
from .outcome import Outcome

log = logging.getLogger("notify.delivery")


def deliver(delivery_id: int) -> str:
    """Try `delivery_id` now if it is due; returns what happened (sent / failed / retry / held / skipped …)."""
    from .. import jobs  # jobs imports this module

    now = timezone.now()
    with transaction.atomic():
        delivery = (Delivery.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("notification__dispute", "notification__recipient__person",
                                    "notification__recipient__notify_preference", "robot")
                    .filter(pk=delivery_id).first())
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return "skipped"  # sent, given up, or another worker holds it right now
        if delivery.next_attempt_at > now:
            return "not due"  # an early copy of the job: the one scheduled for next_attempt_at will do it
        notification = delivery.notification
        if notification.done_at is not None:
            _finish(delivery, DeliveryStatus.CANCELLED, "事项已办结，不再发送。")
            return "cancelled"
        preference = rules.preference_of(notification.recipient)
        held = rules.held_until(channel=delivery.channel, urgent=delivery.urgent, preference=preference, now=now)
        if held is not None:
            delivery.next_attempt_at = held
            delivery.note = f"免打扰时段，顺延至{timezone.localtime(held):%m月%d日%H:%M}发送。"
            delivery.save(update_fields=["next_attempt_at", "note"])
            jobs.enqueue_on_commit(jobs.deliver, delivery.pk, run_after=held)
            return "held"

        outcome = _try(delivery)
        delivery.attempts += 1
        DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now, ok=outcome.ok,
                                       answer=outcome.answer[:1000], duration_ms=outcome.duration_ms)
        if outcome.ok:
            delivery.sent_at = now
            _finish(delivery, DeliveryStatus.SENT, "")
            return "sent"
        if outcome.permanent or delivery.attempts >= rules.gives_up_after():
            why = "服务商拒绝，重试无效" if outcome.permanent else f"已尝试{delivery.attempts}次"
            _finish(delivery, DeliveryStatus.FAILED, f"{why}：{outcome.answer[:150]}")
            log.warning("通知发送失败，已停止重试：%s（%s）", delivery.key, why)
            return "failed"
        delivery.next_attempt_at = now + rules.backoff(delivery.attempts)
        delivery.note = f"第{delivery.attempts}次发送失败，{timezone.localtime(delivery.next_attempt_at):%H:%M:%S}重试。"
        delivery.save(update_fields=["attempts", "next_attempt_at", "note"])
        jobs.enqueue_on_commit(jobs.deliver, delivery.pk, run_after=delivery.next_attempt_at)
        return "retry"


def _finish(delivery, status, note):
    delivery.status, delivery.note = status, note
    delivery.save(update_fields=["status", "note", "attempts", "sent_at"])


def _try(delivery) -> Outcome:
    """Hand the message to the channel; whatever goes wrong is an unsuccessful Outcome, never an exception."""
    notification = delivery.notification
    try:
        if delivery.channel == Channel.SMS:
            phone = rules.phone_of(notification.recipient)
            if not phone:
                return Outcome(False, "人员库中没有该用户的手机号码。", permanent=True)
            template, params = messages.sms(notification, urgent=delivery.urgent)
            return sms.provider().send(phone=phone, template=template, params=params, out_id=delivery.key)
        if delivery.channel == Channel.WECOM:
            robot = delivery.robot
            if not robot.active:
                return Outcome(False, "群机器人已停用。", permanent=True)
            return wecom.post(key=robot.webhook_key, msgtype=robot.msgtype,
                              content=messages.robot(notification, robot.msgtype))
        if delivery.channel == Channel.EMAIL:
            address = notification.recipient.email
            if not address:
                return Outcome(False, "该用户没有登记电子邮箱。", permanent=True)
            subject, body = messages.email(notification)
            return mail.send(to=address, subject=subject, body=body, key=delivery.key)
        return Outcome(False, f"未知渠道 {delivery.channel}", permanent=True)
    except Exception as e:  # a misconfigured provider, a bug: recorded on the attempt, retried with back-off
        log.exception("通知发送出错：%s", delivery.key)
        return Outcome(False, f"{type(e).__name__}: {e}"[:500])


def deliver_due(*, limit: int = 500) -> dict:
    """Try every pending delivery whose time has come (oldest first); returns {outcome: count}."""
    due = list(Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now())
               .order_by("next_attempt_at", "id").values_list("pk", flat=True)[:limit])
    counts = {}
    for pk in due:
        result = deliver(pk)
        counts[result] = counts.get(result, 0) + 1
    return counts
