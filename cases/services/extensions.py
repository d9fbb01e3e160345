"""延期 (DESIGN.md §6): the holder asks once per deadline for more time; the tier above approves or refuses.

Days and mode come from the deadline rule in force (its `extension_days`; 7 working days when the rule names none).
The approver is the tier above the holder — for a unit, the tier that transferred the case; the county's own
requests are decided by another official of the county centre. An approved extension moves the case's deadline
and the active 四定's; the sweep and every clock then follow the new deadline (ClockMarks are per deadline).
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import Refused
from org.jurisdiction import COUNTY_CODE

from ..models import (
    Assignment,
    DayMode,
    EventKind,
    Extension,
    ExtensionStatus,
    Referral,
    ReferralKind,
    Tier,
)
from ..rules import deadlines
from ..rules.transitions import pending_extension
from ._common import check, lock_case, required
from .record import record_change

DEFAULT_DAYS, DEFAULT_MODE = 7, DayMode.WORKDAY


def _approver(case) -> tuple[str, str]:
    """(tier, division code) that decides an extension of this case."""
    if case.holder_unit_id:
        transfer = (Referral.objects.filter(dispute=case, kind=ReferralKind.TRANSFER, to_unit_id=case.holder_unit_id)
                    .order_by("-created_at").first())
        if transfer is not None:
            return transfer.from_tier, transfer.from_division_id
    if case.tier == Tier.VILLAGE:
        return Tier.TOWN, case.village.parent_id
    return Tier.COUNTY, COUNTY_CODE


def extension_terms(case) -> tuple[int, str]:
    """(days, mode) of an extension for the case's current deadline, from the rule in force."""
    rule = deadlines.rule_for(case, deadlines.purpose_for(case))
    if rule is not None and rule.extension_days:
        return rule.extension_days, rule.mode
    return DEFAULT_DAYS, DEFAULT_MODE


@transaction.atomic
def request_extension(*, actor, dispute, reason: str, meeting=None) -> Extension:
    case = lock_case(actor, dispute)
    check("request_extension", actor, case)
    if case.deadline is None:
        raise Refused("该案件尚未设定办结时限，无需申请延期。")
    reason = required(reason, "延期理由", 2000)
    if Extension.objects.filter(dispute=case, old_deadline=case.deadline).exists():
        raise Refused("本时限已申请过一次延期（每个时限只能申请一次），不能再次申请。")
    days, mode = extension_terms(case)
    start = timezone.localtime(case.deadline).date()
    new_deadline = deadlines.end_of_day(deadlines.due_date(start, days, mode))
    tier, division = _approver(case)
    try:
        with transaction.atomic():
            extension = Extension.objects.create(
                dispute=case, old_deadline=case.deadline, days=days, mode=mode, new_deadline=new_deadline,
                reason=reason, requested_by=actor, approver_tier=tier, approver_division_id=division,
            )
    except IntegrityError:
        raise Refused("本时限已申请过一次延期（每个时限只能申请一次），不能再次申请。") from None
    record_change(case, actor, EventKind.EXTENSION_REQUESTED, field="extension", new=ExtensionStatus.PENDING,
                  meeting=meeting, note=f"申请延长{days}个{DayMode(mode).label}至"
                                    f"{timezone.localtime(new_deadline):%Y-%m-%d}：{reason}")
    return extension


@transaction.atomic
def decide_extension(*, actor, dispute, approve: bool, note: str = "", meeting=None) -> Extension:
    case = lock_case(actor, dispute)
    extension = pending_extension(case)
    if extension is None:
        raise Refused("该案件没有待审批的延期申请。")
    extension = Extension.objects.select_for_update().get(pk=extension.pk)
    check("decide_extension", actor, case, extension=extension)
    if extension.requested_by_id == actor.pk:
        raise Refused("不能审批自己提出的延期申请。")
    note = (note or "").strip()
    if not approve and not note:
        raise Refused("不予批准须写明理由。", field="note")
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by, extension.decided_at, extension.decision_note = actor, timezone.now(), note
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if not approve:
        record_change(case, actor, EventKind.EXTENSION_REFUSED, field="extension", old=ExtensionStatus.PENDING,
                      new=ExtensionStatus.REFUSED, meeting=meeting, note=note)
        return extension
    old = case.deadline
    case.deadline = extension.new_deadline
    Assignment.objects.filter(dispute=case, active=True, deadline=old).update(deadline=extension.new_deadline)
    record_change(case, actor, EventKind.DEADLINE_EXTENDED, field="deadline", old=old.isoformat(),
                  new=extension.new_deadline.isoformat(), meeting=meeting, save=("deadline",),
                  note=f"批准延期{extension.days}个{DayMode(extension.mode).label}" + (f"：{note}" if note else ""))
    return extension
