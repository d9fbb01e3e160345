"""Deadlines: which rule applies, how days are counted, and what "overdue" / "due soon" mean. See docs/deadlines.md.

Counting (民法典 第二百零一条、第二百零三条):
* the start day does not count;
* CALENDAR: add N calendar days; if that day is not a working day (weekend or statutory holiday) the deadline moves
  to the next working day — a make-up workday (调休上班) counts as a working day;
* WORKDAY: count N working days after the start day.
The deadline instant is the end of the due day, local time (23:59:59 Asia/Shanghai).

Working days follow the State Council schedule: the `chinesecalendar` package (2004–2026 in 1.11), overridden and
extended by the admin-edited `CalendarDay` table (节假日与调休). A year is *covered* when the package knows it or the
table has at least one row in it. A computation touching an uncovered year falls back to weekends only and warns
(logger "cases.rules.deadlines", and `calendar_gaps` / `gap_message` for pages).

Interface used by cases/workflow.py and the sweep:
    deadline_for(dispute, purpose, *, start=None) -> tuple[datetime, DeadlineRule | None]
"""

import datetime
import functools
import logging
from dataclasses import dataclass

import chinese_calendar
from django.db.models import Q
from django.utils import timezone

from core.clocks import SOON_DAYS

from ..models import (
    OPEN_STATUSES,
    CalendarDay,
    CalendarDayKind,
    DayMode,
    DeadlinePurpose,
    DeadlineRule,
    Tier,
)

logger = logging.getLogger("cases.rules.deadlines")

DEFAULT_DAYS = 7  # no matching rule: 7 calendar days (DESIGN.md §6, the village/town week)
DEFAULT_MODE = DayMode.CALENDAR
DEFAULT_WARN_DAYS = 2
DUE_SOON_DAYS = SOON_DAYS  # agenda and ledger: "due within 3 days" (DESIGN.md §5), the clocks' one threshold
ONE_DAY = datetime.timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------------
# The working-day calendar
# ---------------------------------------------------------------------------------------------------------------


@functools.cache
def package_covers(year: int) -> bool:
    """True when the installed chinesecalendar knows the State Council schedule of `year`."""
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def gap_message(years) -> str:
    """The warning shown to users and logged when deadlines were counted on weekends only."""
    return (f"{'、'.join(str(y) for y in years)}年节假日数据未录入，时限按周末推算，"
            "请管理员在“节假日与调休”中补录")


class WorkCalendar:
    """Working days for whole years `first_year`..`last_year`, from the package plus `CalendarDay` overrides.

    Loads the table rows of those years in ONE query. Asking about a later year loads the missing years (one more
    query, only for counts that run past the horizon the caller estimated — e.g. an admin marked months as
    holidays)."""

    def __init__(self, first_year: int, last_year: int):
        self.first_year = self.last_year = first_year
        self.overrides: dict[datetime.date, str] = {}
        self.table_years: set[int] = set()
        self.warned: set[int] = set()  # gaps already logged through this calendar (a sweep shares one)
        self._load(first_year, last_year)

    def _load(self, first_year, last_year):
        rows = CalendarDay.objects.filter(
            date__gte=datetime.date(first_year, 1, 1), date__lte=datetime.date(last_year, 12, 31)
        ).values_list("date", "kind")
        for day, kind in rows:
            self.overrides[day] = kind
            self.table_years.add(day.year)
        self.first_year, self.last_year = min(self.first_year, first_year), max(self.last_year, last_year)

    def _ensure(self, year):
        if year > self.last_year:
            self._load(self.last_year + 1, year)
        elif year < self.first_year:
            self._load(year, self.first_year - 1)

    def covers(self, year: int) -> bool:
        self._ensure(year)
        return package_covers(year) or year in self.table_years

    def is_workday(self, day: datetime.date) -> bool:
        self._ensure(day.year)
        kind = self.overrides.get(day)
        if kind is not None:
            return kind == CalendarDayKind.WORKDAY
        if package_covers(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5  # uncovered year: weekends only (the caller warns)

    def due_date(self, start: datetime.date, days: int, mode: str) -> datetime.date:
        """The last day of a period of `days` starting after `start` (the start day does not count)."""
        if mode == DayMode.WORKDAY:
            day, counted = start, 0
            while counted < days:
                day += ONE_DAY
                counted += self.is_workday(day)
            return day
        day = start + datetime.timedelta(days=days)
        while not self.is_workday(day):
            day += ONE_DAY
        return day


def _horizon(start: datetime.date, days: int, mode: str) -> datetime.date:
    """A generous guess of the last day a count may reach: weekends plus the longest holiday runs."""
    span = days * 2 if mode == DayMode.WORKDAY else days
    return start + datetime.timedelta(days=span + 30)


@dataclass(frozen=True)
class Reckoning:
    due: datetime.date
    gaps: tuple[int, ...]  # uncovered years the count ran through (weekends only there)

    @property
    def warning(self) -> str:
        return gap_message(self.gaps) if self.gaps else ""


def reckon(start: datetime.date, days: int, mode: str, *, calendar: WorkCalendar | None = None) -> Reckoning:
    """Count `days` from `start`. One CalendarDay query, none when a shared `calendar` is passed.

    Logs a warning (in Chinese) when the period ran through a year whose holidays are unknown — once per calendar,
    so a sweep sharing one calendar over many cases logs it once."""
    if calendar is None:
        calendar = WorkCalendar(start.year, _horizon(start, days, mode).year)
    due = calendar.due_date(start, days, mode)
    gaps = tuple(y for y in range((start + ONE_DAY).year, due.year + 1) if not calendar.covers(y))
    if set(gaps) - calendar.warned:
        calendar.warned.update(gaps)
        logger.warning("%s。（自 %s 起算 %s 个%s，到期日 %s）", gap_message(gaps), start, days,
                       DayMode(mode).label, due)
    return Reckoning(due, gaps)


def due_date(start: datetime.date, days: int, mode: str) -> datetime.date:
    return reckon(start, days, mode).due


def calendar_gaps(start_date: datetime.date, end_date: datetime.date) -> list[int]:
    """Years between the two dates (inclusive) whose holiday schedule is unknown: not in the package, no table rows.

    At most one query, and none when the package covers every year of the span."""
    years = [y for y in range(start_date.year, end_date.year + 1) if not package_covers(y)]
    if not years:
        return []
    entered = {d.year for d in CalendarDay.objects.filter(
        date__gte=datetime.date(years[0], 1, 1), date__lte=datetime.date(years[-1], 12, 31)
    ).dates("date", "year")}
    return [y for y in years if y not in entered]


def end_of_day(day: datetime.date) -> datetime.datetime:
    """23:59:59 of `day` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)),
                               timezone.get_default_timezone())


# ---------------------------------------------------------------------------------------------------------------
# Which rule applies
# ---------------------------------------------------------------------------------------------------------------

MATCH_FIELDS = ("tier", "category", "risk", "source")


def purpose_for(dispute) -> str:
    """The purpose whose rule governs the case's current deadline — THE mapping, used by the sweep and workflow.

    A case handed to a unit runs on the transfer clock (workflow.transfer sets it so, at the town or the county);
    otherwise the village settles or refers, the town works to its 四定, the county settles."""
    if dispute.holder_unit_id:
        return DeadlinePurpose.TRANSFER
    if dispute.tier == Tier.TOWN:
        return DeadlinePurpose.ASSIGNMENT
    return DeadlinePurpose.SETTLE


def pick_rule(rules, dispute, purpose: str) -> DeadlineRule | None:
    """The most specific active rule of `purpose` matching the case (more non-blank conditions wins; ties: lowest id).

    Pure: `rules` is any iterable of rules (the sweep loads them all once)."""
    best, best_key = None, None
    for rule in rules:
        if not rule.active or rule.purpose != purpose:
            continue
        if any(getattr(rule, f) and getattr(rule, f) != getattr(dispute, f) for f in MATCH_FIELDS):
            continue
        key = (-sum(bool(getattr(rule, f)) for f in MATCH_FIELDS), rule.pk)
        if best_key is None or key < best_key:
            best, best_key = rule, key
    return best


def rule_for(dispute, purpose: str) -> DeadlineRule | None:
    """One query: the candidate rules that could match, then the most specific of them."""
    conditions = Q(active=True, purpose=purpose)
    for f in MATCH_FIELDS:
        conditions &= Q(**{f: ""}) | Q(**{f: getattr(dispute, f)})
    return pick_rule(DeadlineRule.objects.filter(conditions), dispute, purpose)


def deadline_for(dispute, purpose: str, *, start=None, rules=None, calendar: WorkCalendar | None = None):
    """(deadline instant, rule) for `purpose` counted from `start` (default now): two queries, rule + calendar.

    The sweep passes `rules` (all active rules, loaded once) and a shared `calendar`, and so runs no query here."""
    start = start or timezone.now()
    rule = pick_rule(rules, dispute, purpose) if rules is not None else rule_for(dispute, purpose)
    days, mode = (rule.days, rule.mode) if rule else (DEFAULT_DAYS, DEFAULT_MODE)
    return end_of_day(reckon(timezone.localtime(start).date(), days, mode, calendar=calendar).due), rule


def warn_days(rule: DeadlineRule | None) -> int:
    return rule.warn_before_days if rule else DEFAULT_WARN_DAYS


def warn_from(deadline: datetime.datetime, days: int) -> datetime.datetime:
    """When the 黄牌 starts: 00:00 local of the day `days` before the due day (warn 2, due 10-13 → 10-11 00:00)."""
    day = timezone.localtime(deadline).date() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone())


# ---------------------------------------------------------------------------------------------------------------
# Derived states for lists (overdue is never stored)
# ---------------------------------------------------------------------------------------------------------------


def overdue_q(now=None) -> Q:
    """Open cases whose deadline has passed. Served by the partial index dispute_open_deadline."""
    return Q(status__in=OPEN_STATUSES, deadline__lt=now or timezone.now())


def due_soon_q(now=None, *, days: int = DUE_SOON_DAYS) -> Q:
    """Open cases not yet overdue whose due day is within `days` local days (today counts as within)."""
    now = now or timezone.now()
    until = end_of_day(timezone.localtime(now).date() + datetime.timedelta(days=days))
    return Q(status__in=OPEN_STATUSES, deadline__gte=now, deadline__lte=until)


# ---------------------------------------------------------------------------------------------------------------
# 司法确认 (人民调解法 第三十三条): the parties may jointly apply to the court within 30 days of the agreement taking
# effect. Counted like every period here (民法典 第二百零一条、第二百零三条: the effective day does not count; a
# last day that is a rest day moves to the next working day). The mediator is reminded on day 20.
# ---------------------------------------------------------------------------------------------------------------

CONFIRMATION_DAYS = 30
CONFIRMATION_REMIND_DAYS = 20


def confirmation_deadline(effective_on: datetime.date) -> datetime.datetime:
    """The end of the last day on which the parties may apply for 司法确认."""
    return end_of_day(due_date(effective_on, CONFIRMATION_DAYS, DayMode.CALENDAR))


def confirmation_reminder_on(effective_on: datetime.date) -> datetime.date:
    """The day the lead mediator's 待办 gets the reminder, if nothing has been recorded by then."""
    return effective_on + datetime.timedelta(days=CONFIRMATION_REMIND_DAYS)
