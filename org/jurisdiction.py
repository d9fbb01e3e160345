"""Jurisdiction as a subtree of divisions, decided from codes alone (no query per row).

A 12-digit code is county(6) + township(3) + village(3). A division's subtree is every code that starts with its
significant prefix: the county 370829000000 -> "370829", the township 370829001000 -> "370829001", a village -> all
12 digits.
"""

PREFIX_LENGTH = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}


def prefix_of(code: str, level: str) -> str:
    return code[: PREFIX_LENGTH[level]]


def is_within(code: str, ancestor_code: str, ancestor_level: str) -> bool:
    """True when the division `code` is `ancestor_code` or lies inside it."""
    return code.startswith(prefix_of(ancestor_code, ancestor_level))


def township_code_of(code: str) -> str:
    return code[:9] + "000"
