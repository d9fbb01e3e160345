"""Case numbers: JX-<year>-<6-digit sequence>, assigned once on creation, never reused or changed."""

from django.db import transaction
from django.db.models import F

from ..models import CaseNumberSequence

PREFIX = "JX"


def format_number(year: int, seq: int) -> str:
    return f"{PREFIX}-{year}-{seq:06d}"


@transaction.atomic
def reserve_numbers(year: int, count: int = 1) -> list[str]:
    """Reserve `count` consecutive numbers for `year` under a row lock (safe with concurrent writers)."""
    CaseNumberSequence.objects.get_or_create(year=year)
    CaseNumberSequence.objects.filter(year=year).update(last=F("last") + count)
    last = CaseNumberSequence.objects.select_for_update().values_list("last", flat=True).get(year=year)
    return [format_number(year, seq) for seq in range(last - count + 1, last + 1)]

# What a case number looks like in a URL (cases/converters.py).
NUMBER_PATTERN = rf"{PREFIX}-[0-9A-Z][0-9A-Z-]{{0,24}}"
