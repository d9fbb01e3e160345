"""The case lifecycle (DESIGN.md §4): one transition table, one service per action.

Every service: keyword-only arguments, one transaction, the case row locked (select_for_update), the actor's role
and position checked against the table, one CaseEvent written, and a `WorkflowError` with a Chinese message when
the action is not allowed — in which case nothing has changed.
"""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from org.jurisdiction import is_within
from org.models import Division, Role, Unit, UnitKind
from org.selectors import membership_of

from .deadlines import deadline_for, purpose_for
from .models import (
    Assignment,
    CaseEvent,
    DeadlinePurpose,
    Dispute,
    DutyKind,
    DutyLog,
    EventKind,
    Outcome,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
    SupervisionStatus,
    Tier,
    Visit,
    Warning,
    WarningLevel,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
)
from .selectors import cases_visible_to

COUNTY_CODE = "370829000000"
TIER_RANK = {Tier.VILLAGE: 0, Tier.TOWN: 1, Tier.COUNTY: 2}
NEXT_TIER = {Tier.VILLAGE: Tier.TOWN, Tier.TOWN: Tier.COUNTY}


class WorkflowError(Exception):
    """An action that is not allowed now; the message is shown to the user as is."""


# Positions an actor can hold towards a case (see `position_of`).
HOLDER_VILLAGE = "village"  # a village user of the village currently holding the case
HOLDER_TOWN = "town"  # a town user of the town currently holding the case
HOLDER_COUNTY = "county"  # the county centre, case held at the county
HOLDER_UNIT = "unit"  # staff of the unit the case was transferred to
RECEIVER = "receiver"  # a user of the division a pending referral is addressed to

HOLDERS = {HOLDER_VILLAGE, HOLDER_TOWN, HOLDER_COUNTY, HOLDER_UNIT}
OPEN = {Status.LOGGED, Status.IN_PROGRESS, Status.REFERRED}


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset  # statuses the case may be in
    positions: frozenset  # positions the actor must hold
    target: str | None  # new status (None: unchanged)


# THE table. Services check it; the case page asks it which buttons to show.
TRANSITIONS = {
    "start": Transition("开始调处", frozenset({Status.LOGGED}), frozenset(HOLDERS), Status.IN_PROGRESS),
    "assign": Transition("落实四定", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                         frozenset({HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
    "duty": Transition("三包记录", frozenset({Status.IN_PROGRESS}), frozenset(HOLDERS), None),
    "refer": Transition("提请上级", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                        frozenset({HOLDER_VILLAGE, HOLDER_TOWN}), Status.REFERRED),
    "accept": Transition("签收", frozenset({Status.REFERRED}), frozenset({RECEIVER}), Status.IN_PROGRESS),
    "return": Transition("退回", frozenset({Status.REFERRED}), frozenset({RECEIVER}), Status.IN_PROGRESS),
    "transfer": Transition("移交责任单位", frozenset({Status.LOGGED, Status.IN_PROGRESS}),
                           frozenset({HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
    "warn": Transition("发出预警", frozenset(OPEN), frozenset({HOLDER_TOWN, HOLDER_COUNTY, RECEIVER}), None),
    "reassess_warning": Transition("重新评估预警", frozenset(OPEN | {Status.RESOLVED}),
                                   frozenset({HOLDER_TOWN, HOLDER_COUNTY}), None),
    "close_warning": Transition("解除预警", frozenset(OPEN | {Status.RESOLVED, Status.CLOSED, Status.REJECTED}),
                                frozenset({HOLDER_TOWN, HOLDER_COUNTY}), None),
    "resolve": Transition("化解", frozenset({Status.IN_PROGRESS}), frozenset(HOLDERS), Status.RESOLVED),
    "visit": Transition("回访", frozenset({Status.RESOLVED}), frozenset(HOLDERS), None),
    "close": Transition("结案", frozenset({Status.RESOLVED}), frozenset(HOLDERS - {HOLDER_UNIT}), Status.CLOSED),
    "reject": Transition("不予受理", frozenset({Status.LOGGED}), frozenset({HOLDER_VILLAGE, HOLDER_TOWN}),
                         Status.REJECTED),
    "reopen": Transition("纠纷反复，重新办理", frozenset({Status.RESOLVED, Status.CLOSED}),
                         frozenset({HOLDER_VILLAGE, HOLDER_TOWN, HOLDER_COUNTY}), Status.IN_PROGRESS),
}

VILLAGE_ROLES = {Role.VILLAGE_SECRETARY, Role.GRID_WORKER}
CASE_WRITE = "case_write"  # audit.models.Action.CASE_WRITE
TOWN_ROLES = {Role.TOWN_LEADER, Role.TOWN_STAFF}


def pending_referral(dispute) -> Referral | None:
    return dispute.referrals.filter(status=ReferralStatus.PENDING, kind=ReferralKind.REFER).first()


def position_of(user, dispute, *, referral=None) -> set[str]:
    """What the user is towards the case right now (may be several, e.g. holder and receiver)."""
    m = membership_of(user)
    if m is None:
        return set()
    positions = set()
    # The tier that holds a case keeps its position after transferring it to a unit: it follows up and closes.
    held_here = dispute.holder_division_id == m.division_id
    if m.role in VILLAGE_ROLES and dispute.tier == Tier.VILLAGE and held_here:
        positions.add(HOLDER_VILLAGE)
    if m.role in TOWN_ROLES and dispute.tier == Tier.TOWN and held_here:
        positions.add(HOLDER_TOWN)
    if m.role == Role.COUNTY_CENTRE and dispute.tier == Tier.COUNTY:
        positions.add(HOLDER_COUNTY)
    if m.role == Role.UNIT_STAFF and dispute.holder_unit_id and dispute.holder_unit_id == m.unit_id:
        positions.add(HOLDER_UNIT)
    if referral is not None and referral.to_division_id == m.division_id and (
        (referral.to_tier == Tier.TOWN and m.role in TOWN_ROLES)
        or (referral.to_tier == Tier.COUNTY and m.role == Role.COUNTY_CENTRE)
    ):
        positions.add(RECEIVER)
    return positions


def allowed_actions(user, dispute) -> list[str]:
    """Actions the table allows this user on this case now (the case page shows exactly these)."""
    referral = pending_referral(dispute) if dispute.status == Status.REFERRED else None
    positions = position_of(user, dispute, referral=referral)
    return [name for name, t in TRANSITIONS.items() if dispute.status in t.sources and positions & t.positions]


# ---------------------------------------------------------------------------------------------------------------


def _lock(user, dispute) -> Dispute:
    """Re-read the case under a row lock, through the user's visibility (outsiders: DoesNotExist -> 404 upstream)."""
    return cases_visible_to(user).select_for_update().get(pk=dispute.pk)


def _check_state(action, case):
    t = TRANSITIONS[action]
    if case.status not in t.sources:
        raise WorkflowError(f"案件当前状态为“{case.get_status_display()}”，不能{t.label}。")


def _check(action, user, case, *, referral=None) -> set[str]:
    t = TRANSITIONS[action]
    _check_state(action, case)
    positions = position_of(user, case, referral=referral)
    if not positions & t.positions:
        raise WorkflowError(f"您不是该案件当前的承办方，不能{t.label}。")
    return positions


def _event(case, actor, kind, *, meeting=None, field="", old="", new="", note=""):
    """The action's one timeline row and its one audit row (same transaction: both or neither)."""
    event = CaseEvent.objects.create(
        dispute=case, actor=actor, kind=kind, meeting=meeting, field=field, old_value=str(old)[:200],
        new_value=str(new)[:200], note=note,
    )
    audit.record(None, action=CASE_WRITE, obj=case, user=actor,
                 detail=f"{EventKind(kind).label}（{case.get_status_display()}）")
    return event


def _save(case, *fields):
    case.version = F("version") + 1
    case.save(update_fields=[*fields, "version", "updated_at"])
    case.refresh_from_db(fields=["version"])


def _set_status(case, target):
    old = case.get_status_display()
    if target:
        case.status = target
    return old


def _required(text, what):
    text = (text or "").strip()
    if not text:
        raise WorkflowError(f"请填写{what}。")
    return text


def _division_name(case):
    return str(case.holder_unit or case.holder_division)


# ---------------------------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------------------------


@transaction.atomic
def start_handling(*, actor, dispute, note="", meeting=None) -> Dispute:
    case = _lock(actor, dispute)
    _check("start", actor, case)
    old = _set_status(case, Status.IN_PROGRESS)
    if case.deadline is None:
        case.deadline, _ = deadline_for(case, purpose_for(case))
    _save(case, "status", "deadline")
    _event(case, actor, EventKind.STARTED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=note.strip())
    return case


@transaction.atomic
def fix_assignment(*, actor, dispute, lead_leader, responsible_unit: Unit, responsible_person, measures: str,
                   deadline: datetime.datetime | None = None, meeting=None) -> Assignment:
    """四定: lead leader, responsible unit, responsible person, deadline (default from the rules), measures."""
    case = _lock(actor, dispute)
    _check("assign", actor, case)
    measures = _required(measures, "调处措施")
    _check_people_in_jurisdiction(case, lead_leader, responsible_person, responsible_unit)
    if deadline is None:
        deadline, _ = deadline_for(case, DeadlinePurpose.ASSIGNMENT)
    elif deadline <= timezone.now():
        raise WorkflowError("办结时限必须晚于现在。")
    Assignment.objects.filter(dispute=case, active=True).update(active=False)
    assignment = Assignment.objects.create(
        dispute=case, tier=case.tier, lead_leader=lead_leader, responsible_unit=responsible_unit,
        responsible_person=responsible_person, measures=measures, deadline=deadline, meeting=meeting,
        created_by=actor,
    )
    old = _set_status(case, Status.IN_PROGRESS)
    case.deadline = deadline
    _save(case, "status", "deadline")
    _event(
        case, actor, EventKind.ASSIGNED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
        note=(f"包案领导：{_name(lead_leader)}；责任单位：{responsible_unit}；责任人：{_name(responsible_person)}；"
              f"办结时限：{timezone.localtime(deadline):%Y-%m-%d}；调处措施：{measures}"),
    )
    return assignment


def _name(user):
    return user.get_full_name() or user.username


def _check_people_in_jurisdiction(case, lead_leader, responsible_person, unit):
    """四定 people belong to the holding town (or the county); the unit is the town's own or a county unit."""
    holder = case.holder_division
    for who, label in ((lead_leader, "包案领导"), (responsible_person, "责任人")):
        m = membership_of(who)
        if m is None or not is_within(m.division_id, holder.code, holder.level):
            raise WorkflowError(f"{label}必须是{holder}范围内的工作人员。")
    if unit.division_id not in (holder.code, COUNTY_CODE) or not unit.active:
        raise WorkflowError(f"责任单位必须是{holder}的单位或县直单位。")


@transaction.atomic
def record_duty(*, actor, dispute, kind: str, on_date: datetime.date, text: str, meeting=None) -> DutyLog:
    """三包记录: 包调处 / 包跟踪 / 包反馈. The holder, or a responsible person of the active 四定, may record."""
    case = _lock(actor, dispute)
    assignment = case.assignments.filter(active=True).first()
    if not (assignment and actor.pk in (assignment.responsible_person_id, assignment.lead_leader_id)
            and case.status == Status.IN_PROGRESS):
        _check("duty", actor, case)
    if kind not in DutyKind.values:
        raise WorkflowError("三包类别无效。")
    if on_date > timezone.localdate():
        raise WorkflowError("记录日期不能晚于今天。")
    text = _required(text, "记录内容")
    log = DutyLog.objects.create(dispute=case, assignment=assignment, kind=kind, on_date=on_date, text=text,
                                 actor=actor)
    _save(case)
    _event(case, actor, EventKind.DUTY, meeting=meeting, field=DutyKind(kind).label, new=f"{on_date:%Y-%m-%d}",
           note=text)
    return log


@transaction.atomic
def refer_up(*, actor, dispute, reason: str, meeting=None) -> Referral:
    """提请: village → its town, town → the county. Waits for the upper tier's 签收 or 退回."""
    case = _lock(actor, dispute)
    _check("refer", actor, case)
    reason = _required(reason, "提请理由")
    to_tier = NEXT_TIER[case.tier]
    to_division = (case.village.parent if to_tier == Tier.TOWN else Division.objects.get(code=COUNTY_CODE))
    referral = Referral.objects.create(
        dispute=case, kind=ReferralKind.REFER, from_tier=case.tier, from_division=case.holder_division,
        to_tier=to_tier, to_division=to_division, reason=reason, meeting=meeting, created_by=actor,
    )
    old = _set_status(case, Status.REFERRED)
    _save(case, "status")
    _event(case, actor, EventKind.REFERRED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=f"{case.holder_division.short_name} → {to_division.short_name}：{reason}")
    return referral


@transaction.atomic
def accept_referral(*, actor, dispute, note="", meeting=None) -> Dispute:
    """签收: the case moves up one tier, held by the receiving division, in progress, with a new deadline."""
    case = _lock(actor, dispute)
    _check_state("accept", case)
    referral = _pending_for_update(case)
    _check("accept", actor, case, referral=referral)
    referral.status, referral.decided_by, referral.decided_at = ReferralStatus.ACCEPTED, actor, timezone.now()
    referral.decision_note = note.strip()
    referral.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    old_tier, old_holder = case.get_tier_display(), case.holder_division.short_name
    old = _set_status(case, Status.IN_PROGRESS)
    case.tier, case.holder_division, case.holder_unit = referral.to_tier, referral.to_division, None
    case.deadline, _ = deadline_for(case, purpose_for(case))
    _save(case, "status", "tier", "holder_division", "holder_unit", "deadline")
    Assignment.objects.filter(dispute=case, active=True).update(active=False)
    _event(case, actor, EventKind.ACCEPTED, meeting=meeting, field="层级",
           old=f"{old_tier}·{old_holder}（{old}）", new=f"{case.get_tier_display()}·{case.holder_division.short_name}",
           note=note.strip())
    return case


def _pending_for_update(case):
    referral = (Referral.objects.select_for_update()
                .filter(dispute=case, status=ReferralStatus.PENDING, kind=ReferralKind.REFER).first())
    if referral is None:
        raise WorkflowError("该案件没有待签收的提请。")
    return referral


@transaction.atomic
def return_referral(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """退回: the case goes back to the tier that referred it, in progress, with the receiver's note."""
    case = _lock(actor, dispute)
    _check_state("return", case)
    referral = _pending_for_update(case)
    _check("return", actor, case, referral=referral)
    reason = _required(reason, "退回理由")
    referral.status, referral.decided_by, referral.decided_at = ReferralStatus.RETURNED, actor, timezone.now()
    referral.decision_note = reason
    referral.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    old = _set_status(case, Status.IN_PROGRESS)
    _save(case, "status")
    _event(case, actor, EventKind.RETURNED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=f"{referral.to_division.short_name}退回{referral.from_division.short_name}：{reason}")
    return case


@transaction.atomic
def transfer_to_unit(*, actor, dispute, unit: Unit, reason: str, meeting=None) -> Referral:
    """移交: the county (or a town, to its own units) hands the case to a department or mediation committee."""
    case = _lock(actor, dispute)
    positions = _check("transfer", actor, case)
    reason = _required(reason, "移交事由")
    if not unit.active or unit.kind in (UnitKind.CENTRE, UnitKind.DISCIPLINE):
        raise WorkflowError("只能移交给职能部门或专业调解组织。")
    if HOLDER_COUNTY in positions and unit.division_id != COUNTY_CODE:
        raise WorkflowError("县级只能移交给县直部门或县级专业调解组织。")
    if HOLDER_TOWN in positions and unit.division_id != case.holder_division_id:
        raise WorkflowError("镇街只能移交给本镇街的单位。")
    deadline, _ = deadline_for(case, DeadlinePurpose.TRANSFER)
    old_holder = _division_name(case)
    referral = Referral.objects.create(
        dispute=case, kind=ReferralKind.TRANSFER, from_tier=case.tier, from_division=case.holder_division,
        to_tier=case.tier, to_division=unit.division, to_unit=unit, reason=reason, deadline=deadline,
        status=ReferralStatus.ACCEPTED, decided_by=actor, decided_at=timezone.now(), meeting=meeting,
        created_by=actor,
    )
    _set_status(case, Status.IN_PROGRESS)
    case.holder_unit, case.deadline = unit, deadline
    _save(case, "status", "holder_unit", "deadline")
    _event(case, actor, EventKind.TRANSFERRED, meeting=meeting, field="承办单位", old=old_holder,
           new=str(unit), note=f"{reason}（办理时限 {timezone.localtime(deadline):%Y-%m-%d}）")
    return referral


@transaction.atomic
def raise_warning(*, actor, dispute, level: str, triggers: list[str], reasons: str, submitted_to: str,
                  reassess_on: datetime.date, meeting=None) -> Warning:
    """预警 raised at town or county (also by the receiver of a pending referral), confirmed by a person."""
    case = _lock(actor, dispute)
    referral = pending_referral(case) if case.status == Status.REFERRED else None
    _check("warn", actor, case, referral=referral)
    if level not in WarningLevel.values:
        raise WorkflowError("预警等级无效。")
    triggers = [t for t in dict.fromkeys(triggers or []) if t in WarningTrigger.values]
    if not triggers:
        raise WorkflowError("请至少选择一种预警情形。")
    if submitted_to not in WarningTarget.values:
        raise WorkflowError("请选择报送对象。")
    if reassess_on < timezone.localdate():
        raise WorkflowError("重新评估日期不能早于今天。")
    reasons = _required(reasons, "预警理由")
    m = membership_of(actor)
    warning = Warning.objects.create(
        dispute=case, level=level, triggers=triggers, reasons=reasons, submitted_to=submitted_to,
        reassess_on=reassess_on, tier=Tier.COUNTY if m.division_id == COUNTY_CODE else Tier.TOWN,
        division=m.division, meeting=meeting, raised_by=actor,
    )
    _save(case)
    _event(case, actor, EventKind.WARNING_RAISED, meeting=meeting, field="预警", new=warning.get_level_display(),
           note=f"情形：{'、'.join(warning.trigger_labels())}；报送：{warning.get_submitted_to_display()}；"
                f"重新评估：{reassess_on:%Y-%m-%d}；理由：{reasons}")
    return warning


def _lock_warning(case, warning_id):
    warning = Warning.objects.select_for_update().filter(pk=warning_id, dispute=case).first()
    if warning is None:
        raise WorkflowError("未找到该预警。")
    if warning.status != WarningStatus.OPEN:
        raise WorkflowError("该预警已解除。")
    return warning


@transaction.atomic
def reassess_warning(*, actor, dispute, warning_id: int, level: str, reassess_on: datetime.date, note: str,
                     meeting=None) -> Warning:
    case = _lock(actor, dispute)
    _check("reassess_warning", actor, case)
    warning = _lock_warning(case, warning_id)
    if level not in WarningLevel.values:
        raise WorkflowError("预警等级无效。")
    if reassess_on < timezone.localdate():
        raise WorkflowError("重新评估日期不能早于今天。")
    note = _required(note, "评估意见")
    old = warning.get_level_display()
    warning.level, warning.reassess_on = level, reassess_on
    warning.save(update_fields=["level", "reassess_on"])
    _save(case)
    _event(case, actor, EventKind.WARNING_REASSESSED, meeting=meeting, field="预警等级", old=old,
           new=warning.get_level_display(), note=f"下次评估：{reassess_on:%Y-%m-%d}；{note}")
    return warning


@transaction.atomic
def close_warning(*, actor, dispute, warning_id: int, note: str, meeting=None) -> Warning:
    case = _lock(actor, dispute)
    _check("close_warning", actor, case)
    warning = _lock_warning(case, warning_id)
    note = _required(note, "解除理由")
    warning.status, warning.closed_at, warning.close_note = WarningStatus.CLOSED, timezone.now(), note
    warning.save(update_fields=["status", "closed_at", "close_note"])
    _save(case)
    _event(case, actor, EventKind.WARNING_CLOSED, meeting=meeting, field="预警", old=warning.get_level_display(),
           new="已解除", note=note)
    return warning


@transaction.atomic
def resolve(*, actor, dispute, outcome: str, note: str = "", meeting=None) -> Dispute:
    """化解. 调解不成 must say which route the parties were told of; a town case needs a 包反馈 entry first."""
    case = _lock(actor, dispute)
    _check("resolve", actor, case)
    if outcome not in Outcome.values:
        raise WorkflowError("请选择化解结果。")
    if outcome == Outcome.FAILED and not note.strip():
        raise WorkflowError("调解不成的，请写明已告知当事人的其他解决途径（诉讼、仲裁、行政处理等）。")
    if case.tier == Tier.TOWN and not case.duty_logs.filter(kind=DutyKind.FEEDBACK).exists():
        raise WorkflowError("镇街案件化解前，责任人须至少有一条“包反馈”记录。")
    old = _set_status(case, Status.RESOLVED)
    case.outcome, case.outcome_note, case.resolved_at = outcome, note.strip(), timezone.now()
    _save(case, "status", "outcome", "outcome_note", "resolved_at")
    case.supervisions.filter(status=SupervisionStatus.OPEN).update(
        status=SupervisionStatus.DONE, closed_at=timezone.now())
    _event(case, actor, EventKind.RESOLVED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=f"{Outcome(outcome).label}{'：' + note.strip() if note.strip() else ''}")
    return case


@transaction.atomic
def record_visit(*, actor, dispute, visited_on: datetime.date, agreement_kept, satisfaction: str,
                 relapse_signs: bool, note: str = "", meeting=None) -> Visit:
    case = _lock(actor, dispute)
    _check("visit", actor, case)
    if visited_on > timezone.localdate():
        raise WorkflowError("回访日期不能晚于今天。")
    visit = Visit.objects.create(
        dispute=case, visited_on=visited_on, agreement_kept=agreement_kept, satisfaction=satisfaction,
        relapse_signs=relapse_signs, note=note.strip(), visitor=actor,
    )
    _save(case)
    kept = {True: "协议已履行", False: "协议未履行", None: "无书面协议"}[agreement_kept]
    _event(case, actor, EventKind.VISITED, meeting=meeting, field="回访", new=visit.get_satisfaction_display(),
           note=f"{visited_on:%Y-%m-%d}；{kept}；{'有反复苗头' if relapse_signs else '无反复苗头'}"
                f"{'；' + note.strip() if note.strip() else ''}")
    return visit


@transaction.atomic
def close_case(*, actor, dispute, note: str = "", meeting=None) -> Dispute:
    """结案 after a 回访 (or, for cases with 四定, a 包反馈)."""
    case = _lock(actor, dispute)
    _check("close", actor, case)
    if not (case.visits.exists() or case.duty_logs.filter(kind=DutyKind.FEEDBACK).exists()):
        raise WorkflowError("结案前须完成回访或包反馈。")
    if case.warnings.filter(status=WarningStatus.OPEN).exists():
        raise WorkflowError("结案前请先解除该案件的预警（写明解除理由）。")
    if case.visits.filter(relapse_signs=True).exists() and not note.strip():
        raise WorkflowError("回访发现反复苗头，结案须写明理由。")
    old = _set_status(case, Status.CLOSED)
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    _event(case, actor, EventKind.CLOSED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=note.strip())
    return case


@transaction.atomic
def reject(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """不予受理 (e.g. already before a court, not a civil dispute); the reason is required."""
    case = _lock(actor, dispute)
    _check("reject", actor, case)
    reason = _required(reason, "不予受理的理由")
    old = _set_status(case, Status.REJECTED)
    case.closed_at = timezone.now()
    _save(case, "status", "closed_at")
    _event(case, actor, EventKind.REJECTED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=reason)
    return case


@transaction.atomic
def reopen(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """A relapse between the same parties reopens the original case (it is not a new success)."""
    case = _lock(actor, dispute)
    _check("reopen", actor, case)
    reason = _required(reason, "反复情况")
    old = _set_status(case, Status.IN_PROGRESS)
    case.reopen_count += 1
    case.outcome, case.resolved_at, case.closed_at = "", None, None
    case.deadline, _ = deadline_for(case, purpose_for(case))
    _save(case, "status", "reopen_count", "outcome", "resolved_at", "closed_at", "deadline")
    _event(case, actor, EventKind.REOPENED, meeting=meeting, field="状态", old=old, new=case.get_status_display(),
           note=f"第{case.reopen_count}次反复：{reason}")
    return case
