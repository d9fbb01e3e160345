"""The cases app's models, one module per kind (choices, the dispute and its timeline, workflow records, rules,
evidence). Import from `cases.models`; the modules are an internal split."""

from .choices import (
    BASIC_FIELDS,
    EVENT_FIELDS,
    FINISHED_STATUSES,
    NEXT_TIER,
    OPEN_STATUSES,
    RISK_RANK,
    TIER_RANK,
    AttachmentKind,
    AttachmentType,
    CalendarDayKind,
    Category,
    ClockMarkKind,
    DayMode,
    DeadlinePurpose,
    DutyKind,
    EscalationAction,
    EventKind,
    Outcome,
    PartyRole,
    ReferralKind,
    ReferralStatus,
    Risk,
    Satisfaction,
    Sex,
    Source,
    Status,
    SupervisionStatus,
    Tier,
    WarningLevel,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
    event_field_label,
    event_value_label,
)
from .dispute import CaseEvent, CaseNumberSequence, Dispute, Party, SubCategory
from .evidence import Attachment, PiiReveal
from .records import Assignment, ClockMark, DutyLog, EarlyWarning, Referral, Supervision, Visit
from .rules import CalendarDay, DeadlineRule, EscalationRule

__all__ = [
    "BASIC_FIELDS", "EVENT_FIELDS", "event_field_label", "event_value_label",
    "Assignment", "Attachment", "AttachmentKind", "AttachmentType", "CalendarDay", "CalendarDayKind", "CaseEvent",
    "CaseNumberSequence", "Category", "ClockMark", "ClockMarkKind", "DayMode", "DeadlinePurpose", "DeadlineRule",
    "Dispute", "DutyKind", "DutyLog", "EarlyWarning", "EscalationAction", "EscalationRule", "EventKind",
    "FINISHED_STATUSES", "NEXT_TIER", "OPEN_STATUSES", "Outcome", "Party", "PartyRole", "PiiReveal", "RISK_RANK",
    "Referral", "ReferralKind", "ReferralStatus", "Risk", "Satisfaction", "Sex", "Source", "Status", "SubCategory",
    "Supervision", "SupervisionStatus", "TIER_RANK", "Tier", "Visit", "WarningLevel", "WarningStatus",
    "WarningTarget", "WarningTrigger",
]
