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
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.errors import Refused
from org.jurisdiction import county_code_of, township_code_of
from org.models import SYSTEM_USERNAME

from ..models import (
    OPEN_STATUSES,
    Assignment,
    ClockMark,
    ClockMarkKind,
    DeadlinePurpose,
    DeadlineRule,
    Dispute,
    EarlyWarning,
    EventKind,
    Referral,
    ReferralStatus,
    Supervision,
    SupervisionStatus,
    Tier,
    WarningStatus,
)
from ..rules import deadlines
from ._common import check, move
from .record import record_change

# What rule choice, the supervising division and the reports need of a case; the sweep loads nothing else.
CANDIDATE_FIELDS = ("id", "number", "title", "tier", "village_id", "category", "risk", "source", "holder_unit_id",
                    "deadline", "status", "holder_division_id", "version")


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
    case = _lock_open_case(case_id, deadline)
    if case is None or not _claim(case_id, ClockMarkKind.DUE_SOON, deadline):
        return False
    left = (timezone.localtime(deadline).date() - timezone.localtime(now).date()).days
    record_change(case, actor, EventKind.DUE_SOON, field="deadline", new=deadline.isoformat(), bump=False,
                  note=f"距办结时限还剩{left}天（{_fmt(deadline)}），请抓紧办理。" if left else
                  f"今天是办结时限（{_fmt(deadline)}），请抓紧办理。")
    return True


@transaction.atomic
def mark_overdue(*, case_id: int, deadline: datetime.datetime, actor, now: datetime.datetime) -> bool:
    """红牌, once per (case, deadline). True when this call recorded it."""
    case = _lock_open_case(case_id, deadline)
    if case is None or not _claim(case_id, ClockMarkKind.OVERDUE, deadline):
        return False
    record_change(case, actor, EventKind.OVERDUE, field="deadline", old=deadline.isoformat(), bump=False,
                  note=f"已超过办结时限（{_fmt(deadline)}）仍未办结。")
    return True


@transaction.atomic
def open_supervision(*, case_id: int, deadline: datetime.datetime, actor, now: datetime.datetime, rules=None,
                     calendar=None) -> Supervision | None:
    """纪委督办 of an overdue case, once per (case, missed deadline); None when it is already open (or the case
    is no longer open with this deadline)."""
    case = _lock_open_case(case_id, deadline)
    if case is None:
        return None
    due_at, _ = deadlines.deadline_for(case, DeadlinePurpose.SUPERVISION, start=now, rules=rules, calendar=calendar)
    try:
        with transaction.atomic():
            supervision = Supervision.objects.create(
                dispute_id=case_id, missed_deadline=deadline, due_at=due_at,
                division_id=supervising_division_code(case),
            )
    except IntegrityError:  # opened for this deadline already (an earlier run, or a copy running beside this one)
        return None
    who = "县纪委" if case.tier == Tier.COUNTY else "镇街纪委"
    record_change(case, actor, EventKind.SUPERVISION_OPENED, field="due_at", new=due_at.isoformat(), obj=supervision,
                  bump=False,
                  note=f"逾期未办结，由{who}督办，须在{_fmt(due_at)}前办结。")
    return supervision


@transaction.atomic
def escalate_supervision(*, supervision: Supervision, actor, now: datetime.datetime) -> bool:
    """督办逾期: mark the supervision escalated and raise the case to the county. True when this call did it.

    Locks the case first (the same order as every workflow service), then claims the supervision with a guarded
    update; a case resolved in the meantime is left alone. The move is the table's "escalate" transition."""
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
        record_change(case, actor, EventKind.SUPERVISION_OVERDUE, field="due_at", old=supervision.due_at.isoformat(),
                      obj=supervision, note=f"{late}，案件已在县级办理。")
        return True
    check("escalate", actor, case)
    old_tier, old_holder = case.tier, case.holder_division.short_name
    # A referral still waiting for 签收 ends here: the case is now held by the county (one holder, no dangling hop).
    Referral.objects.filter(dispute_id=case.pk, status=ReferralStatus.PENDING).update(
        status=ReferralStatus.ACCEPTED, decided_by=actor, decided_at=now,
        decision_note="督办逾期，案件已提级到县社会治理协调中心，本次提请随之结束。",
    )
    Assignment.objects.filter(dispute_id=case.pk, active=True).update(active=False)
    move(case, "escalate")
    case.tier, case.holder_division_id, case.holder_unit = Tier.COUNTY, county_code_of(case.village_id), None
    record_change(case, actor, EventKind.SUPERVISION_OVERDUE, field="tier", old=old_tier, new=Tier.COUNTY,
                  obj=supervision, save=("tier", "holder_division", "holder_unit", "status"),
                  note=f"{late}，由{old_holder}提级到县社会治理协调中心办理。")
    return True


@transaction.atomic
def mark_warning_overdue(*, warning_id: int, actor, now: datetime.datetime) -> bool:
    """预警回复逾期: once per warning and reply deadline, when the recipient has not answered in time."""
    warning = (EarlyWarning.objects.select_related("dispute").filter(
        pk=warning_id, status=WarningStatus.OPEN, replied_at__isnull=True, respond_by__lt=now).first())
    if warning is None:
        return False
    case = Dispute.objects.select_for_update().get(pk=warning.dispute_id)
    if not _claim(case.pk, ClockMarkKind.WARNING_OVERDUE, warning.respond_by):
        return False
    record_change(case, actor, EventKind.WARNING_OVERDUE, field="warning", new=warning.level, obj=warning,
                  bump=False, note=f"{warning.get_level_display()}报送{warning.get_submitted_to_display()}后，"
                                   f"超过回复时限（{_fmt(warning.respond_by)}）仍未批示/回复。")
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
    warnings_overdue: list[str] = field(default_factory=list)

    @property
    def total(self):
        return (len(self.due_soon) + len(self.overdue) + len(self.supervisions_opened) + len(self.escalated)
                + len(self.warnings_overdue))


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
        if mark_overdue(case_id=case.pk, deadline=case.deadline, actor=actor, now=now):
            report.overdue.append(case.number)
            if open_supervision(case_id=case.pk, deadline=case.deadline, actor=actor, now=now, rules=rules,
                                calendar=calendar):
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

    unanswered = EarlyWarning.objects.filter(status=WarningStatus.OPEN, replied_at__isnull=True, respond_by__lt=now)
    unmarked = ~Exists(ClockMark.objects.filter(dispute=OuterRef("dispute"), kind=ClockMarkKind.WARNING_OVERDUE,
                                                deadline=OuterRef("respond_by")))
    for warning in unanswered.filter(unmarked).select_related("dispute").only("id", "dispute__number"):
        if mark_warning_overdue(warning_id=warning.pk, actor=actor, now=now):
            report.warnings_overdue.append(warning.dispute.number)
    return report


# ---------------------------------------------------------------------------------------------------------------
# The 纪委 closes a supervision
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def close_supervision(*, actor, supervision: Supervision, note: str) -> Supervision:
    """督办办结: record the 纪委's closing note. Only an open supervision can be closed, and only once."""
    note = (note or "").strip()
    if not note:
        raise Refused("请填写督办办结意见。")
    # The case first, then the supervision: the same lock order as the sweep's escalation.
    case = Dispute.objects.select_for_update().get(pk=supervision.dispute_id)
    locked = Supervision.objects.select_for_update().get(pk=supervision.pk)
    if locked.status != SupervisionStatus.OPEN:
        raise Refused(f"该督办已是“{locked.get_status_display()}”状态，不能再办结。")
    locked.status, locked.closed_at, locked.note = SupervisionStatus.DONE, timezone.now(), note
    locked.save(update_fields=["status", "closed_at", "note"])
    record_change(case, actor, EventKind.SUPERVISION_CLOSED, field="supervision", old=SupervisionStatus.OPEN,
                  new=SupervisionStatus.DONE, note=note, obj=locked)
    return locked
