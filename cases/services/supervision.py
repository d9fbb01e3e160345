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
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from core.errors import Forbidden, Refused
from org.jurisdiction import county_code_of, township_code_of
from org.models import SYSTEM_USERNAME

from .. import policy
from ..models import (
    OPEN_STATUSES,
    Assignment,
    ClockMark,
    ClockMarkKind,
    DayMode,
    DeadlinePurpose,
    DeadlineRule,
    Dispute,
    EarlyWarning,
    EventKind,
    Referral,
    ReferralStatus,
    Supervision,
    SupervisionAction,
    SupervisionActionKind,
    SupervisionNoticeSequence,
    SupervisionStatus,
    Tier,
    WarningStatus,
)
from ..rules import deadlines
from . import mediation
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
    mediation_reminders: list[str] = field(default_factory=list)  # 回访到期, 司法确认 (services.mediation.remind)

    @property
    def total(self):
        return (len(self.due_soon) + len(self.overdue) + len(self.supervisions_opened) + len(self.escalated)
                + len(self.warnings_overdue) + len(self.mediation_reminders))


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
    report.mediation_reminders = mediation.remind(actor=actor, now=now)
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


# ---------------------------------------------------------------------------------------------------------------
# The 纪委's work on a supervision: 催办, 督办通知书, 回复, 约谈 / 通报 / 问责 (issue 11 point 2)
# ---------------------------------------------------------------------------------------------------------------

NOTICE_REPLY_WORKDAYS = 3  # 督办通知书: a written reply within three working days unless the 纪委 sets another date
MEASURE_EVENTS = {
    SupervisionActionKind.INTERVIEW: EventKind.SUPERVISION_INTERVIEW,
    SupervisionActionKind.CIRCULAR: EventKind.SUPERVISION_CIRCULAR,
    SupervisionActionKind.ACCOUNTABILITY: EventKind.SUPERVISION_ACCOUNTABLE,
}


def notice_prefix(division) -> str:
    """The issuing body's short form in the document number: 嘉纪督 for the county, 纸坊镇纪督 for a town."""
    return "嘉纪督" if division.level == "county" else f"{division.short_name}纪督"


def notice_number(division, year: int, seq: int) -> str:
    """嘉纪督〔2026〕12号: prefix, the year in 六角括号, the sequence without leading zeros."""
    return f"{notice_prefix(division)}〔{year}〕{seq}号"


def default_reply_by(start: datetime.date | None = None) -> datetime.date:
    """Three working days after `start` (today), by the work calendar (cases.rules.deadlines)."""
    return deadlines.due_date(start or timezone.localdate(), NOTICE_REPLY_WORKDAYS, DayMode.WORKDAY)


def _reserve_notice_seq(division_id, year: int) -> int:
    """The next number of the issuing division's year, under a row lock (like numbering.reserve_numbers)."""
    SupervisionNoticeSequence.objects.get_or_create(division_id=division_id, year=year)
    SupervisionNoticeSequence.objects.filter(division_id=division_id, year=year).update(last=F("last") + 1)
    return (SupervisionNoticeSequence.objects.select_for_update().values_list("last", flat=True)
            .get(division_id=division_id, year=year))


def _lock_for_work(actor, supervision, *, open_only: bool):
    """The case, then the supervision (the sweep's lock order), both locked; refused for anyone but the commission
    running it, and (for 催办 and 通知书) once it is no longer open."""
    case = Dispute.objects.select_for_update().get(pk=supervision.dispute_id)
    locked = Supervision.objects.select_for_update().select_related("division").get(pk=supervision.pk)
    if not policy.can_work_supervision(actor, locked):
        raise Forbidden(f"该督办由{locked.division.name}纪委负责，您不能记录督办工作。")
    if open_only and locked.status != SupervisionStatus.OPEN:
        raise Refused(f"该督办已是“{locked.get_status_display()}”状态，不能再催办或发督办通知书。")
    return case, locked


def _text(text, what) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(f"请填写{what}。", field="text")
    if len(text) > 2000:
        raise Refused(f"{what}不能超过2000字。", field="text")
    return text


def _day(on_date, what="日期") -> datetime.date:
    today = timezone.localdate()
    on_date = on_date or today
    if on_date > today:
        raise Refused(f"{what}不能晚于今天。", field="on_date")
    return on_date


@transaction.atomic
def remind_supervision(*, actor, supervision: Supervision, text: str, on_date=None) -> SupervisionAction:
    """催办: a recorded reminder; it lands in the 待办 of the 包案领导 and 责任人 (notify.queue) until they reply."""
    case, locked = _lock_for_work(actor, supervision, open_only=True)
    text = _text(text, "催办内容")
    action = SupervisionAction.objects.create(supervision=locked, kind=SupervisionActionKind.REMIND,
                                              on_date=_day(on_date), text=text, actor=actor)
    record_change(case, actor, EventKind.SUPERVISION_REMINDED, field="supervision", obj=action, bump=False,
                  note=text)
    return action


@transaction.atomic
def issue_supervision_notice(*, actor, supervision: Supervision, text: str, reply_by=None) -> SupervisionAction:
    """督办通知书: numbered once (per issuing 纪委 and year, under a row lock) and stored, so every download of the
    document shows the same number; the reply is due by `reply_by` (default: three working days)."""
    case, locked = _lock_for_work(actor, supervision, open_only=True)
    text = _text(text, "督办要求")
    today = timezone.localdate()
    reply_by = reply_by or default_reply_by(today)
    if reply_by <= today:
        raise Refused("要求回复日期须晚于今天。", field="reply_by")
    year = today.year
    seq = _reserve_notice_seq(locked.division_id, year)
    number = notice_number(locked.division, year, seq)
    action = SupervisionAction.objects.create(
        supervision=locked, kind=SupervisionActionKind.NOTICE, on_date=today, text=text, actor=actor,
        number=number, notice_division_id=locked.division_id, notice_year=year, notice_seq=seq, reply_by=reply_by,
    )
    record_change(case, actor, EventKind.SUPERVISION_NOTICE, field="reply_by", new=reply_by.isoformat(),
                  obj=action, bump=False, note=f"{number}，要求于{reply_by:%Y年%m月%d日}前书面回复。")
    return action


@transaction.atomic
def record_supervision_reply(*, actor, supervision: Supervision, replier: str, text: str, on_date=None,
                             notice: SupervisionAction | None = None) -> SupervisionAction:
    """回复: what the 责任人 (or 包案领导) answered, recorded by the 纪委 on their behalf (policy.can_work_supervision);
    `notice` names the 督办通知书 it answers. Clears the 催办 and the notice from their 待办."""
    case, locked = _lock_for_work(actor, supervision, open_only=False)
    replier = (replier or "").strip()
    if not replier:
        raise Refused("请填写回复人。", field="replier")
    if len(replier) > 50:
        raise Refused("回复人不能超过50字。", field="replier")
    text = _text(text, "回复内容")
    if notice is not None:
        if notice.supervision_id != locked.pk or notice.kind != SupervisionActionKind.NOTICE:
            raise Refused("所选通知书不属于该督办。", field="notice")
        if notice.replies.exists():
            raise Refused(f"{notice.number}已记录回复。", field="notice")
    action = SupervisionAction.objects.create(supervision=locked, kind=SupervisionActionKind.REPLY,
                                              on_date=_day(on_date, "回复日期"), text=text, actor=actor,
                                              reply_to=notice, replier=replier)
    late = notice is not None and action.on_date > notice.reply_by
    about = f"对{notice.number}的回复" if notice is not None else "回复"
    record_change(case, actor, EventKind.SUPERVISION_REPLIED, field="supervision", obj=action, bump=False,
                  note=f"{replier}{about}{'（逾期）' if late else ''}：{text}")
    return action


@transaction.atomic
def record_supervision_measure(*, actor, supervision: Supervision, kind: str, text: str,
                               on_date=None) -> SupervisionAction:
    """约谈 / 通报 / 问责 with date and text (also after the supervision ended: accountability often follows)."""
    if kind not in MEASURE_EVENTS:
        raise Refused("请选择约谈、通报或问责。", field="kind")
    case, locked = _lock_for_work(actor, supervision, open_only=False)
    label = SupervisionActionKind(kind).label
    text = _text(text, f"{label}情况")
    action = SupervisionAction.objects.create(supervision=locked, kind=kind, on_date=_day(on_date), text=text,
                                              actor=actor)
    record_change(case, actor, MEASURE_EVENTS[kind], field="supervision", obj=action, bump=False,
                  note=f"{action.on_date:%Y-%m-%d}{label}：{text}")
    return action
