"""{% case_rows rows show_parties=True empty_text="…" %}: the case list's rows (the ledger, the home page).

Written in Python rather than as an included template: 25 rows through the template engine were a quarter of the
ledger's time (docs/performance.md). The markup is exactly what templates/cases/_case_rows.html was (the test
tests/cases/test_case_rows_tag.py renders that template and this tag and compares them)."""

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from cases.models import Category, Risk, Status
from core.clocks import clock_for
from core.html import esc

register = template.Library()

EMPTY = "暂无纠纷记录。"


def _clock(deadline, now) -> str:
    """As {% clock %} (templates/_clock.html, whose last newline the inclusion tag keeps)."""
    clock = clock_for(deadline, now=now)
    return (f'<span class="{esc(clock.css)}">{esc(clock.text)}</span>' if clock else "") + "\n"


PLACEHOLDER = "JX-0CASENUMBER0"  # a case number's shape (services.numbering.NUMBER_PATTERN), replaced per row


class Labels:
    """What every row looks up, resolved once per list: the choice labels and the detail URL's shape (a reverse()
    and three get_FOO_display() per row were half the rows' time)."""

    def __init__(self):
        self.risk, self.status, self.category = ({k: esc(v) for k, v in c.choices} for c in (Risk, Status, Category))
        self.url = reverse("cases:detail", args=[PLACEHOLDER])

    def link(self, number):
        return esc(self.url.replace(PLACEHOLDER, number))


def _row(c, show_parties, now, labels) -> str:
    meta = f"{esc(c.village.short_name)} · {labels.category.get(c.category, esc(c.category))} · {c.arose_on:%Y-%m-%d}"
    if c.deadline:
        meta += f" · 时限 {timezone.localtime(c.deadline):%m-%d}"
    if show_parties:
        meta += " · 当事人：" + "、".join(esc(p.name) for p in c.parties.all())
    return (
        f'\n  <li class="case-row">\n    <a href="{labels.link(c.number)}" class="case-link">\n'
        f'      <span class="number">{esc(c.number)}</span>\n'
        f'      <span class="risk risk-{esc(c.risk)}">{labels.risk.get(c.risk, esc(c.risk))}</span>\n'
        f'      <span class="status status-{esc(c.status)}">{labels.status.get(c.status, esc(c.status))}</span>\n'
        f'      {_clock(c.deadline, now) if c.is_open else ""}\n'
        f'      <strong class="title">{esc(c.title)}</strong>\n'
        f'      <span class="meta">{meta}</span>\n    </a>\n  </li>\n'
    )


@register.simple_tag
def case_rows(rows, show_parties=False, empty_text=""):
    if not rows:
        return mark_safe(f'\n<p class="empty">{esc(empty_text or EMPTY)}</p>\n')
    now, labels = timezone.now(), Labels()
    return mark_safe('\n<ul class="case-rows">\n' + "".join(_row(c, show_parties, now, labels) for c in rows)
                     + "\n</ul>\n")
