"""Reads of the audit log, for auditors only (audit.views checks the role)."""

from dataclasses import dataclass

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
