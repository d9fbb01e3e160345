"""Deadline clocks in words and colour: the one definition of the thresholds (剩N天 / 今日到期 / 超期N天).

Days are counted in local calendar dates (Asia/Shanghai). A deadline that has passed is overdue at once, as the
ledger's 已逾期 filter counts it ("今日已超期" on its own day, then "超期N天"); one later today is "今日到期"; the
next SOON_DAYS days are "剩N天" in yellow. The agenda's and the ledger's "三日内到期" use the same SOON_DAYS.
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


def clock_for(deadline: datetime.datetime | None, *, now: datetime.datetime | None = None) -> Clock | None:
    """The clock of a running deadline seen from `now` (default: the current time); None without a deadline."""
    if deadline is None:
        return None
    now = now or timezone.now()
    days = days_left(deadline, timezone.localtime(now).date())
    if deadline < now:
        return Clock(f"超期{-days}天" if days < 0 else "今日已超期", OVERDUE, days)
    if days == 0:
        return Clock("今日到期", TODAY, days)
    return Clock(f"剩{days}天", SOON if days <= SOON_DAYS else LATER, days)
