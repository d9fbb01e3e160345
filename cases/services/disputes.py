"""Registering a dispute and editing its basic record. Keyword-only arguments, one transaction, one
`record_change` per call."""

import json

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, Refused
from core.fields import bind_rows
from org.models import Division

from .. import policy
from ..models import BASIC_FIELDS, Dispute, EventKind, Party, Status, Tier
from ._common import lock_case
from .citizen import create_code
from .numbering import reserve_numbers
from .record import record_change


class CaseConflict(Conflict):
    """The case changed since the user loaded it (stale version). `current` is the case as it is now."""

    def __init__(self, current):
        super().__init__("该案件在您打开之后已被他人修改，您的修改未保存。")
        self.current = current


@transaction.atomic
def create_dispute(*, actor, village: Division, fields: dict, parties: list[dict]) -> Dispute:
    """Register a dispute at the village tier with its parties. `fields` holds the form's cleaned dispute fields."""
    if not parties:
        raise Refused("至少需要一名当事人。")
    number = reserve_numbers(timezone.localdate().year)[0]
    dispute = Dispute.objects.create(
        number=number, village=village, holder_division=village, tier=Tier.VILLAGE, status=Status.LOGGED,
        created_by=actor, **fields,
    )
    rows = Party.objects.bulk_create([Party(dispute=dispute, **p) for p in parties])
    bind_rows(rows)  # bulk_create sends no signal: bind the ciphertexts to the new rows' keys (docs/pii.md)
    create_code(actor=actor, dispute=dispute)  # the 查询码 printed on the citizen's receipt (docs/citizen.md)
    record_change(dispute, actor, EventKind.LOGGED, field="status", new=Status.LOGGED, bump=False,
                  note=f"登记于{village.name}，当事人{len(parties)}人：" + "、".join(p["name"] for p in parties),
                  detail=f"登记（当事人{len(parties)}人）")
    return dispute


# Fields of the basic record an edit may change, in timeline order.
EDITABLE_FIELDS = ("title", "category", "subcategory", "source", "people_involved", "arose_on", "place", "description")


def _code(dispute, field):
    """What the timeline stores for a field: the choice code, the related row's name, the ISO date, the text."""
    value = getattr(dispute, field)
    if value is None:
        return ""
    if field == "subcategory":
        return value.name
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, int) else str(value)


def _display(dispute, field):
    value = getattr(dispute, field)
    display = getattr(dispute, f"get_{field}_display", None)
    return display() if display else ("" if value is None else value)


@transaction.atomic
def update_dispute(*, actor, dispute: Dispute, version: int, fields: dict, risk: str, risk_reason: str = "") -> Dispute:
    """Change a case's basic record. Refuses a stale `version` (someone saved in between) with CaseConflict.

    One timeline row: "basic" with the changed fields' old and new values as JSON; a change of the risk level
    alone is its own kind (RISK_CHANGED), and any risk change needs a reason (DESIGN.md §3)."""
    locked = lock_case(actor, dispute)
    if locked.version != version:
        raise CaseConflict(locked)
    if not policy.can_edit_case(actor, locked):
        raise Refused("只有当前承办方可以修改案件基本信息。")
    old, new = {}, {}
    for field in EDITABLE_FIELDS:
        if field not in fields or getattr(locked, field) == fields[field]:
            continue
        old[field] = _code(locked, field)
        setattr(locked, field, fields[field])
        new[field] = _code(locked, field)
    risk_reason = risk_reason.strip()
    if risk != locked.risk:
        if not risk_reason:
            raise Refused("调整风险等级必须填写理由。", field="risk_reason")
        old["risk"], new["risk"] = locked.risk, risk
        locked.risk = risk
    if not new:
        return locked
    if list(new) == ["risk"]:
        record_change(locked, actor, EventKind.RISK_CHANGED, field="risk", old=old["risk"], new=risk,
                      note=risk_reason, save=("risk",))
    else:
        record_change(locked, actor, EventKind.EDITED, field=BASIC_FIELDS, old=json.dumps(old, ensure_ascii=False),
                      new=json.dumps(new, ensure_ascii=False), note=risk_reason if "risk" in new else "",
                      save=tuple(new), detail=f"修改基本信息（{len(new)}项）")
    return locked


@transaction.atomic
def record_edit_conflict(*, actor, dispute: Dispute, version: int, fields: dict, risk: str) -> list[dict]:
    """Keep a refused stale edit on the timeline (nothing typed is lost) and return the field-by-field comparison.

    Called after `update_dispute` raised CaseConflict; the user's values are stored in one EDIT_CONFLICT event."""
    current = lock_case(actor, dispute)
    proposed = {**fields, "risk": risk}
    rows = []
    for field in (*EDITABLE_FIELDS, "risk"):
        if field not in proposed:
            continue
        probe = Dispute(**{field: proposed[field]})
        mine, theirs = _display(probe, field), _display(current, field)
        if str(mine) != str(theirs):
            rows.append({"label": Dispute._meta.get_field(field).verbose_name, "mine": mine, "theirs": theirs})
    note = "；".join(f"{r['label']}：{r['mine']}" for r in rows) or "与当前内容相同"
    record_change(current, actor, EventKind.EDIT_CONFLICT, field="version", old=version, new=current.version,
                  bump=False, note=f"该修改基于旧版本，未覆盖他人的修改。提交的内容：{note}",
                  detail="修改冲突：基于旧版本的修改未保存，已记入办理过程", outcome="failure")
    return rows
