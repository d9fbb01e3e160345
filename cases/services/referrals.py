"""Moving a case between holders: 提请 (village → town → county), 签收, 退回, 移交 to a unit (DESIGN.md §4, §7)."""

from django.db import transaction
from django.utils import timezone

from core.errors import Refused
from org.jurisdiction import COUNTY_CODE
from org.models import Division, Unit, UnitKind

from ..models import (
    NEXT_TIER,
    Assignment,
    DeadlinePurpose,
    Dispute,
    EventKind,
    Referral,
    ReferralKind,
    ReferralStatus,
    Tier,
)
from ..rules.deadlines import deadline_for, purpose_for
from ..rules.transitions import HOLDER_COUNTY, HOLDER_TOWN
from ._common import check, check_state, lock_case, move, required
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


@transaction.atomic
def transfer_to_unit(*, actor, dispute, unit: Unit, reason: str, meeting=None) -> Referral:
    """移交: the county (or a town, to its own units) hands the case to a department or mediation committee."""
    case = lock_case(actor, dispute)
    positions = check("transfer", actor, case)
    reason = required(reason, "移交事由")
    if not unit.active or unit.kind in (UnitKind.CENTRE, UnitKind.DISCIPLINE):
        raise Refused("只能移交给职能部门或专业调解组织。", field="unit")
    if HOLDER_COUNTY in positions and unit.division_id != COUNTY_CODE:
        raise Refused("县级只能移交给县直部门或县级专业调解组织。", field="unit")
    if HOLDER_TOWN in positions and unit.division_id != case.holder_division_id:
        raise Refused("镇街只能移交给本镇街的单位。", field="unit")
    deadline, _ = deadline_for(case, DeadlinePurpose.TRANSFER)
    old_holder = str(case.holder_unit or case.holder_division)
    referral = Referral.objects.create(
        dispute=case, kind=ReferralKind.TRANSFER, from_tier=case.tier, from_division=case.holder_division,
        to_tier=case.tier, to_division=unit.division, to_unit=unit, reason=reason, deadline=deadline,
        status=ReferralStatus.ACCEPTED, decided_by=actor, decided_at=timezone.now(), meeting=meeting,
        created_by=actor,
    )
    move(case, "transfer")
    case.holder_unit, case.deadline = unit, deadline
    record_change(case, actor, EventKind.TRANSFERRED, field="holder", old=old_holder, new=str(unit),
                  meeting=meeting, note=f"{reason}（办理时限 {timezone.localtime(deadline):%Y-%m-%d}）",
                  save=("status", "holder_unit", "deadline"))
    return referral
