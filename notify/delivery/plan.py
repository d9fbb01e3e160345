"""Which deliveries a new notification gets, written in the transaction that created it (notify.queue.sync_case)."""

from django.contrib.auth import get_user_model

from core.validators import mask_phone

from ..models import Channel, Delivery, Robot
from . import rules


def plan(created) -> list[Delivery]:
    """`created`: [(Notification, queue.Item)] just created in this transaction. Writes their deliveries (one per
    notification and personal channel; one per item and division robot) and enqueues their jobs, all in the caller's
    transaction: if it rolls back, nothing is sent. Costs one read (the recipients with their preferences, phones and
    divisions' robots) and, when anything is to be sent, one insert plus one job row per delivery."""
    from .. import jobs

    if not created:
        return []
    users = {u.pk: u for u in get_user_model().objects.filter(pk__in={n.recipient_id for n, _ in created})
             .select_related("notify_preference", "person", "membership__division__wecom_robot")}
    rows, first_of_item, robots_of_item = [], {}, {}
    for notification, item in created:
        user = users[notification.recipient_id]
        urgent = getattr(item, "urgent", False)
        for channel in rules.personal_channels(user):
            where = mask_phone(rules.phone_of(user)) if channel == Channel.SMS else _mask_email(user.email)
            rows.append(Delivery(notification=notification, channel=channel, key=f"{channel}:{notification.pk}",
                                 destination=where, urgent=urgent))
        first_of_item.setdefault(item.key, notification)
        robot = _robot_of(user)
        if robot is not None:
            robots_of_item.setdefault(item.key, {})[robot.pk] = robot
    for key, notification in first_of_item.items():  # one message per item and group, whoever in it received it
        for robot in robots_of_item.get(key, {}).values():
            rows.append(Delivery(notification=notification, channel=Channel.WECOM, robot=robot,
                                 key=f"wecom:{robot.pk}:{notification.pk}", destination=robot.name[:100]))
    if not rows:
        return []
    made = Delivery.objects.bulk_create(rows)
    for delivery in made:
        jobs.enqueue_on_commit(jobs.deliver, delivery.pk)
    return made


def _robot_of(user):
    """The active group robot of the division the user belongs to (unit staff: their unit's division)."""
    membership = getattr(user, "membership", None)
    if membership is None:
        return None
    try:
        robot = membership.division.wecom_robot
    except Robot.DoesNotExist:
        return None
    return robot if robot.active else None


def _mask_email(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}"[:100]
