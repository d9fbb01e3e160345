"""预警 (DESIGN.md §6): raised at town or county by a person (rules only suggest), re-assessed, closed."""

import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import Forbidden, Refused
from org.jurisdiction import COUNTY_CODE
from org.selectors import membership_of

from ..models import (
    EarlyWarning,
    EventKind,
    Tier,
    WarningDeadline,
    WarningLevel,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
)
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
    recipient_tier, recipient = recipient_of(case, submitted_to)
    respond_by = timezone.now() + datetime.timedelta(hours=response_hours(level))
    warning = EarlyWarning.objects.create(
        dispute=case, level=level, triggers=triggers, reasons=reasons, submitted_to=submitted_to,
        reassess_on=reassess_on, tier=Tier.COUNTY if m.division_id == COUNTY_CODE else Tier.TOWN,
        division=m.division, meeting=meeting, raised_by=actor, recipient_tier=recipient_tier,
        recipient_division_id=recipient, respond_by=respond_by,
    )
    record_change(case, actor, EventKind.WARNING_RAISED, field="warning", new=level, meeting=meeting,
                  note=f"情形：{'、'.join(warning.trigger_labels())}；报送：{warning.get_submitted_to_display()}"
                       f"（{timezone.localtime(respond_by):%m月%d日%H:%M}前回复）；"
                       f"重新评估：{reassess_on:%Y-%m-%d}；理由：{reasons}")
    return warning


DEFAULT_RESPONSE_HOURS = {WarningLevel.RED: 24, WarningLevel.ORANGE: 72, WarningLevel.YELLOW: 168}


def response_hours(level) -> int:
    """The recipient's time to answer a warning of `level`: the WarningDeadline row, else 24 h / 3 d / 7 d."""
    row = WarningDeadline.objects.filter(level=level).first()
    return row.hours if row else DEFAULT_RESPONSE_HOURS[level]


def recipient_of(case, submitted_to) -> tuple[str, str]:
    """(tier, division code) a warning is delivered to: the town leadership of the case's township (党政联席会议)
    or the county centre."""
    if submitted_to == WarningTarget.COUNTY:
        return Tier.COUNTY, COUNTY_CODE
    return Tier.TOWN, case.village.parent_id


def _lock_addressed(case, actor, warning_id):
    from .. import policy

    warning = _lock_warning(case, warning_id)
    if not policy.receives_warning(actor, warning):
        raise Forbidden("该预警不是报送给您所在单位的，不能签收或回复。")
    return warning


@transaction.atomic
def sign_warning(*, actor, dispute, warning_id: int) -> EarlyWarning:
    """签收: the recipient confirms it has the warning; the answer is still due by `respond_by`."""
    case = lock_case(actor, dispute)
    warning = _lock_addressed(case, actor, warning_id)
    if warning.signed_at:
        raise Refused("该预警已签收。")
    warning.signed_by, warning.signed_at = actor, timezone.now()
    warning.save(update_fields=["signed_by", "signed_at"])
    record_change(case, actor, EventKind.WARNING_SIGNED, field="warning", new=warning.level, obj=warning,
                  note=f"{warning.get_submitted_to_display()}签收{warning.get_level_display()}")
    return warning


@transaction.atomic
def answer_warning(*, actor, dispute, warning_id: int, reply: str) -> EarlyWarning:
    """批示/回复: the recipient's instruction or answer, recorded on the warning and the timeline. Signs for it too
    if that was not done yet."""
    case = lock_case(actor, dispute)
    warning = _lock_addressed(case, actor, warning_id)
    if warning.replied_at:
        raise Refused("该预警已回复。")
    reply = required(reply, "批示/回复意见", 2000)
    now = timezone.now()
    if not warning.signed_at:
        warning.signed_by, warning.signed_at = actor, now
    warning.reply, warning.replied_by, warning.replied_at = reply, actor, now
    warning.save(update_fields=["signed_by", "signed_at", "reply", "replied_by", "replied_at"])
    late = "（超过回复时限）" if warning.respond_by and now > warning.respond_by else ""
    record_change(case, actor, EventKind.WARNING_ANSWERED, field="warning", new=warning.level, obj=warning,
                  note=f"{warning.get_submitted_to_display()}批示{late}：{reply}")
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
