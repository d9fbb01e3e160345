"""Reporting periods (DESIGN.md §8): local dates [start, end], and the periods they are compared with.

Presets run from the start of the current week / month / quarter / year to today (本周至今 …). 环比 compares with the
period before:
* a period that starts on the 1st of a month is compared with the same span of months before it, day for day
  (本月至今 12-01…12-15 with 11-01…11-15; a whole month with the whole month before; a quarter with the quarter before);
* a week preset (starting on a Monday) with the same days of the week before;
* any other period with the equal number of days just before it.
同比 compares with the same dates one year earlier (29 February becomes 28 February).
"""

import calendar
import datetime
from dataclasses import dataclass

from django.utils import timezone

WEEK, MONTH, QUARTER, YEAR, CUSTOM = "week", "month", "quarter", "year", "custom"
PRESETS = {WEEK: "本周", MONTH: "本月", QUARTER: "本季度", YEAR: "本年"}
DEFAULT = MONTH
EARLIEST = datetime.date(2000, 1, 1)
LONGEST_DAYS = 366 * 5  # a custom period of at most five years


class PeriodError(ValueError):
    """A custom period that cannot be used; the message is shown to the user."""


def _month_end(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _shift_months(day: datetime.date, months: int, *, to_month_end: bool = False) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = _month_end(year, month)
    return datetime.date(year, month, last if to_month_end else min(day.day, last))


def _is_month_end(day: datetime.date) -> bool:
    return day.day == _month_end(day.year, day.month)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    kind: str = CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        span = f"{self.start:%Y年%m月%d日}至{self.end:%Y年%m月%d日}"
        if self.start == self.end:
            span = f"{self.start:%Y年%m月%d日}"
        name = PRESETS.get(self.kind)
        return f"{name}（{span}）" if name else span

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """Aware datetimes [start 00:00, the day after end 00:00) in local time: a range the created_at index serves."""
        tz = timezone.get_current_timezone()
        lo = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        hi = datetime.datetime.combine(self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        return lo, hi

    def previous(self) -> "Period":
        """环比: the period just before (module docstring)."""
        if self.start.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
            start = _shift_months(self.start, -months)
            end = _shift_months(self.end, -months, to_month_end=_is_month_end(self.end))
            return Period(start, end, self.kind)
        step = datetime.timedelta(days=7 if self.kind == WEEK else self.days)
        return Period(self.start - step, self.end - step, self.kind)

    def year_ago(self) -> "Period":
        """同比: the same dates one year earlier."""
        return Period(_shift_months(self.start, -12, to_month_end=False),
                      _shift_months(self.end, -12, to_month_end=_is_month_end(self.end)), self.kind)

    def weeks(self, limit: int | None = 12) -> list[datetime.date]:
        """The Mondays of the weeks overlapping the period, the last `limit` of them (all with None)."""
        first = self.start - datetime.timedelta(days=self.start.weekday())
        mondays = []
        day = first
        while day <= self.end:
            mondays.append(day)
            day += datetime.timedelta(days=7)
        return mondays[-limit:] if limit else mondays


def preset(kind: str, today: datetime.date | None = None) -> Period:
    """本周 / 本月 / 本季度 / 本年, from the period's first day to today."""
    today = today or timezone.localdate()
    if kind == WEEK:
        start = today - datetime.timedelta(days=today.weekday())
    elif kind == QUARTER:
        start = datetime.date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    elif kind == YEAR:
        start = datetime.date(today.year, 1, 1)
    else:
        kind, start = MONTH, today.replace(day=1)
    return Period(start, today, kind)


def trend_weeks(end: datetime.date, count: int = 12) -> list[datetime.date]:
    """The Mondays of the `count` weeks ending with the week that contains `end` (the 12-week trend)."""
    last = end - datetime.timedelta(days=end.weekday())
    return [last - datetime.timedelta(days=7 * i) for i in range(count - 1, -1, -1)]


def _parse_date(value: str, what: str) -> datetime.date:
    try:
        day = datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise PeriodError(f"{what}格式不正确，请按“年-月-日”填写，例如 2026-11-01。") from None
    if day < EARLIEST:
        raise PeriodError(f"{what}不能早于2000年1月1日。")
    return day


def from_query(data, today: datetime.date | None = None) -> Period:
    """The period a request asks for: ?period=week|month|quarter|year, or ?from=&to= (custom). Raises PeriodError."""
    today = today or timezone.localdate()
    kind = data.get("period") or (CUSTOM if data.get("from") or data.get("to") else DEFAULT)
    if kind in PRESETS:
        return preset(kind, today)
    if kind != CUSTOM:
        raise PeriodError("统计期间无效，已按本月统计。")
    start = _parse_date(data.get("from", ""), "开始日期")
    end = _parse_date(data.get("to", ""), "结束日期") if data.get("to") else today
    if end < start:
        raise PeriodError("结束日期不能早于开始日期。")
    if (end - start).days + 1 > LONGEST_DAYS:
        raise PeriodError("统计期间最长五年，请缩短。")
    return Period(start, end, CUSTOM)
