"""All writes to cases. Keyword-only arguments, one transaction, one timeline row per change."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

import audit
from org.models import Division

from .models import CaseEvent, Dispute, EventKind, Party, Risk, Status, Tier
from .numbering import reserve_numbers


class CaseConflict(Exception):
    """The case changed since the user loaded it (stale version). `current` is the case as it is now."""

    def __init__(self, current):
        super().__init__("stale version")
        self.current = current


def _event(dispute, actor, kind, *, field="", old="", new="", note=""):
    return CaseEvent.objects.create(
        dispute=dispute, actor=actor, kind=kind, field=field, old_value=str(old)[:200], new_value=str(new)[:200],
        note=note,
    )


@transaction.atomic
def create_dispute(*, actor, village: Division, fields: dict, parties: list[dict]) -> Dispute:
    """Register a dispute at the village tier with its parties. `fields` holds the form's cleaned dispute fields."""
    if not parties:
        raise ValueError("至少需要一名当事人。")
    number = reserve_numbers(timezone.localdate().year)[0]
    dispute = Dispute.objects.create(
        number=number, village=village, holder_division=village, tier=Tier.VILLAGE, status=Status.LOGGED,
        created_by=actor, **fields,
    )
    Party.objects.bulk_create([Party(dispute=dispute, **p) for p in parties])
    audit.record(None, action="case_write", obj=dispute, user=actor, detail=f"登记（当事人{len(parties)}人）")
    _event(
        dispute, actor, EventKind.LOGGED, new=Status.LOGGED.label,
        note=f"登记于{village.name}，当事人{len(parties)}人：" + "、".join(p["name"] for p in parties),
    )
    return dispute


# Fields of the basic record an edit may change, in timeline order.
EDITABLE_FIELDS = ("title", "category", "subcategory", "source", "people_involved", "arose_on", "place", "description")


def _display(dispute, field):
    value = getattr(dispute, field)
    display = getattr(dispute, f"get_{field}_display", None)
    return display() if display else ("" if value is None else value)


@transaction.atomic
def update_dispute(*, actor, dispute: Dispute, version: int, fields: dict, risk: str, risk_reason: str = "") -> Dispute:
    """Change a case's basic record. Refuses a stale `version` (someone saved in between) with CaseConflict.

    Risk changes need a reason and get their own timeline row (DESIGN.md §3)."""
    locked = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if locked.version != version:
        raise CaseConflict(locked)
    changed = []
    for field in EDITABLE_FIELDS:
        if field not in fields or getattr(locked, field) == fields[field]:
            continue
        old = _display(locked, field)
        setattr(locked, field, fields[field])
        changed.append(field)
        _event(locked, actor, EventKind.EDITED, field=locked._meta.get_field(field).verbose_name, old=old,
               new=_display(locked, field))
    if risk != locked.risk:
        if not risk_reason.strip():
            raise ValueError("调整风险等级必须填写理由。")
        old = locked.get_risk_display()
        locked.risk = risk
        changed.append("risk")
        _event(locked, actor, EventKind.RISK_CHANGED, field="风险等级", old=old, new=Risk(risk).label,
               note=risk_reason.strip())
    if changed:
        audit.record(None, action="case_write", obj=locked, user=actor, detail=f"修改基本信息（{len(changed)}项）")
        locked.version = F("version") + 1
        locked.save(update_fields=[*changed, "version", "updated_at"])
        locked.refresh_from_db(fields=["version"])
    return locked


@transaction.atomic
def record_edit_conflict(*, actor, dispute: Dispute, version: int, fields: dict, risk: str) -> list[dict]:
    """Keep a refused stale edit on the timeline (nothing typed is lost) and return the field-by-field comparison.

    Called after `update_dispute` raised CaseConflict; the user's values are stored in one EDIT_CONFLICT event."""
    current = Dispute.objects.get(pk=dispute.pk)
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
    audit.record(None, action="case_write", obj=current, user=actor, outcome="failure",
                 detail="修改冲突：基于旧版本的修改未保存，已记入办理过程")
    _event(current, actor, EventKind.EDIT_CONFLICT, old=f"第{version}版", new=f"当前第{current.version}版",
           note=f"该修改基于旧版本，未覆盖他人的修改。提交的内容：{note}")
    return rows
