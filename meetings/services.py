"""All writes of meetings: open, edit, attendance, reviews (研判) with their decisions, flag overrides, close.

Every service takes keyword-only arguments, runs in one transaction with the meeting row locked, refuses with a
`Refused` carrying a Chinese message (nothing is saved then), and checks that the actor writes for the
meeting's own tier and division. Decisions on cases call the services of `cases.services` with `meeting=`, inside
the same transaction as the Review, so a refused action leaves no Review behind.
"""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from audit.models import Action
from cases import policy
from cases import services as workflow
from cases.models import EventKind, Status
from cases.rules import escalation
from cases.rules.transitions import allowed_actions as table_allows
from cases.rules.transitions import refusal_message
from cases.services import record_change
from core.errors import Refused
from org.models import Person
from org.selectors import membership_of

from . import agenda, minutes
from .models import (
    SAME_RECORDER_AND_CHECKER,
    Attendance,
    AttendeeKind,
    Decision,
    FlagOverride,
    Meeting,
    MeetingForm,
    MeetingStatus,
    Review,
)
from .selectors import Week, meeting_of_week

# Which decisions each tier's meeting takes, in the order the form offers them (the lists).
TIER_DECISIONS = {
    "village": [Decision.MEDIATE, Decision.START, Decision.REFER, Decision.RESOLVE, Decision.REJECT,
                Decision.CONTINUE],
    "town": [Decision.ACCEPT, Decision.RETURN, Decision.ASSIGN, Decision.WARN, Decision.REFER, Decision.TRANSFER,
             Decision.RESOLVE, Decision.CONTINUE],
    "county": [Decision.ACCEPT, Decision.RETURN, Decision.TRANSFER, Decision.WARN, Decision.RESOLVE,
               Decision.CONTINUE],
}

# The workflow action(s) a decision runs; it is offered when any of them is allowed now (none: always offered).
DECISION_ACTIONS = {
    Decision.MEDIATE: ("start", "resolve"),  # 当场调解 = 开始调处 (if still logged) + 化解
    Decision.START: ("start",),
    Decision.ASSIGN: ("assign",),
    Decision.REFER: ("refer",),
    Decision.ACCEPT: ("accept",),
    Decision.RETURN: ("return",),
    Decision.TRANSFER: ("transfer",),
    Decision.WARN: ("warn",),
    Decision.RESOLVE: ("resolve",),
    Decision.REJECT: ("reject",),
    Decision.CONTINUE: (),
}


def allowed_actions(user, dispute, referral) -> set[str]:
    """The table's actions with the pending referral already loaded (the agenda prefetches it), so a page of 200
    items asks no query per item."""
    return set(table_allows(user, dispute, referral=referral, extension=None))


def available_decisions(meeting: Meeting, allowed: set[str], refused: dict | None = None) -> list[str]:
    """The decisions of the meeting's tier the case can take now: its workflow action is allowed (`allowed`) and
    nothing in `refused` (decision_refusals) stands in the way."""
    refused = refused or {}
    return [d for d in TIER_DECISIONS[meeting.tier]
            if d not in refused and (not DECISION_ACTIONS[d] or set(DECISION_ACTIONS[d]) & allowed)]


FEEDBACK_FIRST = "镇街案件化解前，责任人须至少有一条“包反馈”记录。"


def decision_refusals(meeting: Meeting, dispute, allowed: set[str], *, feedback_logged: bool) -> dict[str, str]:
    """{decision: why the case cannot take it now} for the tier's decisions that are not open to it — the
    workflow table refuses the action, or (化解 of a town case) no 包反馈 is recorded yet (`feedback_logged`, from
    the caller's records, so no query here). The form leaves these out and refuses a forged one with the reason."""
    refused = {}
    for d in TIER_DECISIONS[meeting.tier]:
        actions = DECISION_ACTIONS[d]
        if actions and not set(actions) & allowed:
            refused[d] = refusal_message(dispute, actions[-1])
        elif d in (Decision.RESOLVE, Decision.MEDIATE) and dispute.tier == "town" and not feedback_logged:
            refused[d] = FEEDBACK_FIRST
    return refused


# --- opening and editing -------------------------------------------------------------------------------------------


@transaction.atomic
def open_meeting(*, actor, held_on: datetime.date, place: str, form: str) -> tuple[Meeting, bool]:
    """Open this week's meeting of the actor's own division; if it is already open, return it (created=False).

    Race-safe: the unique constraint (division, ISO week) decides; the loser of a race gets the winner's meeting."""
    position = policy.convening(actor)
    if position is None:
        raise Refused("您的角色不召开平安周例会。")
    tier, division = position
    week = Week.current()
    if not week.contains(held_on) or held_on > timezone.localdate():
        raise Refused(f"会议日期须在本周（{week.monday:%m月%d日}至{week.sunday:%m月%d日}）内，且不晚于今天。")
    existing = meeting_of_week(division, week)
    if existing:
        return existing, False
    place = _required(place, "会议地点", 100)
    if form not in MeetingForm.values:
        raise Refused("请选择会议形式。")
    try:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                tier=tier, division=division, iso_year=week.year, iso_week=week.week, held_on=held_on, place=place,
                form=form, convener=actor,
            )
            m = membership_of(actor)
            Attendance.objects.create(
                meeting=meeting, kind=AttendeeKind.MEMBER, name=_name(actor), user=actor,
                role_title=(m.title or m.get_role_display())[:64], unit=(m.unit.name if m.unit_id else "")[:64],
            )
    except IntegrityError:
        return Meeting.objects.get(division=division, iso_year=week.year, iso_week=week.week), False
    _audit(actor, meeting, "召开例会")
    return meeting, True


@transaction.atomic
def update_meeting(*, actor, meeting: Meeting, held_on: datetime.date, place: str, form: str,
                   summary: str = "") -> Meeting:
    meeting = _lock_open(actor, meeting)
    if Week.of(held_on) != Week(meeting.iso_year, meeting.iso_week):
        raise Refused("会议日期须在本次例会所在的周内。")
    if form not in MeetingForm.values:
        raise Refused("请选择会议形式。")
    meeting.held_on, meeting.place, meeting.form = held_on, _required(place, "会议地点", 100), form
    meeting.summary = (summary or "").strip()[:4000]
    meeting.save(update_fields=["held_on", "place", "form", "summary"])
    _audit(actor, meeting, "修改例会信息")
    return meeting


@transaction.atomic
def add_attendee(*, actor, meeting: Meeting, kind: str, name: str, role_title: str = "", unit: str = "") -> Attendance:
    meeting = _lock_open(actor, meeting)
    if kind not in AttendeeKind.values:
        raise Refused("请选择参会类别。")
    attendance = Attendance.objects.create(
        meeting=meeting, kind=kind, name=_required(name, "姓名", 32), role_title=(role_title or "").strip()[:64],
        unit=(unit or "").strip()[:64],
    )
    _audit(actor, meeting, f"增加参会人员（{attendance.get_kind_display()}）")
    return attendance


@transaction.atomic
def add_attendees(*, actor, meeting: Meeting, person_ids=(), guests=(), guest_kind: str = AttendeeKind.GUEST
                  ) -> list[Attendance]:
    """Several attendees in one go: people of the meeting's division from the directory (`person_ids`, entered as
    参会成员 with their post and unit, linked to their account if they have one) and anyone else (`guests`: (name,
    post, unit), entered as `guest_kind`). People already in the attendance are skipped; a person outside the
    division is refused."""
    meeting = _lock_open(actor, meeting)
    if guest_kind not in AttendeeKind.values:
        raise Refused("请选择参会类别。", field="guest_kind")
    wanted = set(person_ids)
    found = {p.pk: p for p in Person.objects.filter(division_id=meeting.division_id, active=True, pk__in=wanted)
             .select_related("unit")}
    if wanted - set(found):
        raise Refused("所选人员不属于本单位，请刷新页面后重新选择。", field="people")
    here = Attendance.objects.filter(meeting=meeting)
    present = set(here.filter(person_id__in=wanted).values_list("person_id", flat=True))
    present_users = set(here.filter(user__isnull=False).values_list("user_id", flat=True))
    rows = [
        Attendance(meeting=meeting, kind=AttendeeKind.MEMBER, name=p.name, person=p, user_id=p.user_id,
                   role_title=p.post[:64], unit=(p.unit.name if p.unit_id else "")[:64])
        for p in sorted(found.values(), key=lambda p: (p.user_id is None, p.name, p.pk))
        if p.pk not in present and (p.user_id is None or p.user_id not in present_users)
    ]
    for name, role_title, unit in guests:
        rows.append(Attendance(meeting=meeting, kind=guest_kind, name=_required(name, "姓名", 32),
                               role_title=(role_title or "").strip()[:64], unit=(unit or "").strip()[:64]))
    if not rows:
        raise Refused("请勾选本单位人员或填写其他人员（所选人员可能已在参会名单中）。")
    created = Attendance.objects.bulk_create(rows)
    _audit(actor, meeting, f"增加参会人员{len(created)}名")
    return created


@transaction.atomic
def remove_attendee(*, actor, meeting: Meeting, attendance_id: int) -> None:
    meeting = _lock_open(actor, meeting)
    deleted, _ = Attendance.objects.filter(meeting=meeting, pk=attendance_id).delete()
    if not deleted:
        raise Refused("未找到该参会人员。")
    _audit(actor, meeting, "删除参会人员")


# --- reviews -------------------------------------------------------------------------------------------------------


@transaction.atomic
def record_review(*, actor, meeting: Meeting, dispute, analysis: str, decision: str, **details) -> Review:
    """研判: save the meeting's analysis and decision on one case AND carry the decision out, in one transaction.

    One Review per meeting and case, editable while the meeting is open. Posting the decision the Review already
    records only updates the analysis (the action was taken when it was first decided); a different decision is
    carried out through its workflow service. Any refusal raises Refused and rolls everything back."""
    meeting = _lock_open(actor, meeting)
    analysis = _required(analysis, "研判意见", 4000)
    if decision not in TIER_DECISIONS[meeting.tier]:
        raise Refused(f"{meeting.get_tier_display()}级例会不能作出“{_decision_label(decision)}”的决定。")
    case = agenda.scope(meeting, actor).filter(pk=dispute.pk).first()
    if case is None:
        raise Refused("该案件不在本次例会的议程范围内。")
    review = Review.objects.select_for_update().filter(meeting=meeting, dispute=case).first()
    if review is None or review.decision != decision:
        actions = DECISION_ACTIONS[decision]
        if actions and not set(actions) & set(table_allows(actor, case)):
            label = Decision(decision).label
            raise Refused(f"该案件当前（{case.get_status_display()}）不能作出“{label}”的决定。")
        HANDLERS[decision](actor=actor, meeting=meeting, case=case, analysis=analysis, details=details)
    if review is None:
        review = Review(meeting=meeting, dispute=case)
    elif review.decision != decision:
        # A second decision on the same case at the same meeting: keep the earlier analysis in the minutes.
        analysis = f"{review.analysis}\n【{_decision_label(decision)}】{analysis}"[:4000]
    review.analysis, review.decision, review.decided_by = analysis, decision, actor
    review.save()
    _audit(actor, meeting, f"研判 {case.number}：{_decision_label(decision)}")
    return review


def _decision_label(decision):
    return Decision(decision).label if decision in Decision.values else decision


def _need(details, key, label):
    value = details.get(key)
    if value in (None, "", [], ()):
        raise Refused(f"请填写{label}。")
    return value


def _mediate(*, actor, meeting, case, analysis, details):
    outcome = _need(details, "outcome", "化解结果")
    if case.status == Status.LOGGED:
        case = workflow.start_handling(actor=actor, dispute=case, note=analysis, meeting=meeting)
    workflow.resolve(actor=actor, dispute=case, outcome=outcome, note=details.get("note") or "", meeting=meeting)


def _start(*, actor, meeting, case, analysis, details):
    workflow.start_handling(actor=actor, dispute=case, note=analysis, meeting=meeting)


def _assign(*, actor, meeting, case, analysis, details):
    workflow.fix_assignment(
        actor=actor, dispute=case, lead_leader=_need(details, "lead_leader", "包案领导"),
        responsible_unit=_need(details, "responsible_unit", "责任单位"),
        responsible_person=_need(details, "responsible_person", "责任人"),
        measures=_need(details, "measures", "调处措施"), deadline=details.get("deadline"), meeting=meeting,
    )


def _refer(*, actor, meeting, case, analysis, details):
    workflow.refer_up(actor=actor, dispute=case, reason=details.get("reason") or analysis, meeting=meeting)


def _accept(*, actor, meeting, case, analysis, details):
    workflow.accept_referral(actor=actor, dispute=case, note=details.get("reason") or analysis, meeting=meeting)


def _return(*, actor, meeting, case, analysis, details):
    workflow.return_referral(actor=actor, dispute=case, reason=details.get("reason") or analysis, meeting=meeting)


def _transfer(*, actor, meeting, case, analysis, details):
    workflow.transfer_to_unit(actor=actor, dispute=case, unit=_need(details, "unit", "移交单位"),
                              reason=details.get("reason") or analysis, meeting=meeting)


def _warn(*, actor, meeting, case, analysis, details):
    workflow.raise_warning(
        actor=actor, dispute=case, level=_need(details, "level", "预警等级"),
        triggers=_need(details, "triggers", "预警情形"), reasons=details.get("reason") or analysis,
        submitted_to=_need(details, "submitted_to", "报送对象"),
        reassess_on=_need(details, "reassess_on", "重新评估日期"), meeting=meeting,
    )


def _resolve(*, actor, meeting, case, analysis, details):
    workflow.resolve(actor=actor, dispute=case, outcome=_need(details, "outcome", "化解结果"),
                     note=details.get("note") or "", meeting=meeting)


def _reject(*, actor, meeting, case, analysis, details):
    workflow.reject(actor=actor, dispute=case, reason=details.get("reason") or analysis, meeting=meeting)


def _continue(*, actor, meeting, case, analysis, details):
    """继续跟踪: the Review itself is the record."""


HANDLERS = {
    Decision.MEDIATE: _mediate, Decision.START: _start, Decision.ASSIGN: _assign, Decision.REFER: _refer,
    Decision.ACCEPT: _accept, Decision.RETURN: _return, Decision.TRANSFER: _transfer, Decision.WARN: _warn,
    Decision.RESOLVE: _resolve, Decision.REJECT: _reject, Decision.CONTINUE: _continue,
}


# --- rule flags ----------------------------------------------------------------------------------------------------


@transaction.atomic
def override_flag(*, actor, meeting: Meeting, dispute, rule_id: int, reason: str) -> FlagOverride:
    """The meeting decides not to act on a rule flag, with the reason: FlagOverride + a timeline row."""
    meeting = _lock_open(actor, meeting)
    reason = _required(reason, "不予处理的理由", 2000)
    case = agenda.scope(meeting, actor).filter(pk=dispute.pk).first()
    if case is None:
        raise Refused("该案件不在本次例会的议程范围内。")
    flag = next((f for f in escalation.open_flags([case]).get(case.pk, []) if f.rule_id == rule_id), None)
    if flag is None:
        raise Refused("该规则提示已不存在（可能已按规则办理），无需说明。")
    override, _ = FlagOverride.objects.update_or_create(
        meeting=meeting, dispute=case, rule_id=rule_id, defaults={"reason": reason, "by": actor},
    )
    record_change(case, actor, EventKind.FLAG_OVERRIDDEN, field="rule", new=flag.rule_name, meeting=meeting,
                  note=f"{flag.message}。不予处理理由：{reason}")
    _audit(actor, meeting, f"规则提示不予处理 {case.number}")
    return override


# --- closing -------------------------------------------------------------------------------------------------------

MAX_LISTED = 20


@transaction.atomic
def close_meeting(*, actor, meeting: Meeting, recorder_id: int, checker_id: int, now=None) -> Meeting:
    """Close the meeting and freeze its minutes: every agenda item, the reviewed ones with their decision, the others
    "未研判，转下次例会" with the case's status now. 记录人 (`recorder_id`: who took the minutes) and 审核人
    (`checker_id`: who checked them) are two different 参会成员 of this meeting (Attendance ids).

    Refused while any open rule flag on an agenda case is neither acted on (the flag is then satisfied, so no longer
    open) nor overridden at this meeting."""
    meeting = _lock_open(actor, meeting)
    recorder, checker = _minutes_people(meeting, recorder_id, checker_id)
    assembled = agenda.assemble(meeting, user=actor, now=now)
    unhandled = assembled.unhandled
    if unhandled:
        listed = "；".join(
            f"{item.dispute.number}（{'、'.join(f.rule_name for f in item.unhandled_flags)}）"
            for item in unhandled[:MAX_LISTED]
        )
        more = f"等{len(unhandled)}件" if len(unhandled) > MAX_LISTED else f"共{len(unhandled)}件"
        raise Refused(
            f"还有规则提示未处理，不能闭会：{listed}（{more}）。请按提示办理，或在该案件下填写不予处理的理由。"
        )
    meeting.status, meeting.closed_at = MeetingStatus.CLOSED, now or timezone.now()
    meeting.minutes_recorder, meeting.minutes_checker = recorder.name, checker.name
    meeting.minutes = minutes.freeze(meeting, assembled)
    meeting.save(update_fields=["status", "closed_at", "minutes_recorder", "minutes_checker", "minutes"])
    _audit(actor, meeting, f"闭会，会议纪要已定稿（记录人：{recorder.name}，审核人：{checker.name}）")
    return meeting


def _minutes_people(meeting: Meeting, recorder_id, checker_id) -> tuple[Attendance, Attendance]:
    members = {a.pk: a for a in Attendance.objects.filter(meeting=meeting, kind=AttendeeKind.MEMBER)}
    recorder, checker = members.get(recorder_id), members.get(checker_id)
    if recorder is None:
        raise Refused("请从本次例会的参会成员中选择记录人。", field="recorder")
    if checker is None:
        raise Refused("请从本次例会的参会成员中选择审核人。", field="checker")
    if recorder.pk == checker.pk or (recorder.user_id and recorder.user_id == checker.user_id):
        raise Refused(SAME_RECORDER_AND_CHECKER, field="checker")
    return recorder, checker


# --- helpers -------------------------------------------------------------------------------------------------------


def _audit(actor, meeting: Meeting, detail: str):
    """Every meeting service writes one audit row about the meeting, in its own transaction."""
    audit.record(None, action=Action.MEETING_WRITE, obj=meeting, user=actor,
                 label=f"{meeting.division.short_name} {meeting.iso_year}年第{meeting.iso_week}周例会", detail=detail)


def _lock_open(actor, meeting: Meeting) -> Meeting:
    locked = (Meeting.objects.select_for_update(of=("self",)).select_related("division__parent", "convener")
              .get(pk=meeting.pk))
    if not policy.can_write_meeting(actor, locked):
        raise Refused("只有本级例会召集单位的人员可以修改例会。")
    if locked.status != MeetingStatus.OPEN:
        raise Refused("本次例会已闭会，会议记录不能再修改。")
    return locked


def _required(text, what, max_length):
    text = (text or "").strip()
    if not text:
        raise Refused(f"请填写{what}。")
    if len(text) > max_length:
        raise Refused(f"{what}不能超过{max_length}字。")
    return text


def _name(user):
    return (user.get_full_name() or user.username)[:32]

