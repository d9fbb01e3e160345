"""Handling a case where it is held: start, 四定, 三包, resolve, 回访, close, reject, reopen (DESIGN.md §4).

Every service: keyword-only arguments, one transaction, the case row locked, the table checked (`_common.check`),
one `record_change` (timeline + audit + version), and a `Refused` with a Chinese message when the action is not
allowed — in which case nothing has changed.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import Refused
from org import people
from org.jurisdiction import COUNTY_CODE
from org.models import Unit

from ..models import (
    Assignment,
    DeadlinePurpose,
    Dispute,
    Duty,
    DutyKind,
    DutyLog,
    EventKind,
    Outcome,
    Status,
    SupervisionStatus,
    Tier,
    Visit,
    WarningStatus,
)
from ..policy import assignee_user_ids
from ..rules.deadlines import deadline_for, purpose_for
from ._common import check, lock_case, move, required, set_resolution
from .mediation import attach_visit, schedule_follow_ups
from .record import record_change


@transaction.atomic
def start_handling(*, actor, dispute, note="", meeting=None) -> Dispute:
    case = lock_case(actor, dispute)
    check("start", actor, case)
    old = move(case, "start")
    if case.deadline is None:
        case.deadline, _ = deadline_for(case, purpose_for(case))
    record_change(case, actor, EventKind.STARTED, field="status", old=old, new=case.status, meeting=meeting,
                  note=note.strip(), save=("status", "deadline"))
    return case


def _check_people(case, lead_leader, responsible_person, unit):
    """四定 people (org.people decides who may be named) and the unit: the holding town's own or a county unit."""
    holder = case.holder_division
    if unit.division_id not in (holder.code, COUNTY_CODE) or not unit.active:
        raise Refused(f"责任单位必须是{holder}的单位或县直单位。", field="responsible_unit")
    if why := people.leader_refusal(lead_leader, holder):
        raise Refused(why, field="lead_leader")
    if why := people.responsible_refusal(responsible_person, unit, case.village_id):
        raise Refused(why, field="responsible_person")


def _duties(assignment, duties: dict | None, responsible_person, deadline):
    """三包: each duty goes to the person named for it (default: the 责任人) by its date (default: the 办结时限)."""
    last_day = timezone.localtime(deadline).date()
    rows = []
    for kind in DutyKind.values:
        person, due_on = (duties or {}).get(kind) or (None, None)
        person = people.as_person(person) or responsible_person
        if not person.active:
            raise Refused(f"{person.name}已不在岗，不能承担“{DutyKind(kind).label}”。", field=f"duty_{kind}")
        due_on = due_on or last_day
        if due_on < timezone.localdate():
            raise Refused(f"“{DutyKind(kind).label}”的完成期限不能早于今天。", field=f"duty_{kind}_due")
        if due_on > last_day:
            raise Refused(f"“{DutyKind(kind).label}”的完成期限不能晚于办结时限。", field=f"duty_{kind}_due")
        rows.append(Duty(assignment=assignment, kind=kind, person=person, due_on=due_on))
    return Duty.objects.bulk_create(rows)


@transaction.atomic
def fix_assignment(*, actor, dispute, lead_leader, responsible_unit: Unit, responsible_person, measures: str,
                   deadline: datetime.datetime | None = None, meeting=None, duties: dict | None = None) -> Assignment:
    """四定: lead leader, responsible unit, responsible person (people of the directory, or accounts standing for
    theirs), deadline (default from the rules), measures; and the 三包 duties `{kind: (person, due date)}`."""
    case = lock_case(actor, dispute)
    check("assign", actor, case)
    measures = required(measures, "调处措施")
    lead_leader, responsible_person = people.as_person(lead_leader), people.as_person(responsible_person)
    _check_people(case, lead_leader, responsible_person, responsible_unit)
    if deadline is None:
        deadline, _ = deadline_for(case, DeadlinePurpose.ASSIGNMENT)
    elif deadline <= timezone.now():
        raise Refused("办结时限必须晚于现在。", field="deadline")
    Assignment.objects.filter(dispute=case, active=True).update(active=False)
    assignment = Assignment.objects.create(
        dispute=case, tier=case.tier, lead_leader=lead_leader, responsible_unit=responsible_unit,
        responsible_person=responsible_person, measures=measures, deadline=deadline, meeting=meeting,
        created_by=actor,
    )
    _duties(assignment, duties, responsible_person, deadline)
    old = move(case, "assign")
    case.deadline = deadline
    record_change(
        case, actor, EventKind.ASSIGNED, field="status", old=old, new=case.status, meeting=meeting,
        save=("status", "deadline"),
        note=(f"包案领导：{lead_leader.name}；责任单位：{responsible_unit}；"
              f"责任人：{responsible_person.name}；办结时限：{timezone.localtime(deadline):%Y-%m-%d}；"
              f"调处措施：{measures}"),
    )
    return assignment


@transaction.atomic
def record_duty(*, actor, dispute, kind: str, on_date: datetime.date, text: str, meeting=None) -> DutyLog:
    """三包记录: 包调处 / 包跟踪 / 包反馈. The holder, or a responsible person of the active 四定, may record."""
    case = lock_case(actor, dispute)
    assignment = case.assignments.filter(active=True).select_related("lead_leader", "responsible_person").first()
    if not (assignment and actor.pk in assignee_user_ids(assignment) and case.status == Status.IN_PROGRESS):
        check("duty", actor, case)
    if kind not in DutyKind.values:
        raise Refused("三包类别无效。", field="kind")
    if on_date > timezone.localdate():
        raise Refused("记录日期不能晚于今天。", field="on_date")
    text = required(text, "记录内容")
    log = DutyLog.objects.create(dispute=case, assignment=assignment, kind=kind, on_date=on_date, text=text,
                                 actor=actor)
    if assignment:
        assignment.duties.filter(kind=kind, done_at__isnull=True).update(done_at=timezone.now())
    record_change(case, actor, EventKind.DUTY, field="duty", new=kind, meeting=meeting,
                  note=f"{on_date:%Y-%m-%d}：{text}")
    return log


@transaction.atomic
def resolve(*, actor, dispute, outcome: str, note: str = "", meeting=None) -> Dispute:
    """化解. 调解不成 must say which route the parties were told of; a town case needs a 包反馈 entry first."""
    case = lock_case(actor, dispute)
    check("resolve", actor, case)
    if outcome not in Outcome.values:
        raise Refused("请选择化解结果。", field="outcome")
    if outcome == Outcome.FAILED and not note.strip():
        raise Refused("调解不成的，请写明已告知当事人的其他解决途径（诉讼、仲裁、行政处理等）。", field="note")
    if case.tier == Tier.TOWN and not case.duty_logs.filter(kind=DutyKind.FEEDBACK).exists():
        raise Refused("镇街案件化解前，责任人须至少有一条“包反馈”记录。")
    old = move(case, "resolve")
    resolution = set_resolution(case, outcome, note.strip(), timezone.now())
    schedule_follow_ups(case, case.resolved_at)
    case.supervisions.filter(status=SupervisionStatus.OPEN).update(
        status=SupervisionStatus.DONE, closed_at=timezone.now())
    record_change(case, actor, EventKind.RESOLVED, field="status", old=old, new=case.status, meeting=meeting,
                  note=f"{Outcome(outcome).label}{'：' + note.strip() if note.strip() else ''}",
                  save=("status", *resolution))
    return case


@transaction.atomic
def record_visit(*, actor, dispute, visited_on: datetime.date, agreement_kept, satisfaction: str,
                 relapse_signs: bool, note: str = "", meeting=None, performance: str = "") -> Visit:
    """回访: fulfils the due follow-ups of the resolution (services.mediation.attach_visit); `performance` also
    records the agreement's performance as found."""
    case = lock_case(actor, dispute)
    check("visit", actor, case)
    if visited_on > timezone.localdate():
        raise Refused("回访日期不能晚于今天。", field="visited_on")
    visit = Visit.objects.create(
        dispute=case, visited_on=visited_on, agreement_kept=agreement_kept, satisfaction=satisfaction,
        relapse_signs=relapse_signs, note=note.strip(), visitor=actor,
    )
    performed = attach_visit(case, visit, performance=performance)
    kept = {True: "协议已履行", False: "协议未履行", None: "无书面协议"}[agreement_kept]
    record_change(case, actor, EventKind.VISITED, field="visit", new=satisfaction, meeting=meeting,
                  note=f"{visited_on:%Y-%m-%d}；{kept}；{'有反复苗头' if relapse_signs else '无反复苗头'}"
                       f"{performed}{'；' + note.strip() if note.strip() else ''}")
    return visit


@transaction.atomic
def close_case(*, actor, dispute, note: str = "", meeting=None) -> Dispute:
    """结案 after a 回访 (or, for cases with 四定, a 包反馈)."""
    case = lock_case(actor, dispute)
    check("close", actor, case)
    if not (case.visits.exists() or case.duty_logs.filter(kind=DutyKind.FEEDBACK).exists()):
        raise Refused("结案前须完成回访或包反馈。")
    if case.warnings.filter(status=WarningStatus.OPEN).exists():
        raise Refused("结案前请先解除该案件的预警（写明解除理由）。")
    if case.visits.filter(relapse_signs=True).exists() and not note.strip():
        raise Refused("回访发现反复苗头，结案须写明理由。", field="note")
    old = move(case, "close")
    case.closed_at = timezone.now()
    record_change(case, actor, EventKind.CLOSED, field="status", old=old, new=case.status, meeting=meeting,
                  note=note.strip(), save=("status", "closed_at"))
    return case


@transaction.atomic
def reject(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """不予受理 (e.g. already before a court, not a civil dispute); the reason is required."""
    case = lock_case(actor, dispute)
    check("reject", actor, case)
    reason = required(reason, "不予受理的理由")
    old = move(case, "reject")
    case.closed_at = timezone.now()
    record_change(case, actor, EventKind.REJECTED, field="status", old=old, new=case.status, meeting=meeting,
                  note=reason, save=("status", "closed_at"))
    return case


@transaction.atomic
def reopen(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """A relapse between the same parties reopens the original case (it is not a new success)."""
    case = lock_case(actor, dispute)
    check("reopen", actor, case)
    reason = required(reason, "反复情况")
    old = move(case, "reopen")
    case.reopen_count += 1
    case.outcome, case.resolved_at, case.closed_at = "", None, None
    case.deadline, _ = deadline_for(case, purpose_for(case))
    record_change(case, actor, EventKind.REOPENED, field="status", old=old, new=case.status, meeting=meeting,
                  note=f"第{case.reopen_count}次反复：{reason}",
                  save=("status", "reopen_count", "outcome", "resolved_at", "closed_at", "deadline"))
    return case
