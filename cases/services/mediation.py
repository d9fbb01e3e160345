"""The mediation file (人民调解卷宗, issue 12; 人民调解法 arts 17–33): naming mediators, a party's request to change
one, sessions, the agreement, its performance and 司法确认, and the 回访 a resolution schedules.

Every write is one atomic action like the workflow's services: the case row locked through the actor's visibility,
the step allowed by `policy.can_mediate` (the holder, in the statuses of `policy.MEDIATION_STEPS`), the input
checked (a `Refused` naming the field, nothing saved), and one `record_change` (timeline + audit + 待办 sync).
The sweep's part (`remind`) puts due 回访 and the 司法确认 reminder in the 待办, once each (guarded updates).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.errors import Forbidden, Refused
from core.uploads import CleanFile

from .. import policy
from ..models import (
    Agreement,
    AgreementForm,
    AttachmentKind,
    CaseMediator,
    ConfirmationResult,
    Dispute,
    EventKind,
    FollowUp,
    FollowUpDay,
    MediationSession,
    Mediator,
    MediatorChange,
    Party,
    Performance,
    SessionForm,
    Status,
    Visit,
)
from ..rules.deadlines import CONFIRMATION_REMIND_DAYS, confirmation_deadline
from ._common import lock_case
from .attachments import store_attachment
from .record import record_change


def _locked(actor, dispute, step) -> Dispute:
    case = lock_case(actor, dispute)
    if not policy.can_mediate(actor, case, step):
        raise Forbidden(policy.mediation_refusal(case, step))
    return case


def _text(text, what, field, max_length) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(f"请填写{what}。", field=field)
    if len(text) > max_length:
        raise Refused(f"{what}不能超过{max_length}字。", field=field)
    return text


def _not_future(day, what, field):
    if day is None:
        raise Refused(f"请填写{what}。", field=field)
    if day > timezone.localdate():
        raise Refused(f"{what}不能晚于今天。", field=field)
    return day


def eligible_mediators(case):
    """The mediators who may mediate this case: active, of the 调委会 of its village or its town, or of a
    specialised committee (专业调解委员会)."""
    return (Mediator.objects.filter(active=True, person__active=True)
            .filter(Q(committee_division_id__in=[case.village_id, case.village.parent_id])
                    | Q(committee_unit__kind="mediation", committee_unit__active=True))
            .select_related("person", "committee_division", "committee_unit"))


def _check_eligible(case, mediators, field):
    ids = {m.pk for m in mediators}
    ok = set(eligible_mediators(case).filter(pk__in=ids).values_list("pk", flat=True))
    if ids - ok:
        raise Refused("所选调解员不在本村、本镇街或专业调解委员会的在任调解员名册中。", field=field)


def _names(mediators) -> str:
    return "、".join(m.person.name for m in mediators)


# --- mediators (art 19) and a party's request to change one -----------------------------------------------------


@transaction.atomic
def name_mediators(*, actor, dispute, lead: Mediator, others=()) -> list[CaseMediator]:
    """Name the case's lead mediator and the others: those no longer named end (kept in the file), new ones start."""
    case = _locked(actor, dispute, "mediators")
    if lead is None:
        raise Refused("请选择主持调解员。", field="lead")
    others = [m for m in dict.fromkeys(others) if m.pk != lead.pk]
    _check_eligible(case, [lead, *others], "others")
    now = timezone.now()
    current = {cm.mediator_id: cm for cm in CaseMediator.objects.filter(dispute=case, active=True)}
    wanted = {lead.pk: True, **{m.pk: False for m in others}}
    for mediator_id, cm in current.items():
        if mediator_id not in wanted or cm.is_lead != wanted[mediator_id]:
            cm.active, cm.ended_at = False, now
            cm.save(update_fields=["active", "ended_at"])
    old = _names(m.mediator for m in sorted(current.values(), key=lambda c: not c.is_lead))
    for mediator_id, is_lead in wanted.items():
        cm = current.get(mediator_id)
        if cm is None or cm.is_lead != is_lead:
            CaseMediator.objects.create(dispute=case, mediator_id=mediator_id, is_lead=is_lead, added_by=actor)
    new = _names([lead, *others])
    record_change(case, actor, EventKind.MEDIATORS_NAMED, field="mediator", old=old, new=new,
                  note=f"主持调解员：{lead.person.name}" + (f"；其他调解员：{_names(others)}" if others else ""))
    return list(CaseMediator.objects.filter(dispute=case, active=True).select_related("mediator__person"))


@transaction.atomic
def request_mediator_change(*, actor, dispute, party: Party, mediator: Mediator, reason: str,
                            requested_on: datetime.date, replacement: Mediator | None = None) -> MediatorChange:
    """A party asks to change a mediator (arts 19–20, 23): recorded; with a replacement, the replaced mediator's
    part ends and the replacement takes it (lead for lead)."""
    case = _locked(actor, dispute, "change")
    if party is None or party.dispute_id != case.pk:
        raise Refused("请选择本案的当事人。", field="party")
    reason = _text(reason, "更换理由", "reason", 1000)
    _not_future(requested_on, "提出日期", "requested_on")
    named = CaseMediator.objects.filter(dispute=case, active=True, mediator=mediator).first()
    if named is None:
        raise Refused("该调解员目前未参与本案调解。", field="mediator")
    if replacement is not None:
        if replacement.pk == mediator.pk:
            raise Refused("更换后的调解员不能是原调解员。", field="replacement")
        _check_eligible(case, [replacement], "replacement")
        if CaseMediator.objects.filter(dispute=case, active=True, mediator=replacement).exists():
            raise Refused("更换后的调解员已在参与本案调解。", field="replacement")
        named.active, named.ended_at = False, timezone.now()
        named.save(update_fields=["active", "ended_at"])
        CaseMediator.objects.create(dispute=case, mediator=replacement, is_lead=named.is_lead, added_by=actor)
    change = MediatorChange.objects.create(dispute=case, party=party, mediator=mediator, replacement=replacement,
                                           reason=reason, requested_on=requested_on, actor=actor)
    record_change(case, actor, EventKind.MEDIATOR_CHANGED, field="mediator", old=mediator.person.name,
                  new=replacement.person.name if replacement else "", obj=change,
                  note=f"{party.get_role_display()}{party.name}于{requested_on:%Y-%m-%d}提出：{reason}"
                       + (f"；已更换为{replacement.person.name}" if replacement else "；未更换"))
    return change


# --- sessions (art 27) ---------------------------------------------------------------------------------------------


@transaction.atomic
def record_session(*, actor, dispute, held_on: datetime.date, place: str, form: str, mediators, attendees: str,
                   record: str) -> MediationSession:
    case = _locked(actor, dispute, "session")
    _not_future(held_on, "调解日期", "held_on")
    place = _text(place, "调解地点", "place", 100)
    if form not in SessionForm.values:
        raise Refused("请选择调解形式。", field="form")
    mediators = list(mediators or [])
    if not mediators:
        raise Refused("请选择主持本次调解的调解员。", field="mediators")
    named = set(CaseMediator.objects.filter(dispute=case, active=True).values_list("mediator_id", flat=True))
    if {m.pk for m in mediators} - named:
        raise Refused("本次调解的调解员须是本案已确定的调解员（可先在“确定调解员”中增加）。", field="mediators")
    attendees = _text(attendees, "参加人员", "attendees", 1000)
    record = _text(record, "调解笔录", "record", 8000)
    session = MediationSession.objects.create(dispute=case, held_on=held_on, place=place, form=form,
                                              attendees=attendees, record=record, actor=actor)
    session.mediators.set(mediators)
    record_change(case, actor, EventKind.MEDIATION_SESSION, field="session", new=form, obj=session,
                  note=f"{held_on:%Y-%m-%d}，{place}，调解员：{_names(mediators)}；参加：{attendees}")
    return session


# --- the agreement (arts 28–30) ------------------------------------------------------------------------------------


def _amount(value, what, field):
    if value is None:
        return None
    if value < 0:
        raise Refused(f"{what}不能为负数。", field=field)
    return Decimal(value)


def current_agreement(case) -> Agreement | None:
    """The agreement of the case's present mediation: the latest one recorded since its last reopening."""
    reopened = case.events.filter(kind=EventKind.REOPENED).order_by("-at").values_list("at", flat=True).first()
    qs = case.agreements.all()
    if reopened is not None:
        qs = qs.filter(created_at__gt=reopened)
    return qs.order_by("-created_at", "-id").first()


@transaction.atomic
def record_agreement(*, actor, dispute, form: str, terms: str, effective_on: datetime.date, facts: str = "",
                     performance_manner: str = "", performance_deadline: datetime.date | None = None,
                     partial: bool = False, remaining_issues: str = "", remaining_route: str = "",
                     amount_involved=None, amount_agreed=None, scan: CleanFile | None = None) -> Agreement:
    """A written agreement (art 29) needs the terms, the manner and the deadline of performance and its signing
    date; an oral one (art 30) its content and the day it was reached. 部分达成 names the issues left open and the
    way shown to the parties. The scan, if given, is stored as the case's 调解协议扫描件."""
    case = _locked(actor, dispute, "agreement")
    if form not in AgreementForm.values:
        raise Refused("请选择协议形式（书面或口头）。", field="form")
    if current_agreement(case) is not None:
        raise Refused("本案已记录调解协议；纠纷反复重新办理后才能另行记录。")
    written = form == AgreementForm.WRITTEN
    terms = _text(terms, "协议内容" if written else "口头协议的内容", "terms", 4000)
    if written:
        facts = _text(facts, "纠纷主要事实、争议事项及各方责任", "facts", 4000)
        performance_manner = _text(performance_manner, "履行方式", "performance_manner", 1000)
        if performance_deadline is None:
            raise Refused("书面协议须写明履行期限。", field="performance_deadline")
    _not_future(effective_on, "签名盖章日期" if written else "达成协议日期", "effective_on")
    if performance_deadline is not None and performance_deadline < effective_on:
        raise Refused("履行期限不能早于协议生效日期。", field="performance_deadline")
    if partial:
        remaining_issues = _text(remaining_issues, "未达成的事项", "remaining_issues", 2000)
        remaining_route = _text(remaining_route, "已告知当事人的解决途径", "remaining_route", 2000)
    amount_involved = _amount(amount_involved, "涉及金额", "amount_involved")
    amount_agreed = _amount(amount_agreed, "协议金额", "amount_agreed")
    attachment = store_attachment(actor=actor, dispute=case, kind=AttachmentKind.AGREEMENT, clean=scan) if scan else None
    agreement = Agreement.objects.create(
        dispute=case, form=form, partial=partial, facts=(facts or "").strip(), terms=terms,
        performance_manner=(performance_manner or "").strip(), performance_deadline=performance_deadline,
        effective_on=effective_on, amount_involved=amount_involved, amount_agreed=amount_agreed,
        remaining_issues=(remaining_issues or "").strip() if partial else "",
        remaining_route=(remaining_route or "").strip() if partial else "", scan=attachment, created_by=actor,
    )
    amount = f"；协议金额{amount_agreed}元" if amount_agreed is not None else ""
    record_change(case, actor, EventKind.AGREEMENT_RECORDED, field="agreement", new=form, obj=agreement,
                  note=f"{'部分达成，' if partial else ''}{effective_on:%Y-%m-%d}生效{amount}")
    return agreement


def _agreement_of(case, agreement):
    if agreement is None or agreement.dispute_id != case.pk:
        raise Refused("未找到本案的调解协议。")
    return Agreement.objects.select_for_update().get(pk=agreement.pk)


@transaction.atomic
def record_performance(*, actor, dispute, agreement: Agreement, performance: str,
                       on_date: datetime.date) -> Agreement:
    case = _locked(actor, dispute, "performance")
    agreement = _agreement_of(case, agreement)
    return _set_performance(case, actor, agreement, performance, on_date)


def _set_performance(case, actor, agreement, performance, on_date, *, note=""):
    if performance not in Performance.values:
        raise Refused("请选择履行情况。", field="performance")
    _not_future(on_date, "履行情况日期", "on_date")
    old = agreement.performance
    agreement.performance, agreement.performance_on = performance, on_date
    agreement.save(update_fields=["performance", "performance_on"])
    record_change(case, actor, EventKind.PERFORMANCE_UPDATED, field="performance", old=old, new=performance,
                  obj=agreement, note=note or f"{on_date:%Y-%m-%d}：{Performance(performance).label}")
    return agreement


@transaction.atomic
def record_confirmation(*, actor, dispute, agreement: Agreement, court: str, applied_on: datetime.date,
                        result: str = "", decided_on: datetime.date | None = None) -> Agreement:
    """司法确认 (art 33): the parties' joint application (court, date) and, when known, the court's result and date."""
    case = _locked(actor, dispute, "confirmation")
    agreement = _agreement_of(case, agreement)
    if agreement.form != AgreementForm.WRITTEN:
        raise Refused("口头协议不能申请司法确认，请先制作书面调解协议书。")
    court = _text(court, "受理的人民法院", "court", 60)
    _not_future(applied_on, "申请日期", "applied_on")
    if applied_on < agreement.effective_on:
        raise Refused("申请日期不能早于协议生效日期。", field="applied_on")
    if applied_on > timezone.localtime(confirmation_deadline(agreement.effective_on)).date():
        raise Refused(f"已超过司法确认的申请期限（协议生效之日起三十日，至"
                      f"{timezone.localtime(confirmation_deadline(agreement.effective_on)):%Y-%m-%d}）。",
                      field="applied_on")
    if result and result not in ConfirmationResult.values:
        raise Refused("请选择法院的确认结果。", field="result")
    if result:
        _not_future(decided_on, "法院裁定日期", "decided_on")
        if decided_on < applied_on:
            raise Refused("法院裁定日期不能早于申请日期。", field="decided_on")
    elif decided_on is not None:
        raise Refused("填写了裁定日期，请同时选择确认结果。", field="result")
    old = agreement.confirmation_result or ("applied" if agreement.confirmation_applied_on else "")
    agreement.court, agreement.confirmation_applied_on = court, applied_on
    agreement.confirmation_result, agreement.confirmation_decided_on = result, decided_on if result else None
    agreement.save(update_fields=["court", "confirmation_applied_on", "confirmation_result",
                                  "confirmation_decided_on"])
    note = f"{applied_on:%Y-%m-%d}向{court}申请司法确认"
    if result:
        note += f"；{decided_on:%Y-%m-%d}{ConfirmationResult(result).label}"
    record_change(case, actor, EventKind.CONFIRMATION_RECORDED, field="confirmation", old=old, new=result or "applied",
                  obj=agreement, note=note)
    return agreement


# --- 回访 after a resolution ------------------------------------------------------------------------------------


def schedule_follow_ups(case, at: datetime.datetime) -> list[FollowUp]:
    """Called by every resolution (handling.resolve, referrals.review_feedback) inside its transaction: one 回访 per
    active `FollowUpDay` (7, 30, 90 days by default), due that many days after the resolution's local date."""
    day = timezone.localtime(at).date()
    return FollowUp.objects.bulk_create(
        [FollowUp(dispute=case, resolution_at=at, days=d, due_on=day + datetime.timedelta(days=d))
         for d in FollowUpDay.objects.filter(active=True).values_list("days", flat=True)],
        ignore_conflicts=True,
    )


def live_follow_ups(case):
    """The 回访 of the case's standing resolution (a reopened case has none until it is resolved again)."""
    if case.resolved_at is None:
        return FollowUp.objects.none()
    return case.follow_ups.filter(resolution_at=case.resolved_at)


def attach_visit(case, visit: Visit, *, performance: str = "") -> str:
    """Called by handling.record_visit in its transaction, before its one `record_change`: the visit fulfils every
    open 回访 due by its date, or, if none is due yet, the next one (an early visit). With `performance`, the
    agreement's performance follows. Returns what to add to the visit's timeline note."""
    open_ = live_follow_ups(case).filter(visit__isnull=True)
    due = list(open_.filter(due_on__lte=visit.visited_on).values_list("pk", flat=True))
    if not due:
        due = list(open_.order_by("due_on").values_list("pk", flat=True)[:1])
    FollowUp.objects.filter(pk__in=due).update(visit=visit)
    if not performance:
        return ""
    if performance not in Performance.values:
        raise Refused("请选择履行情况。", field="performance")
    agreement = current_agreement(case)
    if agreement is None:
        raise Refused("本案没有调解协议，无需填写协议履行情况。", field="performance")
    agreement.performance, agreement.performance_on = performance, visit.visited_on
    agreement.save(update_fields=["performance", "performance_on"])
    return f"；调解协议{Performance(performance).label}"


def needs_decision(case, agreement, visits) -> str:
    """Why a 回访 calls for a decision (reopen as 反复, or refer), or "": the agreement is not performed, or the last
    visit found signs of recurrence or a broken agreement."""
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        return ""
    last = visits[-1] if visits else None
    if agreement is not None and agreement.performance == Performance.NOT_PERFORMED:
        return "调解协议未履行"
    if last is not None and last.relapse_signs:
        return "回访发现反复苗头"
    if last is not None and last.agreement_kept is False:
        return "回访发现协议未履行"
    return ""


# --- the sweep's part: due 回访 and the 司法确认 reminder land in the 待办 ------------------------------------------


def remind(*, actor, now: datetime.datetime | None = None) -> list[str]:
    """Once per 回访 due today or earlier and per written agreement at day 20 of its 司法确认 period with nothing
    recorded: claim it with a guarded update (two sweeps at once: one wins), then record the reminder on the
    timeline, whose change sync puts it in the 待办 (notify.queue's `follow_ups` and `confirmations`)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    done = []
    due = (FollowUp.objects.filter(due_on__lte=today, visit__isnull=True, reminded_at__isnull=True,
                                   resolution_at=F("dispute__resolved_at"),
                                   dispute__status__in=(Status.RESOLVED, Status.CLOSED))
           .select_related("dispute").only("id", "days", "due_on", "dispute_id", "dispute__number"))
    for follow_up in due:
        with transaction.atomic():
            case = Dispute.objects.select_for_update().get(pk=follow_up.dispute_id)
            if not FollowUp.objects.filter(pk=follow_up.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue
            record_change(case, actor, EventKind.FOLLOW_UP_DUE, field="follow_up", new=str(follow_up.days),
                          obj=follow_up, bump=False, note=f"化解后第{follow_up.days}天回访，应于{follow_up.due_on:%Y-%m-%d}前完成。")
            done.append(case.number)
    latest_effective = today - datetime.timedelta(days=CONFIRMATION_REMIND_DAYS)  # reminder day reached
    waiting = (Agreement.objects.filter(form=AgreementForm.WRITTEN, confirmation_applied_on__isnull=True,
                                        confirmation_reminded_at__isnull=True, effective_on__lte=latest_effective,
                                        dispute__status__in=(Status.RESOLVED, Status.CLOSED))
               .only("id", "effective_on", "dispute_id"))
    for agreement in waiting:
        ends = confirmation_deadline(agreement.effective_on)
        if now > ends:
            continue
        with transaction.atomic():
            case = Dispute.objects.select_for_update().get(pk=agreement.dispute_id)
            if not Agreement.objects.filter(pk=agreement.pk, confirmation_reminded_at__isnull=True).update(
                    confirmation_reminded_at=now):
                continue
            record_change(case, actor, EventKind.CONFIRMATION_DUE, field="confirmation", obj=agreement, bump=False,
                          note=f"调解协议{agreement.effective_on:%Y-%m-%d}生效，如需司法确认，双方当事人须在"
                               f"{timezone.localtime(ends):%Y-%m-%d}前共同向人民法院申请。")
            done.append(case.number)
    return done
