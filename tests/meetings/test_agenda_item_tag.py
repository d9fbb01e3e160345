"""{% agenda_item %} writes exactly what templates/meetings/_agenda_item.html writes, for every kind of item."""

import pytest
from django.template import Context, Template
from django.utils import timezone

from cases.models import Assignment, Dispute, Status, Tier
from meetings import agenda
from meetings.models import FlagOverride
from org.models import Unit
from org.people import person_for
from tests.conftest import TOWN_X, VILLAGE_A
from tests.meetings import DAY, no_rules, open_meeting, pending_referral, rule, set_fields
from tests.meetings.test_agenda import add_warning, town_world  # noqa: F401, F811 - the fixture

pytestmark = pytest.mark.urls("tests.meetings")

REFERENCE = Template('{% for item in items %}{% include "meetings/_agenda_item.html" %}{% endfor %}')
TAG = Template("{% load agenda_tags %}{% for item in items %}{% agenda_item item %}{% endfor %}")


def both(meeting, items, **context):
    data = {"meeting": meeting, "items": items, **context}
    return REFERENCE.render(Context(data)), TAG.render(Context(data))


@pytest.fixture
def full_agenda(town_world, make_case, secretary_a, town_x):  # noqa: F811 - the imported fixture
    """town_world's items (new, pending, overdue, due soon, serious, warned, active) plus a 四定 with a unit, a case
    held by a unit, a markup-laden title and reason, a rule flag left open and one overridden, a recorded review and
    a case carried over from the previous meeting's minutes."""
    cases, _off = town_world
    active = cases["active"]
    Assignment.objects.create(
        dispute=active, tier=Tier.TOWN, lead_leader=person_for(town_x), responsible_person=person_for(town_x),
        responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), measures="调解", created_by=town_x,
        deadline=timezone.now() + 9 * DAY)
    set_fields(cases["due_later"], holder_unit=Unit.objects.get(name="嘉祥街道司法所"),
               title='<script>alert("x")</script> & 邻里')
    Dispute.objects.filter(pk=cases["pending"].pk).update(status=Status.REFERRED)
    cases["pending"].referrals.update(reason='先后三次调解<未果> & "拒绝"')
    no_rules()
    flagged_rule = rule(name="镇街案件须预警", tier="town")
    meeting = open_meeting(town_x)
    FlagOverride.objects.create(meeting=meeting, dispute=cases["red"], rule=flagged_rule, reason="已稳控<b>", by=town_x)
    from meetings import services

    services.record_review(actor=town_x, meeting=meeting, dispute=cases["overdue"], analysis="继续调处<i>\n第二行",
                           decision="continue")
    result = agenda.assemble(meeting)
    for item in result.items:
        if item.dispute.pk == cases["referred_up"].pk:
            item.carried_over = True
    return meeting, result.items, cases


@pytest.mark.django_db
@pytest.mark.parametrize("can_write", [True, False])
def test_every_kind_of_item_renders_as_the_template_did(full_agenda, can_write):
    meeting, items, cases = full_agenda
    reference, tag = both(meeting, items, can_write=can_write, csrf_token="tok123")
    assert tag == reference
    # What the comparison covered (so a world without these could not pass it silently).
    for shown in ("四定：包案领导", "承办 嘉祥街道司法所", "&lt;script&gt;", "待签收：", "&lt;未果&gt;", "规则提示",
                  "已说明不予处理：已稳控&lt;b&gt;", "已研判", "上次例会未研判（转入）", "重新评估）"):
        assert shown in tag, shown
    assert ('name="csrfmiddlewaretoken" value="tok123"' in tag) is can_write
    assert ("议题页（案情与研判同屏）" in tag) is can_write


@pytest.mark.django_db
def test_the_item_with_the_inline_review_form_is_the_templates_own(full_agenda, town_x):
    from meetings import selectors
    from meetings.views import _review_form

    meeting, items, cases = full_agenda
    item = next(i for i in items if i.dispute.pk == cases["active"].pk)
    item.review_form = _review_form(town_x, meeting, item, selectors.review_choices(meeting))
    reference, tag = both(meeting, [item], can_write=True, csrf_token="tok123")
    assert tag == reference and "保存研判并执行决定" in tag


@pytest.mark.django_db
def test_a_village_item_without_deadline_or_unit(make_case, secretary_a):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS)
    set_fields(case, deadline=None)
    add_warning(case, secretary_a, division_code=TOWN_X)
    meeting = open_meeting(secretary_a)
    pending_referral(make_case(secretary_a, VILLAGE_A), by=secretary_a, to_code=TOWN_X)
    items = agenda.assemble(meeting).items
    assert items
    reference, tag = both(meeting, items, can_write=True)  # no csrf_token in the context: nothing written for it
    assert tag == reference
    undated = tag.split(f'id="item-{case.pk}"')[1].split("</article>")[0]
    assert "时限" not in undated and "重新评估）" in undated
