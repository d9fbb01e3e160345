"""纪委督办: the deadline sweep (黄牌, 红牌, opening and escalating supervision) and closing a supervision.

The sweep is run every few minutes by `manage.py sweep_deadlines` (docs/deadlines.md). It is idempotent and safe to
run twice at once: every clock event is claimed by inserting a `ClockMark` (unique per case, kind and deadline) inside
a savepoint; the copy whose insert loses gets an IntegrityError, treats it as "already done" and writes nothing.
Each case is handled in its own short transaction with the case row locked, so a user resolving the case at the same
moment is either seen (no mark) or waits a few milliseconds.

Reads are batched: the active rules, the overdue candidates, the due-soon candidates and the overdue supervisions
are one query each; only cases that actually get a mark cost further (write) queries.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from org.jurisdiction import township_code_of
from org.models import Level, Role
from org.selectors import membership_of

from . import deadlines
from .models import (
    OPEN_STATUSES,
    Assignment,
    CaseEvent,
    ClockMark,
    ClockMarkKind,
    DeadlinePurpose,
    DeadlineRule,
    Dispute,
    EventKind,
    Referral,
    ReferralStatus,
    Status,
    Supervision,
    SupervisionStatus,
    Tier,
)
from .selectors import cases_visible_to

SYSTEM_USERNAME = "system"
# What rule choice, the supervising division and the reports need of a case; the sweep loads nothing else.
CANDIDATE_FIELDS = ("id", "number", "tier", "village_id", "category", "risk", "source", "holder_unit_id", "deadline")


def county_code_of(code: str) -> str:
    return code[:6] + "000000"


def supervising_division_code(dispute) -> str:
    """Which 纪委 supervises: the township of the case's village for village/town cases, the county for county ones."""
    if dispute.tier == Tier.COUNTY:
        return county_code_of(dispute.village_id)
    return township_code_of(dispute.village_id)


def system_actor():
    """The user the sweep's timeline rows are written as ("系统"). Cannot log in. Safe under concurrent creation."""
    user, _ = get_user_model().objects.get_or_create(
        username=SYSTEM_USERNAME, defaults={"first_name": "系统", "password": make_password(None)},
    )
    return user


def _event(dispute_id, actor, kind, *, field="", old="", new="", note=""):
    return CaseEvent.objects.create(
        dispute_id=dispute_id, actor=actor, kind=kind, field=field, old_value=str(old)[:200],
        new_value=str(new)[:200], note=note,
    )


def _claim(dispute_id, kind, deadline) -> bool:
    """Insert the once-only mark; False when another run (or an earlier one) already holds it."""
    try:
        with transaction.atomic():
            ClockMark.objects.create(dispute_id=dispute_id, kind=kind, deadline=deadline)
    except IntegrityError:
        return False
    return True


def _fmt(instant) -> str:
    return f"{timezone.localtime(instant):%Y-%m-%d %H:%M}"


# ---------------------------------------------------------------------------------------------------------------
# One case, one clock event: each is one transaction
# ---------------------------------------------------------------------------------------------------------------


def _lock_open_case(case_id, deadline):
    """The case row, locked, if it is still open and still has this deadline; otherwise None (nothing to do)."""
    return (Dispute.objects.select_for_update()
            .filter(pk=case_id, status__in=OPEN_STATUSES, deadline=deadline)
            .only(*CANDIDATE_FIELDS)
            .first())


@transaction.atomic
def mark_due_soon(*, case_id: int, deadline: datetime.datetime, actor, now: datetime.datetime) -> bool:
    """黄牌: once per (case, deadline). True when this call recorded it."""
    if _lock_open_case(case_id, deadline) is None or not _claim(case_id, ClockMarkKind.DUE_SOON, deadline):
        return False
    left = (timezone.localtime(deadline).date() - timezone.localtime(now).date()).days
    _event(case_id, actor, EventKind.DUE_SOON, field="办结时限", new=_fmt(deadline),
           note=f"距办结时限还剩{left}天（{_fmt(deadline)}），请抓紧办理。" if left else
           f"今天是办结时限（{_fmt(deadline)}），请抓紧办理。")
    return True


@dataclass(frozen=True)
class OverdueResult:
    marked: bool  # this call recorded the red card
    supervision: Supervision | None = None  # … and opened this supervision


@transaction.atomic
def mark_overdue(*, case_id: int, deadline: datetime.datetime, actor, now: datetime.datetime, rules=None,
                 calendar=None) -> OverdueResult:
    """红牌 and 纪委督办, once per (case, deadline)."""
    case = _lock_open_case(case_id, deadline)
    if case is None or not _claim(case_id, ClockMarkKind.OVERDUE, deadline):
        return OverdueResult(False)
    _event(case_id, actor, EventKind.OVERDUE, field="办结时限", old=_fmt(deadline),
           note=f"已超过办结时限（{_fmt(deadline)}）仍未办结。")
    due_at, _ = deadlines.deadline_for(case, DeadlinePurpose.SUPERVISION, start=now, rules=rules, calendar=calendar)
    division_code = supervising_division_code(case)
    try:
        with transaction.atomic():
            supervision = Supervision.objects.create(
                dispute_id=case_id, missed_deadline=deadline, due_at=due_at, division_id=division_code,
            )
    except IntegrityError:  # already opened for this deadline by other means: the red card above still stands
        return OverdueResult(True)
    who = "县纪委" if case.tier == Tier.COUNTY else "镇街纪委"
    _event(case_id, actor, EventKind.SUPERVISION_OPENED, field="督办时限", new=_fmt(due_at),
           note=f"逾期未办结，由{who}督办，须在{_fmt(due_at)}前办结。")
    return OverdueResult(True, supervision)


@transaction.atomic
def escalate_supervision(*, supervision: Supervision, actor, now: datetime.datetime) -> bool:
    """督办逾期: mark the supervision escalated and raise the case to the county. True when this call did it.

    Locks the case first (the same order as every workflow service), then claims the supervision with a guarded
    update; a case resolved in the meantime is left alone."""
    case = (Dispute.objects.select_for_update().select_related("holder_division")
            .filter(pk=supervision.dispute_id, status__in=OPEN_STATUSES).first())
    if case is None:
        return False
    won = Supervision.objects.filter(pk=supervision.pk, status=SupervisionStatus.OPEN, due_at__lt=now).update(
        status=SupervisionStatus.ESCALATED
    )
    if not won or not _claim(case.pk, ClockMarkKind.SUPERVISION_OVERDUE, supervision.due_at):
        return False
    late = f"督办时限（{_fmt(supervision.due_at)}）已过仍未办结"
    if case.tier == Tier.COUNTY:
        _event(case.pk, actor, EventKind.SUPERVISION_OVERDUE, field="督办时限", old=_fmt(supervision.due_at),
               note=f"{late}，案件已在县级办理。")
        return True
    old = f"{case.get_tier_display()}·{case.holder_division.short_name}"
    # A referral still waiting for 签收 ends here: the case is now held by the county (one holder, no dangling hop).
    Referral.objects.filter(dispute_id=case.pk, status=ReferralStatus.PENDING).update(
        status=ReferralStatus.ACCEPTED, decided_by=actor, decided_at=now,
        decision_note="督办逾期，案件已提级到县社会治理协调中心，本次提请随之结束。",
    )
    Assignment.objects.filter(dispute_id=case.pk, active=True).update(active=False)
    Dispute.objects.filter(pk=case.pk).update(
        tier=Tier.COUNTY, holder_division_id=county_code_of(case.village_id), holder_unit=None,
        status=Status.IN_PROGRESS, version=F("version") + 1, updated_at=timezone.now(),
    )
    _event(case.pk, actor, EventKind.SUPERVISION_OVERDUE, field="当前层级", old=old, new="县·县社会治理协调中心",
           note=f"{late}，提级到县社会治理协调中心办理。")
    return True


# ---------------------------------------------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    due_soon: list[str] = field(default_factory=list)  # case numbers
    overdue: list[str] = field(default_factory=list)
    supervisions_opened: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)

    @property
    def total(self):
        return len(self.due_soon) + len(self.overdue) + len(self.supervisions_opened) + len(self.escalated)


def _unmarked(kind):
    return ~Exists(ClockMark.objects.filter(dispute=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline")))


def sweep(*, now: datetime.datetime | None = None) -> SweepReport:
    """One pass over the clock. Not one transaction: every case is its own (see the module docstring)."""
    now = now or timezone.now()
    report = SweepReport()
    actor = system_actor()
    rules = list(DeadlineRule.objects.filter(active=True))
    today = timezone.localtime(now).date()
    calendar = None  # loaded on first need; shared, since every supervision period starts today

    open_cases = Dispute.objects.filter(status__in=OPEN_STATUSES, deadline__isnull=False)
    for case in open_cases.filter(deadline__lt=now).filter(_unmarked(ClockMarkKind.OVERDUE)).only(*CANDIDATE_FIELDS):
        calendar = calendar or deadlines.WorkCalendar(today.year, today.year + 1)
        result = mark_overdue(case_id=case.pk, deadline=case.deadline, actor=actor, now=now, rules=rules,
                              calendar=calendar)
        if result.marked:
            report.overdue.append(case.number)
        if result.supervision:
            report.supervisions_opened.append(case.number)

    widest = max([deadlines.warn_days(r) for r in rules] + [deadlines.DEFAULT_WARN_DAYS])
    horizon = deadlines.end_of_day(today + datetime.timedelta(days=widest))
    soon = open_cases.filter(deadline__gte=now, deadline__lte=horizon).filter(_unmarked(ClockMarkKind.DUE_SOON))
    for case in soon.only(*CANDIDATE_FIELDS):
        rule = deadlines.pick_rule(rules, case, deadlines.purpose_for(case))
        if now < deadlines.warn_from(case.deadline, deadlines.warn_days(rule)):
            continue
        if mark_due_soon(case_id=case.pk, deadline=case.deadline, actor=actor, now=now):
            report.due_soon.append(case.number)

    late = Supervision.objects.filter(status=SupervisionStatus.OPEN, due_at__lt=now, dispute__status__in=OPEN_STATUSES)
    for supervision in late.select_related("dispute").only("id", "dispute_id", "due_at", "dispute__number"):
        if escalate_supervision(supervision=supervision, actor=actor, now=now):
            report.escalated.append(supervision.dispute.number)
    return report


# ---------------------------------------------------------------------------------------------------------------
# The 纪委's pages: visibility, access, and closing a supervision
# ---------------------------------------------------------------------------------------------------------------


def supervisions_visible_to(user) -> QuerySet:
    """Supervisions a discipline commission (纪委) user may see; PermissionDenied for every other role.

    Always within `cases_visible_to(user)` (a subquery, never a Python list). A town 纪委 sees the supervisions of
    its township's cases; the county 纪委 sees the supervisions it runs itself (division = the county)."""
    m = membership_of(user)
    if m is None or m.role != Role.DISCIPLINE:
        raise PermissionDenied("只有纪委用户可以查看督办案件。")
    qs = Supervision.objects.filter(dispute__in=cases_visible_to(user).values("pk"))
    if m.division.level == Level.COUNTY:
        qs = qs.filter(division_id=m.division_id)
    return qs


def get_supervision_for_user(user, pk, *, write=False) -> Supervision:
    """Wrong role → 403; a supervision outside the user's jurisdiction → 404 (its existence is not revealed).

    With `write`, only the commission that runs the supervision may act on it: a town 纪委 sees the county's
    supervision of one of its villages' cases but cannot close it (403)."""
    try:
        supervision = supervisions_visible_to(user).select_related("dispute", "division").get(pk=pk)
    except Supervision.DoesNotExist:
        raise Http404("未找到该督办事项。") from None
    if write and supervision.division_id != membership_of(user).division_id:
        raise PermissionDenied(f"该督办由{supervision.division.name}纪委负责，您不能办结。")
    return supervision


class SupervisionError(Exception):
    """The close is not allowed now; the message is shown to the user as is."""


@transaction.atomic
def close_supervision(*, actor, supervision: Supervision, note: str) -> Supervision:
    """督办办结: record the 纪委's closing note. Only an open supervision can be closed, and only once."""
    note = (note or "").strip()
    if not note:
        raise SupervisionError("请填写督办办结意见。")
    locked = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if locked.status != SupervisionStatus.OPEN:
        raise SupervisionError(f"该督办已是“{locked.get_status_display()}”状态，不能再办结。")
    locked.status, locked.closed_at, locked.note = SupervisionStatus.DONE, timezone.now(), note
    locked.save(update_fields=["status", "closed_at", "note"])
    _event(locked.dispute_id, actor, EventKind.SUPERVISION_CLOSED, field="督办状态",
           old=SupervisionStatus.OPEN.label, new=SupervisionStatus.DONE.label, note=note)
    return locked
