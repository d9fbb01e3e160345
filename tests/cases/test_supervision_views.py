"""纪委督办台账 (/supervision/): who sees which supervisions, closing one, and the page's fixed query count."""

import datetime
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    CaseEvent,
    Dispute,
    EventKind,
    Status,
    Supervision,
    SupervisionStatus,
    Tier,
)
from cases.rules.deadlines import end_of_day
from cases.services import supervision as sup
from core.errors import Refused
from org.models import Role
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_B, VILLAGE_C


@pytest.fixture
def discipline_x(make_user):
    return make_user(Role.DISCIPLINE, TOWN_X, username="jw_x")


@pytest.fixture
def discipline_y(make_user):
    return make_user(Role.DISCIPLINE, TOWN_Y, username="jw_y")


@pytest.fixture
def discipline_county(make_user):
    return make_user(Role.DISCIPLINE, COUNTY, username="jw_county")


@pytest.fixture
def supervised(make_case, secretary_a):
    """A case of `village` at `tier` that missed its deadline, with the supervision the sweep opened for it."""

    def make(village=VILLAGE_A, *, tier=Tier.VILLAGE, title="张三与李四宅基地边界纠纷", missed_days_ago=1):
        case = make_case(secretary_a, village, tier=tier, status=Status.IN_PROGRESS, title=title)
        missed = end_of_day(timezone.localdate() - datetime.timedelta(days=missed_days_ago))
        Dispute.objects.filter(pk=case.pk).update(deadline=missed)
        assert sup.mark_overdue(case_id=case.pk, deadline=missed, actor=sup.system_actor(), now=timezone.now())
        supervision = sup.open_supervision(case_id=case.pk, deadline=missed, actor=sup.system_actor(),
                                           now=timezone.now())
        assert supervision is not None
        return supervision

    return make


LIST = "/supervision/"


def close_url(supervision):
    return f"/supervision/{supervision.pk}/close/"


# ---------------------------------------------------------------------------------------------------------------
# Who sees what
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_url_names_are_the_ones_to_wire():
    assert reverse("supervision:list") == LIST
    assert reverse("supervision:close", args=[7]) == "/supervision/7/close/"


@pytest.mark.django_db
def test_town_discipline_sees_its_townships_supervisions_only(client, discipline_x, supervised):
    mine_a = supervised(VILLAGE_A, title="刘山村宅基地纠纷")
    mine_b = supervised(VILLAGE_B, tier=Tier.TOWN, title="唐庄村借贷纠纷")
    other_town = supervised(VILLAGE_C, title="东纸坊村邻里纠纷")
    client.force_login(discipline_x)
    response = client.get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    for s in (mine_a, mine_b):
        assert s.dispute.number in body and s.dispute.title in body
    assert other_town.dispute.number not in body and "东纸坊村邻里纠纷" not in body
    assert {s.pk for s in response.context["page"].rows} == {mine_a.pk, mine_b.pk}
    # missed deadline, supervision deadline, days left, case status — all shown
    assert f"{timezone.localtime(mine_a.missed_deadline):%Y-%m-%d}" in body
    assert f"{timezone.localtime(mine_a.due_at):%Y-%m-%d}" in body
    days_left = (timezone.localtime(mine_a.due_at).date() - timezone.localdate()).days
    assert days_left >= 15 and f"剩{days_left}天" in body
    assert "案件调处中" in body


@pytest.mark.django_db
def test_county_discipline_sees_the_county_supervisions(client, discipline_county, supervised):
    county_case = supervised(VILLAGE_C, tier=Tier.COUNTY, title="县级土地纠纷")
    town_case = supervised(VILLAGE_A, title="村级纠纷")
    assert county_case.division_id == COUNTY and town_case.division_id == TOWN_X
    client.force_login(discipline_county)
    rows = client.get(LIST).context["page"].rows
    assert [s.pk for s in rows] == [county_case.pk]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["secretary_a", "town_x", "county_user", "unit_user", "auditor", "sysadmin"])
def test_other_roles_are_refused(client, request, who, supervised):
    s = supervised()
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert client.post(close_url(s), {"note": "已督促"}).status_code == 403
    s.refresh_from_db()
    assert s.status == SupervisionStatus.OPEN


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, supervised):
    s = supervised()
    for response in (client.get(LIST), client.post(close_url(s), {"note": "x"})):
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---------------------------------------------------------------------------------------------------------------
# Filter, days left / overdue
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_open_is_the_default_and_all_shows_closed_ones_too(client, discipline_x, supervised):
    open_one = supervised(title="仍在督办")
    done = supervised(title="已经办结")
    sup.close_supervision(actor=discipline_x, supervision=done, note="已落实")
    client.force_login(discipline_x)
    assert [s.pk for s in client.get(LIST).context["page"].rows] == [open_one.pk]
    body = client.get(LIST + "?show=all").content.decode()
    assert "仍在督办" in body and "已经办结" in body and "已落实" in body
    assert client.get(LIST + "?show=nonsense").context["show"] == "open"


@pytest.mark.django_db
def test_overdue_supervisions_say_by_how_many_days(client, discipline_x, supervised):
    s = supervised()
    Supervision.objects.filter(pk=s.pk).update(due_at=end_of_day(timezone.localdate() - datetime.timedelta(days=3)))
    client.force_login(discipline_x)
    body = client.get(LIST).content.decode()
    assert "超期3天" in body


# ---------------------------------------------------------------------------------------------------------------
# Closing
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_discipline_closes_a_supervision_with_a_note(client, discipline_x, supervised):
    s = supervised()
    client.force_login(discipline_x)
    unconfirmed = client.post(close_url(s), {"note": "已约谈包案领导"}, follow=True)
    assert "请勾选“确认办结”后再提交" in unconfirmed.content.decode()
    s.refresh_from_db()
    assert s.status == SupervisionStatus.OPEN  # not closed without the confirmation
    response = client.post(close_url(s), {"note": "  已约谈包案领导，纠纷已化解。 ", "confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "督办已办结" in response.content.decode()
    s.refresh_from_db()
    assert s.status == SupervisionStatus.DONE and s.closed_at is not None
    assert s.note == "已约谈包案领导，纠纷已化解。"
    event = CaseEvent.objects.get(dispute=s.dispute, kind=EventKind.SUPERVISION_CLOSED)
    assert event.actor == discipline_x and event.note == s.note
    assert (event.old_value, event.new_value) == ("open", "done")
    assert (event.old_display, event.new_display) == ("督办中", "已办结")


@pytest.mark.django_db
def test_closing_needs_a_note(client, discipline_x, supervised):
    s = supervised()
    client.force_login(discipline_x)
    response = client.post(close_url(s), {"note": "   "}, follow=True)
    assert "请填写督办办结意见" in response.content.decode()
    s.refresh_from_db()
    assert s.status == SupervisionStatus.OPEN
    assert not CaseEvent.objects.filter(kind=EventKind.SUPERVISION_CLOSED).exists()


@pytest.mark.django_db
def test_a_supervision_cannot_be_closed_twice(client, discipline_x, supervised):
    s = supervised()
    client.force_login(discipline_x)
    client.post(close_url(s), {"note": "第一次", "confirm": "on"})
    response = client.post(close_url(s), {"note": "第二次", "confirm": "on"}, follow=True)
    assert "不能再办结" in response.content.decode()
    s.refresh_from_db()
    assert s.note == "第一次"
    assert CaseEvent.objects.filter(kind=EventKind.SUPERVISION_CLOSED).count() == 1


@pytest.mark.django_db
def test_another_towns_supervision_answers_404(client, discipline_y, supervised):
    s = supervised(VILLAGE_A)
    client.force_login(discipline_y)
    assert client.post(close_url(s), {"note": "越权"}).status_code == 404
    assert client.post("/supervision/999999/close/", {"note": "不存在"}).status_code == 404
    s.refresh_from_db()
    assert s.status == SupervisionStatus.OPEN


@pytest.mark.django_db
def test_close_is_post_only(client, discipline_x, supervised):
    s = supervised()
    client.force_login(discipline_x)
    assert client.get(close_url(s)).status_code == 405


@pytest.mark.django_db
def test_the_close_service_refuses_an_empty_note():
    with pytest.raises(Refused, match="请填写督办办结意见"):
        sup.close_supervision(actor=None, supervision=Supervision(), note=" ")


# ---------------------------------------------------------------------------------------------------------------
# Query count
# ---------------------------------------------------------------------------------------------------------------

LIST_BUDGET = 7  # session, user, membership, 待办 badge, capped count, page rows (+ the holiday check near a year end)


_serial = itertools.count(1)


def clone_supervisions(template: Supervision, n: int):
    """Cheap rows: n more cases of the same village, each with an open supervision."""
    case = Dispute.objects.get(pk=template.dispute_id)
    fields = {f.attname: getattr(case, f.attname) for f in Dispute._meta.concrete_fields if not f.primary_key}
    clones = [Dispute(**{**fields, "number": f"JX-T-{next(_serial):06d}"}) for _ in range(n)]
    created = Dispute.objects.bulk_create(clones)
    Supervision.objects.bulk_create([
        Supervision(dispute=d, missed_deadline=template.missed_deadline, due_at=template.due_at,
                    division_id=template.division_id) for d in created
    ])


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?show=all", "?page=2"])
def test_list_query_count_does_not_grow_with_rows(client, discipline_x, supervised, django_assert_max_num_queries,
                                                  query):
    first = supervised()
    clone_supervisions(first, 40)
    client.force_login(discipline_x)
    with django_assert_max_num_queries(LIST_BUDGET):
        assert client.get(LIST + query).status_code == 200
    clone_supervisions(first, 400)
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(LIST + query)
    assert len(response.context["page"].rows) == 25
