"""反复 at registration (issue 12 #7, DESIGN.md §4, §9): which earlier case a newly typed party may be a relapse of.

A dispute recurring between the same parties reopens the original case (services.reopen: it counts as 反复, never as
a new success). At registration the form looks, by the keyed hash of each typed ID number, for a case of that person
that was settled recently: now 已化解 or 已结案, with an outcome that settled it (调解成功 or 部分达成 — a case where
mediation failed or the applicant withdrew was not 化解), its latest resolution within the last 12 months.
"""

import datetime

from django.db.models import Q
from django.utils import timezone

from ..models import Outcome, Status

RECURRENCE_MONTHS = 12
SETTLED_STATUSES = (Status.RESOLVED, Status.CLOSED)
SETTLING_OUTCOMES = (Outcome.SUCCESS, Outcome.PARTIAL)


def recurrence_since(today: datetime.date) -> datetime.datetime:
    """The start of the window: local midnight of the same date `RECURRENCE_MONTHS` months earlier (29 Feb → 28 Feb)."""
    year, month = divmod(today.year * 12 + today.month - 1 - RECURRENCE_MONTHS, 12)
    month += 1
    day = today.day
    while True:
        try:
            start = datetime.date(year, month, day)
            break
        except ValueError:
            day -= 1
    return datetime.datetime.combine(start, datetime.time.min, tzinfo=timezone.get_current_timezone())


def recently_settled_q(prefix: str = "", *, today: datetime.date | None = None) -> Q:
    """Cases settled within the window, as a filter on Dispute (`prefix`: e.g. "dispute__" from Party)."""
    since = recurrence_since(today or timezone.localdate())
    return Q(**{f"{prefix}status__in": SETTLED_STATUSES, f"{prefix}outcome__in": SETTLING_OUTCOMES,
                f"{prefix}resolved_at__gte": since})
