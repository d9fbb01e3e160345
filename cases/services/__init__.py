"""All writes to cases (STYLE.md: services). Each public function is one atomic action that ends in one
`record_change` (timeline row + audit row + version bump). Import them from here."""

from .attachments import store_attachment
from .casebook import mark_typical, withdraw_typical
from .disputes import CaseConflict, create_dispute, record_edit_conflict, update_dispute
from .extensions import decide_extension, request_extension
from .handling import close_case, fix_assignment, record_duty, record_visit, reject, reopen, resolve, start_handling
from .imports import import_cases
from .mediation import (
    name_mediators,
    record_agreement,
    record_confirmation,
    record_performance,
    record_session,
    request_mediator_change,
)
from .pii import RevealLimitExceeded, reveal_party_pii
from .record import record_change
from .referrals import (
    accept_referral,
    accept_transfer,
    file_feedback,
    refer_up,
    return_referral,
    return_transfer,
    review_feedback,
    transfer_to_unit,
)
from .supervision import (
    close_supervision,
    escalate_supervision,
    issue_supervision_notice,
    mark_due_soon,
    mark_overdue,
    mark_warning_overdue,
    open_supervision,
    record_supervision_measure,
    record_supervision_reply,
    remind_supervision,
    sweep,
)
from .warnings import answer_warning, close_warning, raise_warning, reassess_warning, sign_warning

__all__ = [
    "CaseConflict", "RevealLimitExceeded", "accept_referral", "answer_warning", "sign_warning", "accept_transfer", "decide_extension", "file_feedback",
    "request_extension", "return_transfer", "review_feedback", "close_case", "close_supervision", "close_warning",
    "create_dispute", "escalate_supervision", "fix_assignment", "mark_due_soon", "mark_overdue", "mark_warning_overdue", "open_supervision",
    "raise_warning", "reassess_warning", "record_change", "record_duty", "record_edit_conflict", "record_visit",
    "refer_up", "reject", "reopen", "resolve", "return_referral", "reveal_party_pii", "start_handling",
    "store_attachment", "sweep", "transfer_to_unit", "update_dispute",
    "mark_typical", "withdraw_typical",
    "import_cases",
    "remind_supervision", "issue_supervision_notice", "record_supervision_reply", "record_supervision_measure",
    "name_mediators", "request_mediator_change", "record_session", "record_agreement", "record_performance",
    "record_confirmation",
]
