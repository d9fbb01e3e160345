"""预警台账 (warnings/): jurisdiction, roles, filters, highlighting and a pinned query count."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import EarlyWarning, Status, Tier, WarningStatus
from meetings.models import Meeting
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_B, VILLAGE_C

pytestmark = pytest.mark.django_db

URL = "/warnings/"
PAGE_BUDGET = 7  # session, user, membership, counts by level, capped count, page rows (+ slack for one)
_week = itertools.count(1)


def warn(case, raiser, *, level="red", triggers=("group_petition",), reasons="涉及多户，可能集体上访",
         submitted_to="town_joint", reassess_in=7, status=WarningStatus.OPEN, meeting=None):
    return EarlyWarning.objects.create(
        dispute=case, level=level, triggers=list(triggers), reasons=reasons, submitted_to=submitted_to,
        reassess_on=timezone.localdate() + datetime.timedelta(days=reassess_in), status=status,
        tier=Tier.TOWN, division_id=case.village.parent_id or TOWN_X, raised_by=raiser, meeting=meeting,
        closed_at=timezone.now() if status == WarningStatus.CLOSED else None,
    )


def meeting_of(town_code, convener):
    return Meeting.objects.create(tier=Tier.TOWN, division_id=town_code, iso_year=2026, iso_week=next(_week),
                                  held_on=timezone.localdate(), place="镇会议室", convener=convener)


@pytest.fixture
def cases(make_case, secretary_a, secretary_b, secretary_c):
    return {
        "a": make_case(secretary_a, VILLAGE_A, title="刘山村宅基地纠纷"),
        "b": make_case(secretary_b, VILLAGE_B, title="唐庄村土地纠纷"),
        "c": make_case(secretary_c, VILLAGE_C, title="东纸坊村借贷纠纷"),
        "county": make_case(secretary_a, VILLAGE_A, title="已到县的纠纷", tier=Tier.COUNTY,
                            status=Status.IN_PROGRESS),
    }


def body_of(client, user, query=""):
    client.force_login(user)
    response = client.get(URL + query)
    assert response.status_code == 200
    return response.content.decode()


def test_url_name_is_warnings_list():
    assert reverse("warnings:list") == URL


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_administrator_and_auditor_are_refused(client, sysadmin, auditor, cases, town_x):
    warn(cases["a"], town_x)
    for user in (sysadmin, auditor):
        client.force_login(user)
        response = client.get(URL)
        assert response.status_code == 403
        assert cases["a"].number not in response.content.decode()


def test_page_is_read_only(client, town_x):
    client.force_login(town_x)
    assert client.post(URL, {"status": "closed"}).status_code == 405


def test_town_sees_its_villages_and_not_the_other_town(client, town_x, town_y, cases):
    for key in ("a", "b", "c"):
        warn(cases[key], town_x if key != "c" else town_y, reasons=f"理由{key}")
    body = body_of(client, town_x)
    assert cases["a"].number in body and cases["b"].number in body
    assert cases["c"].number not in body and "理由c" not in body
    body = body_of(client, town_y)
    assert cases["c"].number in body and cases["a"].number not in body and cases["b"].number not in body


def test_village_sees_only_its_village(client, secretary_a, secretary_b, town_x, cases):
    warn(cases["a"], town_x)
    warn(cases["b"], town_x)
    body = body_of(client, secretary_b)
    assert cases["b"].number in body and cases["a"].number not in body


def test_the_county_centre_sees_every_warning_of_the_county(client, county_user, town_x, cases):
    warn(cases["a"], town_x)
    warn(cases["county"], town_x, submitted_to="county")
    body = body_of(client, county_user)
    assert cases["county"].number in body and cases["a"].number in body
    assert "县社会治理协调中心" in body


def test_user_without_membership_sees_nothing(client, django_user_model, town_x, cases):
    warn(cases["a"], town_x)
    user = django_user_model.objects.create_user("nobody", password="x")
    body = body_of(client, user)
    assert cases["a"].number not in body and "没有预警中的纠纷" in body


def test_row_shows_triggers_reasons_target_and_case_link(client, town_x, cases):
    meeting = meeting_of(TOWN_X, town_x)
    warn(cases["a"], town_x, triggers=["group_petition", "intensify"], reasons="三户联名，情绪激动",
         submitted_to="town_joint", meeting=meeting)
    body = body_of(client, town_x)
    for text in ("集体访", "可能激化", "三户联名，情绪激动", "镇街党政联席会议", "红色预警", "平安周例会",
                 cases["a"].get_absolute_url()):
        assert text in body, text


def test_status_filter_open_by_default_then_closed_and_all(client, town_x, cases):
    warn(cases["a"], town_x, reasons="仍在预警")
    warn(cases["b"], town_x, reasons="已经解除", status=WarningStatus.CLOSED)
    default = body_of(client, town_x)
    assert "仍在预警" in default and "已经解除" not in default
    closed = body_of(client, town_x, "?status=closed")
    assert "已经解除" in closed and "仍在预警" not in closed
    everything = body_of(client, town_x, "?status=all")
    assert "已经解除" in everything and "仍在预警" in everything
    assert "仍在预警" in body_of(client, town_x, "?status=bogus&level=purple&order=sideways")


def test_level_filter_and_grouping_most_serious_first(client, town_x, cases):
    warn(cases["a"], town_x, level="yellow", reasons="黄色的理由")
    warn(cases["b"], town_x, level="red", reasons="红色的理由")
    warn(cases["a"], town_x, level="orange", reasons="橙色的理由")
    body = body_of(client, town_x)
    assert body.index("红色的理由") < body.index("橙色的理由") < body.index("黄色的理由")
    assert body.count('class="warning-group"') == 3
    only_orange = body_of(client, town_x, "?level=orange")
    assert "橙色的理由" in only_orange and "红色的理由" not in only_orange and "黄色的理由" not in only_orange
    newest = body_of(client, town_x, "?order=newest")
    assert newest.index("橙色的理由") < newest.index("红色的理由") < newest.index("黄色的理由")
    assert 'class="warning-group"' not in newest


def test_level_counts_follow_the_status_filter(client, town_x, cases):
    warn(cases["a"], town_x, level="red")
    warn(cases["b"], town_x, level="red")
    warn(cases["a"], town_x, level="yellow", status=WarningStatus.CLOSED)
    client.force_login(town_x)
    links = {link["value"]: link["count"] for link in client.get(URL).context["level_links"]}
    assert links == {"red": 2, "orange": 0, "yellow": 0}
    links = {link["value"]: link["count"] for link in client.get(URL + "?status=all").context["level_links"]}
    assert links == {"red": 2, "orange": 0, "yellow": 1}


def test_past_due_reassessment_is_highlighted_only_while_open(client, town_x, cases):
    warn(cases["a"], town_x, reassess_in=-2, reasons="早该重新评估")
    warn(cases["b"], town_x, reassess_in=3, reasons="还没到评估日")
    client.force_login(town_x)
    response = client.get(URL)
    flagged = {w.reasons: w.reassess_overdue for _, rows in response.context["groups"] for w in rows}
    assert flagged == {"早该重新评估": True, "还没到评估日": False}
    assert response.content.decode().count("已过重新评估日期") == 1
    EarlyWarning.objects.filter(reasons="早该重新评估").update(status=WarningStatus.CLOSED)
    assert "已过重新评估日期" not in body_of(client, town_x, "?status=all")


def test_pagination(client, town_x, cases, settings):
    settings.CASE_LIST_PAGE_SIZE = 10
    for i in range(23):
        warn(cases["a"], town_x, reasons=f"第{i}条")
    client.force_login(town_x)
    first = client.get(URL).context["page"]
    assert len(first.rows) == 10 and first.has_next and first.total == 23
    third = client.get(URL + "?page=3").context["page"]
    assert len(third.rows) == 3 and not third.has_next
    assert "page=2" in client.get(URL + "?page=3&level=red").content.decode()


def many_warnings(cases, raiser, n, meeting):
    levels = ["red", "orange", "yellow"]
    EarlyWarning.objects.bulk_create([
        EarlyWarning(dispute=cases["ab"[i % 2]], level=levels[i % 3], triggers=["group_petition", "extreme"],
                reasons=f"批量{i}", submitted_to="town_joint", reassess_on=timezone.localdate(),
                tier=Tier.TOWN, division_id=TOWN_X, raised_by=raiser, meeting=meeting if i % 2 else None)
        for i in range(n)
    ])


@pytest.mark.parametrize("query", ["", "?status=all&order=reassess", "?level=red&page=2", "?order=newest"])
def test_query_count_is_pinned_with_many_rows(client, town_x, cases, query, django_assert_max_num_queries):
    meeting = meeting_of(TOWN_X, town_x)
    many_warnings(cases, town_x, 10, meeting)
    client.force_login(town_x)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL + query).status_code == 200
    many_warnings(cases, town_x, 300, meeting)
    with django_assert_max_num_queries(PAGE_BUDGET):
        response = client.get(URL + query)
    assert response.status_code == 200 and response.context["page"].rows
    with CaptureQueriesContext(connection) as large:
        client.get(URL + query)
    assert len(small) == len(large)


def test_other_town_warning_never_counted(client, town_y, town_x, cases):
    warn(cases["a"], town_x, level="red")
    warn(cases["c"], town_y, level="orange")
    client.force_login(town_y)
    links = {link["value"]: link["count"] for link in client.get(URL).context["level_links"]}
    assert links == {"red": 0, "orange": 1, "yellow": 0}


def test_unit_sees_warnings_of_cases_it_holds(client, unit_user, town_x, cases):
    from cases.models import Dispute

    Dispute.objects.filter(pk=cases["county"].pk).update(holder_unit=unit_user.membership.unit)
    warn(cases["county"], town_x, reasons="移交单位的预警")
    warn(cases["a"], town_x, reasons="别处的预警")
    body = body_of(client, unit_user)
    assert "移交单位的预警" in body and "别处的预警" not in body
