"""Reads of the audit log, for auditors only (audit.views checks the role)."""

from dataclasses import dataclass

from django.apps import apps

from org.models import Division

from .models import AuditEntry


@dataclass
class KeysetPage:
    rows: list
    newer_than: int | None  # `after` for the link to newer rows, or None on the newest page
    older_than: int | None  # `before` for the link to older rows, or None on the oldest page


def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def keyset_page(queryset, *, before=None, after=None, size: int) -> KeysetPage:
    """Newest first, by id; one query whatever the table size and however deep (no OFFSET, no COUNT)."""
    before, after = _int(before), _int(after)
    if after is not None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(rows, rows[0].id if rows and has_newer else None, rows[-1].id if rows else None)
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset.order_by("-id")[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    newer = rows[0].id if rows and before is not None else None
    return KeysetPage(rows, newer, rows[-1].id if rows and has_older else None)


def entries():
    return AuditEntry.objects.all()


def readable(rows: list) -> list:
    """Sets on each row what the auditor reads instead of codes: `division_name` (the acting user's division) and
    `object_text` ("矛盾纠纷 JX-2026-000220", "用户 sec_a", "行政区划 嘉祥街道" instead of cases.dispute#220).

    At most one query for the divisions of the whole page, and one per kind of object whose rows carry no label
    (a model with a `number`, read by its name through the app registry: audit imports no app above org); none when
    there is nothing to look up."""
    codes = {r.division_code for r in rows if r.division_code}
    codes |= {r.object_id for r in rows if r.object_type == "org.division" and r.object_id}
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name")) if codes else {}
    unlabelled = {}
    for r in rows:
        if r.object_type and r.object_id and not r.object_label and r.object_type != "org.division":
            unlabelled.setdefault(r.object_type, set()).add(r.object_id)
    numbers = {}
    for label, ids in unlabelled.items():
        model = _model(label)
        if model is not None and any(f.name == "number" for f in model._meta.concrete_fields):
            try:
                found = model._base_manager.filter(pk__in=ids).values_list("pk", "number")
                numbers[label] = {str(pk): number for pk, number in found}
            except (ValueError, TypeError):  # an id that is no key of this model
                numbers[label] = {}
    for r in rows:
        r.division_name = names.get(r.division_code, r.division_code)
        r.object_text = _object_text(r, names, numbers)
    return rows


def _model(label: str):
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _object_text(r, names: dict, numbers: dict) -> str:
    if not r.object_type:
        return r.object_label or "—"
    model = _model(r.object_type)
    kind = str(model._meta.verbose_name) if model is not None else r.object_type
    if r.object_type == "org.division":
        what = names.get(r.object_id) or r.object_label or r.object_id
    else:
        what = r.object_label or numbers.get(r.object_type, {}).get(r.object_id) or f"编号 {r.object_id}"
    return f"{kind} {what}".strip()
