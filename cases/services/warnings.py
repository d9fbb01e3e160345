"""预警 (DESIGN.md §6): raised at town or county by a person (rules only suggest), re-assessed, closed."""

import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import Refused
from org.jurisdiction import COUNTY_CODE
from org.selectors import membership_of

from ..models import EarlyWarning, EventKind, Tier, WarningLevel, WarningStatus, WarningTarget, WarningTrigger
from ..rules.transitions import pending_referral
from ._common import check, lock_case, required
from .record import record_change


def _reassess_date(reassess_on):
    if reassess_on < timezone.localdate():
        raise Refused("重新评估日期不能早于今天。", field="reassess_on")
    return reassess_on


@transaction.atomic
def raise_warning(*, actor, dispute, level: str, triggers: list[str], reasons: str, submitted_to: str,
                  reassess_on: datetime.date, meeting=None) -> EarlyWarning:
    """预警 raised at town or county (also by the receiver of a pending referral), confirmed by a person."""
    case = lock_case(actor, dispute)
    check("warn", actor, case, referral=pending_referral(case))
    if level not in WarningLevel.values:
        raise Refused("预警等级无效。", field="level")
    triggers = [t for t in dict.fromkeys(triggers or []) if t in WarningTrigger.values]
    if not triggers:
        raise Refused("请至少选择一种预警情形。", field="triggers")
    if submitted_to not in WarningTarget.values:
        raise Refused("请选择报送对象。", field="submitted_to")
    _reassess_date(reassess_on)
    reasons = required(reasons, "预警理由")
    m = membership_of(actor)
    warning = EarlyWarning.objects.create(
        dispute=case, level=level, triggers=triggers, reasons=reasons, submitted_to=submitted_to,
        reassess_on=reassess_on, tier=Tier.COUNTY if m.division_id == COUNTY_CODE else Tier.TOWN,
        division=m.division, meeting=meeting, raised_by=actor,
    )
    record_change(case, actor, EventKind.WARNING_RAISED, field="warning", new=level, meeting=meeting,
                  note=f"情形：{'、'.join(warning.trigger_labels())}；报送：{warning.get_submitted_to_display()}；"
                       f"重新评估：{reassess_on:%Y-%m-%d}；理由：{reasons}")
    return warning


def _lock_warning(case, warning_id):
    warning = EarlyWarning.objects.select_for_update().filter(pk=warning_id, dispute=case).first()
    if warning is None:
        raise Refused("未找到该预警。", field="warning")
    if warning.status != WarningStatus.OPEN:
        raise Refused("该预警已解除。", field="warning")
    return warning


@transaction.atomic
def reassess_warning(*, actor, dispute, warning_id: int, level: str, reassess_on: datetime.date, note: str,
                     meeting=None) -> EarlyWarning:
    case = lock_case(actor, dispute)
    check("reassess_warning", actor, case)
    warning = _lock_warning(case, warning_id)
    if level not in WarningLevel.values:
        raise Refused("预警等级无效。", field="level")
    _reassess_date(reassess_on)
    note = required(note, "评估意见")
    old = warning.level
    warning.level, warning.reassess_on = level, reassess_on
    warning.save(update_fields=["level", "reassess_on"])
    record_change(case, actor, EventKind.WARNING_REASSESSED, field="warning_level", old=old, new=level,
                  meeting=meeting, note=f"下次评估：{reassess_on:%Y-%m-%d}；{note}")
    return warning


@transaction.atomic
def close_warning(*, actor, dispute, warning_id: int, note: str, meeting=None) -> EarlyWarning:
    case = lock_case(actor, dispute)
    check("close_warning", actor, case)
    warning = _lock_warning(case, warning_id)
    note = required(note, "解除理由")
    warning.status, warning.closed_at, warning.close_note = WarningStatus.CLOSED, timezone.now(), note
    warning.save(update_fields=["status", "closed_at", "close_note"])
    record_change(case, actor, EventKind.WARNING_CLOSED, field="warning_status", old=WarningStatus.OPEN,
                  new=WarningStatus.CLOSED, meeting=meeting, note=f"{warning.get_level_display()}：{note}")
    return warning
