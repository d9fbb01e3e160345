"""All writes to cases (STYLE.md: services). Each public function is one atomic action that ends in one
`record_change` (timeline row + audit row + version bump). Import them from here."""

from .attachments import store_attachment
from .disputes import CaseConflict, create_dispute, record_edit_conflict, update_dispute
from .handling import close_case, fix_assignment, record_duty, record_visit, reject, reopen, resolve, start_handling
from .pii import RevealLimitExceeded, reveal_party_pii
from .record import record_change
from .referrals import accept_referral, refer_up, return_referral, transfer_to_unit
from .supervision import close_supervision, escalate_supervision, mark_due_soon, mark_overdue, open_supervision, sweep
from .warnings import close_warning, raise_warning, reassess_warning

__all__ = [
    "CaseConflict", "RevealLimitExceeded", "accept_referral", "close_case", "close_supervision", "close_warning",
    "create_dispute", "escalate_supervision", "fix_assignment", "mark_due_soon", "mark_overdue", "open_supervision",
    "raise_warning", "reassess_warning", "record_change", "record_duty", "record_edit_conflict", "record_visit",
    "refer_up", "reject", "reopen", "resolve", "return_referral", "reveal_party_pii", "start_handling",
    "store_attachment", "sweep", "transfer_to_unit", "update_dispute",
]
