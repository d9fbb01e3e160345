"""`record_change`: the one way a change to a case is recorded (STYLE.md, Zulip's `do_*` actions).

Every service that changes a case calls it once, inside its own transaction, after setting the case's fields: it
saves those fields with the version bumped (one UPDATE), appends the timeline row (`CaseEvent`, codes not labels),
writes the audit row and announces the change (`core.changes`: the 待办 queue listens). All of it commits or rolls
back together with the caller's change.
"""

from django.db.models import F
from django.utils import timezone

import audit
from audit.models import Action, Outcome
from core import changes

from ..models import CaseEvent, Dispute, EventKind


def record_change(case: Dispute, actor, kind: str, *, field: str = "", old="", new="", meeting=None, note: str = "",
                  save: tuple[str, ...] = (), bump: bool = True, action: str = Action.CASE_WRITE, obj=None,
                  detail: str = "", outcome: str = Outcome.SUCCESS) -> CaseEvent:
    """Save `save` (fields the caller set on `case`) and bump the version; then one event and one audit row.

    field/old/new are codes (`field="status", old="logged", new="in_progress"`); the timeline renders labels.
    `bump=False` for records that change no field of the case (a PII reveal), so nobody's open edit goes stale.
    `obj` is what the audit row points at (default: the case); `detail` its Chinese description (default: the
    event kind's label) — never personal information."""
    if bump:
        case.version = F("version") + 1
        case.updated_at = timezone.now()
        case.save(update_fields=[*dict.fromkeys(save), "version", "updated_at"])
        case.refresh_from_db(fields=["version"])
    elif save:
        case.save(update_fields=list(dict.fromkeys(save)))
    event = CaseEvent.objects.create(
        dispute=case, actor=actor, kind=kind, meeting=meeting, field=field, old_value="" if old is None else str(old),
        new_value="" if new is None else str(new), note=note or "",
    )
    audit.record(None, action=action, obj=obj if obj is not None else case, user=actor, label=case.number,
                 detail=detail or EventKind(kind).label, outcome=outcome)
    changes.publish(case=case, kind=kind, actor=actor)
    return event
