"""{% case_rows %} writes exactly the markup the included template did, for every kind of row."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone

from cases.models import Dispute, Status
from cases.rules.deadlines import end_of_day
from cases.selectors import case_list
from tests.conftest import VILLAGE_A, VILLAGE_B, party_row

# templates/cases/_case_rows.html as it was before the tag (the reference the tag must match).
REFERENCE = """{% load core_tags %}{% if rows %}
<ul class="case-rows">
{% for c in rows %}
  <li class="case-row">
    <a href="{{ c.get_absolute_url }}" class="case-link">
      <span class="number">{{ c.number }}</span>
      <span class="risk risk-{{ c.risk }}">{{ c.get_risk_display }}</span>
      <span class="status status-{{ c.status }}">{{ c.get_status_display }}</span>
      {% if c.is_open %}{% clock c.deadline %}{% endif %}
      <strong class="title">{{ c.title }}</strong>
      <span class="meta">{{ c.village.short_name }} · {{ c.get_category_display }} · {{ c.arose_on|date:"Y-m-d" }}{% if c.deadline %} · 时限 {{ c.deadline|date:"m-d" }}{% endif %}{% if show_parties %} · 当事人：{% for p in c.parties.all %}{{ p.name }}{% if not forloop.last %}、{% endif %}{% endfor %}{% endif %}</span>
    </a>
  </li>
{% endfor %}
</ul>
{% else %}
<p class="empty">{{ empty_text|default:"暂无纠纷记录。" }}</p>
{% endif %}
"""
TAG = "{% load case_tags %}{% case_rows rows show_parties=show_parties empty_text=empty_text %}"


def both(**context):
    return (Template(REFERENCE).render(Context(context)).strip(), Template(TAG).render(Context(context)).strip())


@pytest.mark.django_db
def test_rows_of_every_state_render_as_the_template_did(make_case, secretary_a, secretary_b, town_x):
    make_case(secretary_a, VILLAGE_A, title='标题<含>&"引号"', parties=[party_row("王<小>明"), party_row("李四", "respondent")])
    make_case(secretary_b, VILLAGE_B, status=Status.RESOLVED)
    overdue = make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS)
    Dispute.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - datetime.timedelta(days=3))
    today = make_case(secretary_a, VILLAGE_A)
    # The end of today in Beijing, not "in five minutes": that is tomorrow after 23:55 (a run crossing midnight).
    Dispute.objects.filter(pk=today.pk).update(deadline=end_of_day(timezone.localdate()))
    Dispute.objects.filter(pk=make_case(secretary_a, VILLAGE_A).pk).update(deadline=None)
    rows = list(case_list(town_x).order_by("-created_at", "-id"))
    assert len(rows) == 5
    for show_parties in (True, False):
        reference, tag = both(rows=rows, show_parties=show_parties, empty_text="")
        assert tag == reference
        assert "超期3天" in tag and "今日到期" in tag and "王&lt;小&gt;明" in tag or not show_parties


@pytest.mark.parametrize("empty_text", ["", "没有符合条件的纠纷。<b>"])
def test_no_rows_says_so_as_the_template_did(empty_text):
    reference, tag = both(rows=[], show_parties=True, empty_text=empty_text)
    assert tag == reference
