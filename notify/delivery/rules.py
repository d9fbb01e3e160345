"""Who is sent what, when: channels per user, quiet hours, back-off. One place for each rule (tests/notify/test_delivery_rules.py)."""

import datetime

from django.conf import settings
from django.utils import timezone

from ..models import Channel, Preference

QUIET_START = datetime.time(22, 0)
QUIET_END = datetime.time(7, 0)
# Seconds before the next try after the n-th failed one: 30 s, 2 min, 8 min, 32 min, then every hour.
BACKOFF_BASE, BACKOFF_FACTOR, BACKOFF_CAP = 30, 4, 3600


def preference_of(user) -> Preference:
    """The user's preference row, or an unsaved one holding the defaults (settings.NOTIFY_DEFAULT_CHANNELS)."""
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        channels = set(settings.NOTIFY_DEFAULT_CHANNELS)
        # user_id, not user=: assigning the user would cache this unsaved row as user.notify_preference.
        return Preference(user_id=user.pk, sms=Channel.SMS in channels, email=Channel.EMAIL in channels,
                          quiet_start=QUIET_START, quiet_end=QUIET_END)


def personal_channels(user) -> list[str]:
    """The user's own channels that have somewhere to go: SMS needs a phone in the 人员库, e-mail an address."""
    pref = preference_of(user)
    channels = []
    if pref.sms and phone_of(user):
        channels.append(Channel.SMS)
    if pref.email and user.email:
        channels.append(Channel.EMAIL)
    return channels


def phone_of(user) -> str:
    person = getattr(user, "person", None)
    return person.phone if person is not None and person.active else ""


def in_quiet_hours(local_time: datetime.time, start: datetime.time, end: datetime.time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local_time < end
    return local_time >= start or local_time < end  # across midnight: 22:00–07:00


def held_until(*, channel, urgent: bool, preference: Preference, now: datetime.datetime):
    """When a sending that is due `now` may go, if later: an SMS waits for the end of the user's quiet hours,
    except an urgent one (a red warning). E-mail and the group robot are never held. None = send now."""
    if channel != Channel.SMS or urgent:
        return None
    local = timezone.localtime(now)
    start, end = preference.quiet_start, preference.quiet_end
    if not in_quiet_hours(local.time(), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end), local.tzinfo)


def backoff(failed_attempts: int) -> datetime.timedelta:
    """The wait after `failed_attempts` failed tries (1 → 30 s)."""
    seconds = BACKOFF_BASE * BACKOFF_FACTOR ** max(failed_attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, BACKOFF_CAP))


def gives_up_after() -> int:
    return settings.NOTIFY_MAX_ATTEMPTS
