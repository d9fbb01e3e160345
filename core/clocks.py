"""Deadline clocks in words and colour: the one definition of the thresholds (剩N天 / 今日到期 / 超期N天).

Days are counted in local calendar dates (Asia/Shanghai): a deadline today is "今日到期" whatever the hour; one that
has passed today is still "今日到期" until midnight, then "超期1天". The agenda's "三日内到期" and the ledger's
filter use the same SOON_DAYS.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

SOON_DAYS = 3  # 三日内到期

OVERDUE, TODAY, SOON, LATER = "overdue", "today", "soon", "later"


@dataclass(frozen=True)
class Clock:
    text: str  # 剩5天 / 剩2天 / 今日到期 / 超期3天
    level: str  # OVERDUE, TODAY, SOON or LATER
    days: int  # calendar days left (negative: overdue by)

    @property
    def css(self) -> str:
        return f"clock clock-{self.level}"


def days_left(deadline: datetime.datetime, today: datetime.date | None = None) -> int:
    today = today or timezone.localdate()
    return (timezone.localtime(deadline).date() - today).days


def clock_for(deadline: datetime.datetime | None, *, today: datetime.date | None = None) -> Clock | None:
    """The clock of a running deadline seen from `today` (default: now); None when there is no deadline."""
    if deadline is None:
        return None
    days = days_left(deadline, today)
    if days < 0:
        return Clock(f"超期{-days}天", OVERDUE, days)
    if days == 0:
        return Clock("今日到期", TODAY, days)
    return Clock(f"剩{days}天", SOON if days <= SOON_DAYS else LATER, days)
