"""Moving a case between holders: 提请 (village → town → county), 签收, 退回, 移交 to a unit (DESIGN.md §4, §7)."""

from django.db import transaction
from django.utils import timezone

from core.errors import Refused
from org.jurisdiction import COUNTY_CODE
from org.models import Division, Unit, UnitKind
from org.selectors import membership_of

from ..models import (
    NEXT_TIER,
    Assignment,
    DeadlinePurpose,
    Dispute,
    EventKind,
    Outcome,
    Referral,
    ReferralKind,
    ReferralStatus,
    SupervisionStatus,
    Tier,
    TransferMode,
)
from ..rules.deadlines import deadline_for, purpose_for
from ..rules.transitions import HOLDER_COUNTY, HOLDER_TOWN
from ._common import check, check_state, lock_case, move, required, set_resolution
from .mediation import schedule_follow_ups
from .record import record_change


@transaction.atomic
def refer_up(*, actor, dispute, reason: str, meeting=None) -> Referral:
    """提请: village → its town, town → the county. Waits for the upper tier's 签收 or 退回."""
    case = lock_case(actor, dispute)
    check("refer", actor, case)
    reason = required(reason, "提请理由")
    to_tier = NEXT_TIER[case.tier]
    to_division = case.village.parent if to_tier == Tier.TOWN else Division.objects.get(code=COUNTY_CODE)
    referral = Referral.objects.create(
        dispute=case, kind=ReferralKind.REFER, from_tier=case.tier, from_division=case.holder_division,
        to_tier=to_tier, to_division=to_division, reason=reason, meeting=meeting, created_by=actor,
    )
    old = move(case, "refer")
    record_change(case, actor, EventKind.REFERRED, field="status", old=old, new=case.status, meeting=meeting,
                  note=f"{case.holder_division.short_name} → {to_division.short_name}：{reason}", save=("status",))
    return referral


def _pending_for_update(case):
    referral = (Referral.objects.select_for_update()
                .filter(dispute=case, status=ReferralStatus.PENDING, kind=ReferralKind.REFER).first())
    if referral is None:
        raise Refused("该案件没有待签收的提请。")
    return referral


def _decide(referral, actor, status, note):
    referral.status, referral.decided_by, referral.decided_at = status, actor, timezone.now()
    referral.decision_note = note
    referral.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])


@transaction.atomic
def accept_referral(*, actor, dispute, note="", meeting=None) -> Dispute:
    """签收: the case moves up one tier, held by the receiving division, in progress, with a new deadline."""
    case = lock_case(actor, dispute)
    check_state("accept", case)
    referral = _pending_for_update(case)
    check("accept", actor, case, referral=referral)
    _decide(referral, actor, ReferralStatus.ACCEPTED, note.strip())
    old_tier, old_holder = case.tier, case.holder_division.short_name
    move(case, "accept")
    case.tier, case.holder_division, case.holder_unit = referral.to_tier, referral.to_division, None
    case.deadline, _ = deadline_for(case, purpose_for(case))
    Assignment.objects.filter(dispute=case, active=True).update(active=False)
    record_change(case, actor, EventKind.ACCEPTED, field="tier", old=old_tier, new=case.tier, meeting=meeting,
                  note=f"{old_holder} → {case.holder_division.short_name}" + (f"：{note.strip()}" if note.strip()
                                                                               else ""),
                  save=("status", "tier", "holder_division", "holder_unit", "deadline"))
    return case


@transaction.atomic
def return_referral(*, actor, dispute, reason: str, meeting=None) -> Dispute:
    """退回: the case goes back to the tier that referred it, in progress, with the receiver's note."""
    case = lock_case(actor, dispute)
    check_state("return", case)
    referral = _pending_for_update(case)
    check("return", actor, case, referral=referral)
    reason = required(reason, "退回理由")
    _decide(referral, actor, ReferralStatus.RETURNED, reason)
    old = move(case, "return")
    record_change(case, actor, EventKind.RETURNED, field="status", old=old, new=case.status, meeting=meeting,
                  note=f"{referral.to_division.short_name}退回{referral.from_division.short_name}：{reason}",
                  save=("status",))
    return case


def open_transfers(case):
    return Referral.objects.filter(dispute=case, kind=ReferralKind.TRANSFER, ended_at__isnull=True)


@transaction.atomic
def transfer_to_unit(*, actor, dispute, unit: Unit, reason: str, mode: str = TransferMode.LEAD,
                     meeting=None) -> Referral:
    """移交: the county (or a town, to its own units) hands the case to a department or mediation committee.

    The unit signs for it within its sign-for clock (签收) or sends it back (退回). A second lead unit replaces the
    first (改派: its transfer ends); an assisting unit (协办) works beside the lead one and sees the case."""
    case = lock_case(actor, dispute)
    positions = check("transfer", actor, case)
    reason = required(reason, "移交事由")
    if mode not in TransferMode.values:
        raise Refused("请选择主办或协办。", field="mode")
    if not unit.active or unit.kind in (UnitKind.CENTRE, UnitKind.DISCIPLINE):
        raise Refused("只能移交给职能部门或专业调解组织。", field="unit")
    if HOLDER_COUNTY in positions and unit.division_id != COUNTY_CODE:
        raise Refused("县级只能移交给县直部门或县级专业调解组织。", field="unit")
    if HOLDER_TOWN in positions and unit.division_id != case.holder_division_id:
        raise Refused("镇街只能移交给本镇街的单位。", field="unit")
    running = list(open_transfers(case).select_for_update())
    if any(r.to_unit_id == unit.pk for r in running):
        raise Refused(f"该案件已移交{unit}，不能重复移交。", field="unit")
    if mode == TransferMode.ASSIST and case.holder_unit_id is None:
        raise Refused("协办须在已有主办单位时指定，请先移交主办单位。", field="mode")
    deadline, _ = deadline_for(case, DeadlinePurpose.TRANSFER)
    sign_by, _ = deadline_for(case, DeadlinePurpose.SIGN_FOR)
    now = timezone.now()
    assist = mode == TransferMode.ASSIST  # an assisting unit helps the lead one: nothing to sign for
    referral = Referral.objects.create(
        dispute=case, kind=ReferralKind.TRANSFER, from_tier=case.tier, from_division=case.holder_division,
        to_tier=case.tier, to_division=unit.division, to_unit=unit, reason=reason, deadline=deadline, mode=mode,
        sign_by=None if assist else sign_by, status=ReferralStatus.ACCEPTED if assist else ReferralStatus.PENDING,
        decided_by=actor if assist else None, decided_at=now if assist else None, meeting=meeting, created_by=actor,
    )
    move(case, "transfer")
    if assist:
        record_change(case, actor, EventKind.TRANSFERRED, field="transfer", new=TransferMode.ASSIST, meeting=meeting,
                      note=f"协办：{unit}（主办：{case.holder_unit}）；{reason}", save=("status",))
        return referral
    replaced = [r for r in running if r.mode != TransferMode.ASSIST]
    for old in replaced:
        old.ended_at, old.review_note = now, f"改派{unit}"
        old.save(update_fields=["ended_at", "review_note"])
    old_holder = str(case.holder_unit or case.holder_division)
    case.holder_unit, case.deadline = unit, deadline
    what = f"改派：{old_holder} → {unit}" if replaced else f"主办：{unit}"
    record_change(case, actor, EventKind.TRANSFERRED, field="holder", old=old_holder, new=str(unit), meeting=meeting,
                  note=f"{what}；{reason}（签收时限 {timezone.localtime(sign_by):%m-%d %H:%M}，"
                       f"办理时限 {timezone.localtime(deadline):%Y-%m-%d}）",
                  save=("status", "holder_unit", "deadline"))
    return referral


# --- the unit's side ----------------------------------------------------------------------------------------------


def _unit_transfer(case, actor, *, pending: bool):
    """The open transfer of the actor's unit on this case (locked): waiting for 签收 or signed for."""
    m = membership_of(actor)
    transfer = (open_transfers(case).select_for_update()
                .filter(to_unit_id=getattr(m, "unit_id", None)).order_by("-created_at").first())
    if transfer is None:
        raise Refused("本单位没有该案件的移交。")
    if pending and transfer.status != ReferralStatus.PENDING:
        raise Refused("该移交已签收。")
    if not pending and transfer.status != ReferralStatus.ACCEPTED:
        raise Refused("请先签收该移交。")
    return transfer


@transaction.atomic
def accept_transfer(*, actor, dispute, note: str = "", meeting=None) -> Referral:
    """单位签收: the unit takes the case on."""
    case = lock_case(actor, dispute)
    check("accept_transfer", actor, case)
    transfer = _unit_transfer(case, actor, pending=True)
    _decide(transfer, actor, ReferralStatus.ACCEPTED, note.strip())
    late = transfer.sign_by and timezone.now() > transfer.sign_by
    record_change(case, actor, EventKind.TRANSFER_ACCEPTED, field="transfer", new=transfer.mode or TransferMode.LEAD,
                  meeting=meeting, note=f"{transfer.to_unit}签收" + ("（超过签收时限）" if late else "")
                  + (f"：{note.strip()}" if note.strip() else ""))
    return transfer


@transaction.atomic
def return_transfer(*, actor, dispute, reason: str, meeting=None) -> Referral:
    """单位退回: not our remit — the case goes back to the tier that transferred it, which must re-route it."""
    case = lock_case(actor, dispute)
    check("return_transfer", actor, case)
    transfer = _unit_transfer(case, actor, pending=True)
    reason = required(reason, "退回理由（为何不属本单位职责）")
    _decide(transfer, actor, ReferralStatus.RETURNED, reason)
    transfer.ended_at = timezone.now()
    transfer.save(update_fields=["ended_at"])
    case.holder_unit = None  # back with the tier that transferred it (only a lead transfer waits for 签收)
    save = ("holder_unit",)
    record_change(case, actor, EventKind.TRANSFER_RETURNED, field="holder", old=str(transfer.to_unit),
                  new=case.holder_division.short_name, meeting=meeting,
                  note=f"{transfer.to_unit}退回{transfer.from_division.short_name}：{reason}", save=save)
    return transfer


@transaction.atomic
def file_feedback(*, actor, dispute, outcome: str, text: str, meeting=None) -> Referral:
    """办理反馈: the lead unit reports what it did and the result it reached; the transferring tier reviews it."""
    case = lock_case(actor, dispute)
    check("file_feedback", actor, case)
    transfer = _unit_transfer(case, actor, pending=False)
    if transfer.mode == TransferMode.ASSIST:
        raise Refused("协办单位请与主办单位沟通，由主办单位办理反馈。")
    if transfer.awaiting_review:
        raise Refused("办理反馈已提交，正在等待审核。")
    if outcome not in Outcome.values:
        raise Refused("请选择办理结果。", field="outcome")
    text = required(text, "办理情况", 4000)
    transfer.feedback, transfer.feedback_outcome, transfer.feedback_at = text, outcome, timezone.now()
    transfer.reviewed_at, transfer.review_note = None, ""
    transfer.save(update_fields=["feedback", "feedback_outcome", "feedback_at", "reviewed_at", "review_note"])
    record_change(case, actor, EventKind.FEEDBACK_FILED, field="outcome", new=outcome, meeting=meeting,
                  note=f"{transfer.to_unit}：{text}")
    return transfer


@transaction.atomic
def review_feedback(*, actor, dispute, accept: bool, note: str = "", meeting=None) -> Referral:
    """审核: the transferring tier accepts the unit's feedback (the case is resolved with its result) or sends it
    back for more work, with the reason."""
    case = lock_case(actor, dispute)
    check("review_feedback", actor, case)
    transfer = (open_transfers(case).select_for_update().filter(feedback_at__isnull=False, reviewed_at__isnull=True)
                .exclude(mode=TransferMode.ASSIST).first())
    if transfer is None:
        raise Refused("没有待审核的办理反馈。")
    note = (note or "").strip()
    now = timezone.now()
    transfer.reviewed_at, transfer.review_note = now, note
    if not accept:
        if not note:
            raise Refused("退回重办须写明理由。", field="note")
        transfer.feedback_at = None
        transfer.save(update_fields=["reviewed_at", "review_note", "feedback_at"])
        record_change(case, actor, EventKind.FEEDBACK_RETURNED, field="holder", new=str(transfer.to_unit),
                      meeting=meeting, note=f"退回{transfer.to_unit}重办：{note}")
        return transfer
    transfer.ended_at = now
    transfer.save(update_fields=["reviewed_at", "review_note", "ended_at"])
    old = move(case, "resolve")
    resolution = set_resolution(case, transfer.feedback_outcome, transfer.feedback, now)
    schedule_follow_ups(case, case.resolved_at)
    case.supervisions.filter(status=SupervisionStatus.OPEN).update(status=SupervisionStatus.DONE, closed_at=now)
    open_transfers(case).update(ended_at=now)
    record_change(case, actor, EventKind.FEEDBACK_ACCEPTED, field="status", old=old, new=case.status,
                  meeting=meeting, note=f"审核通过{transfer.to_unit}的办理反馈（{Outcome(transfer.feedback_outcome).label}）"
                                    + (f"：{note}" if note else ""),
                  save=("status", *resolution))
    return transfer
