"""Jurisdiction as a subtree of divisions, decided from codes alone (no query per row).

A 12-digit code is county(6) + township(3) + village(3). A division's subtree is every code that starts with its
significant prefix: the county 370829000000 -> "370829", the township 370829001000 -> "370829001", a village -> all
12 digits.
"""

from django.db.models import Q

# 嘉祥县: the one county this installation serves (org/data/jiaxiang_divisions.csv).
COUNTY_CODE = "370829000000"

PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def prefix_of(code: str, level: str) -> str:
    return code[: PREFIX_LENGTH[level]]


def is_within(code: str, ancestor_code: str, ancestor_level: str) -> bool:
    """True when the division `code` is `ancestor_code` or lies inside it."""
    return code.startswith(prefix_of(ancestor_code, ancestor_level))


def township_code_of(code: str) -> str:
    return code[:9] + "000"


def county_code_of(code: str) -> str:
    return code[:6] + "000000"


def subtree_range(code: str, level: str) -> tuple[str, str]:
    """The 12-digit codes inside a division, as an inclusive range."""
    prefix = prefix_of(code, level)
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def subtree_q(field: str, division) -> Q:
    """`field` (a lookup path ending at a division code, e.g. "village_id" or "village__code") lies inside
    `division`. A code range, not LIKE 'prefix%', so SQLite and PostgreSQL (any collation) use the index
    (docs/benchmarks.md). `division` is a Division or a (code, level) pair."""
    code, level = (division.code, division.level) if hasattr(division, "code") else division
    return Q(**{f"{field}__range": subtree_range(code, level)})
