"""core.html.esc writes exactly what Django's conditional_escape writes, for every kind of value the pages pass."""

import datetime
from decimal import Decimal

import pytest
from django.utils.functional import lazy
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from core.html import esc

lazy_safe = lazy(lambda: mark_safe("<b>已转义</b>"), SafeString)


class Widget:
    def __html__(self):
        return '<input name="q">'


VALUES = [
    "刘山村 · 房屋宅基地", 'a & b <c> "d" \'e\'', "&amp; already", "", " ", "\n", 0, 12, -3.5, Decimal("1.50"),
    None, True, datetime.date(2026, 12, 2), mark_safe("<i>safe</i>"), SafeString("&lt;"), gettext_lazy("必填项"),
    lazy_safe(), Widget(), "王<小>明", "JX-2026-000001", "\u2028", "💡",
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
def test_esc_is_conditional_escape(value):
    assert esc(value) == str(conditional_escape(value))


def test_esc_escapes_what_would_break_markup_and_leaves_marked_safe_text():
    assert esc('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert esc(mark_safe("<br>")) == "<br>"
    assert esc("'") == "&#x27;"
