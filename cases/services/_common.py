"""What every case service does first: lock the case through the actor's visibility and check the table."""

from core.errors import Forbidden, Refused

from ..rules.transitions import TRANSITIONS, position_of
from ..selectors import cases_visible_to


def lock_case(user, dispute):
    """Re-read the case under a row lock, through the user's visibility (outsiders: DoesNotExist -> 404 upstream)."""
    return cases_visible_to(user).select_for_update().get(pk=dispute.pk)


def check_state(action, case):
    t = TRANSITIONS[action]
    if case.status not in t.sources:
        raise Refused(f"案件当前状态为“{case.get_status_display()}”，不能{t.label}。")


def check(action, user, case, *, referral=None, extension=None) -> set[str]:
    """The case's status and the user's position must be in the table's row for `action`."""
    t = TRANSITIONS[action]
    check_state(action, case)
    positions = position_of(user, case, referral=referral, extension=extension)
    if not positions & t.positions:
        raise Forbidden(f"您不是该案件当前的承办方，不能{t.label}。")
    return positions


def move(case, action) -> str:
    """Set the case's status to the action's target; return the old status code (for the event's `old`)."""
    old = case.status
    target = TRANSITIONS[action].target
    if target:
        case.status = target
    return old


def required(text, what, max_length: int | None = None) -> str:
    text = (text or "").strip()
    if not text:
        raise Refused(f"请填写{what}。")
    if max_length and len(text) > max_length:
        raise Refused(f"{what}不能超过{max_length}字。")
    return text


def person_name(user) -> str:
    return user.get_full_name() or user.username


RESOLUTION_FIELDS = ("outcome", "outcome_note", "resolved_at", "first_resolved_at", "first_resolved_on_time")


def set_resolution(case, outcome: str, note: str, at) -> tuple[str, ...]:
    """Write a resolution's outcome and time; the first one also records whether it beat the deadline then in force
    (an approved extension included): 按时办结率 reads that, and a later relapse never changes it (DESIGN.md §8).
    Returns the fields to save."""
    case.outcome, case.outcome_note, case.resolved_at = outcome, note, at
    if case.first_resolved_at is None:
        case.first_resolved_at = at
        case.first_resolved_on_time = case.deadline is None or at <= case.deadline
    return RESOLUTION_FIELDS
