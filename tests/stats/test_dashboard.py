"""/dashboard/: scope, drill-down, every number a ledger link showing the same count, empty periods, bad input."""

import datetime
import html
import re

import pytest
import time_machine
from django.urls import reverse

from stats import dashboard as board
from stats.periods import Period

from .conftest import NOW, TOWN_X, VILLAGE_A

NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
NOV_QUERY = "?period=custom&from=2026-11-01&to=2026-11-30"


def ledger_count(client, url) -> int:
    body = client.get(url).content.decode()
    return int(re.search(r"共 (\d+)\+? 条", body).group(1))


@pytest.fixture
def at_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
def test_every_linked_number_opens_the_ledger_with_the_same_count(november, client, county_user, at_noon):
    client.force_login(county_user)
    dash = board.build(county_user, NOV, None)
    checked = 0
    for card in [*dash.cards, *dash.warning_cards]:
        if card.url:
            assert ledger_count(client, card.url) == card.value, card.label
            checked += 1
    for row in [*dash.by_division, *dash.by_category, *dash.by_source]:
        for figure in ("collected", "resolved", "in_progress", "overdue", "relapsed", "partial", "failed"):
            if figure in row["links"] and row["links"][figure]:
                assert ledger_count(client, row["links"][figure]) == row[figure], (row["label"], figure)
                checked += 1
    for week in dash.trend[-3:]:
        assert ledger_count(client, week["links"]["collected"]) == week["collected"]
        checked += 1
    for row in dash.by_trigger + dash.overdue_units + dash.overdue_leaders:
        assert ledger_count(client, row["url"]) == row.get("value", row.get("n"))
        checked += 1
    assert checked > 60


@pytest.mark.django_db
def test_the_page_shows_the_hand_computed_headline_with_links(november, client, town_x, at_noon):
    """(The fixture's cases are town X's villages A; the town sees them all.)"""
    client.force_login(town_x)
    body = client.get(reverse("stats:dashboard") + NOV_QUERY).content.decode()
    dash = board.build(town_x, NOV, None)
    assert dash.summary["collected"] == 9 and dash.summary["resolved"] == 4
    assert f'href="{html.escape(dash.cards[0].url)}">9</a>' in body
    assert "44.4%" in body and "83.3%" in body
    assert "环比 ↑8" in body  # 收集研判 9 against October's 1
    assert 'id="dashboard-data"' in body and "<script>" not in body.replace('<script src=', '')


@pytest.mark.django_db
def test_county_drills_into_a_town_and_sees_its_villages(november, client, county_user, at_noon):
    client.force_login(county_user)
    county = client.get(reverse("stats:dashboard") + NOV_QUERY).content.decode()
    assert "按镇街排名" in county and "嘉祥街道" in county and "纸坊镇" in county
    town = client.get(reverse("stats:dashboard") + NOV_QUERY + f"&division={TOWN_X}").content.decode()
    assert "按村/社区排名" in town and "刘山村" in town and "纸坊镇" not in town
    dash = board.build(county_user, NOV, TOWN_X)
    assert dash.summary["collected"] == 9  # town X's cases only
    village = board.build(county_user, NOV, VILLAGE_A)
    assert village.summary["collected"] == 9 and village.child_level is None


@pytest.mark.django_db
def test_a_division_outside_the_jurisdiction_is_404(client, town_y, secretary_a):
    client.force_login(town_y)
    assert client.get(reverse("stats:dashboard") + f"?division={TOWN_X}").status_code == 404
    assert client.get(reverse("stats:dashboard") + f"?division={VILLAGE_A}").status_code == 404
    client.force_login(secretary_a)
    assert client.get(reverse("stats:dashboard") + f"?division={TOWN_X}").status_code == 404


@pytest.mark.django_db
def test_roles_without_case_content_get_403(client, auditor, sysadmin):
    for user in (auditor, sysadmin):
        client.force_login(user)
        assert client.get(reverse("stats:dashboard")).status_code == 403


@pytest.mark.django_db
def test_an_empty_period_shows_dashes_not_zero_percent(client, secretary_a):
    client.force_login(secretary_a)
    body = client.get(reverse("stats:dashboard") + "?from=2026-01-01&to=2026-01-31").content.decode()
    # 化解率, 按时办结率 and 群众评价满意率 (docs/citizen.md), not "0.0%"
    assert body.count('<span class="value">—</span>') == 3
    assert "本期没有登记的纠纷" in body


@pytest.mark.django_db
@pytest.mark.parametrize("query, status, text", [
    ("?from=2026-13-45", 200, "开始日期格式不正确"),
    ("?from=2026-11-10&to=2026-11-01", 200, "结束日期不能早于开始日期"),
    ("?period=xyz", 200, "统计期间无效"),
    ("?division=abc", 404, ""),
    ("?screen=1&period=year", 200, "本年"),
])
def test_bad_parameters_never_give_an_error_page(client, county_user, query, status, text):
    client.force_login(county_user)
    response = client.get(reverse("stats:dashboard") + query)
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.django_db
def test_big_screen_view(client, county_user):
    client.force_login(county_user)
    body = client.get(reverse("stats:dashboard") + "?screen=1").content.decode()
    assert "dash-screen" in body and "退出大屏" in body
