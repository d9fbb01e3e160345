"""本周例会召开情况: who held (and closed) the week's meeting, on the real 16 towns and 453 villages, in a fixed
number of queries; a bad ?week= falls back to this week with a message."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Tier
from meetings.models import Meeting
from meetings.selectors import Week, compliance_for, parse_week
from org.models import Division, Level, Role
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_B
from tests.meetings import close, open_meeting

pytestmark = pytest.mark.urls("tests.meetings")


def hold(divisions, convener, week: Week, *, closed=False):
    Meeting.objects.bulk_create([
        Meeting(tier=Tier.VILLAGE if d.level == Level.VILLAGE else Tier.TOWN, division=d, iso_year=week.year,
                iso_week=week.week, held_on=week.monday, place="会议室", convener=convener,
                status="closed" if closed else "open")
        for d in divisions
    ])


def test_parse_week():
    assert parse_week("2026-W48") == Week(2026, 48)
    assert parse_week("2026w5") == Week(2026, 5)
    assert parse_week("2026-W53") == Week(2026, 53)  # 2026 has 53 ISO weeks
    assert parse_week("2026-W4８") == Week(2026, 48)  # full-width digits from a Chinese IME are fine
    for bad in ("", None, "2025-W53", "2026-W00", "2026-W54", "48", "2026-48", "abcd-Wxx", "0000-W01"):
        assert parse_week(bad) is None, bad
    assert Week(2026, 53).shift(1) == Week(2027, 1) and Week(2026, 1).shift(-1) == Week(2025, 52)


@pytest.mark.django_db
def test_town_sees_which_of_its_villages_held_and_closed_the_meeting(client, secretary_a, secretary_b, town_x):
    a = open_meeting(secretary_a)
    b = open_meeting(secretary_b)
    close(secretary_b, b)
    open_meeting(town_x)
    data = compliance_for(town_x, Week.current())
    villages = Division.objects.filter(parent_id=TOWN_X)
    assert data.total == villages.count() and (data.held, data.closed) == (2, 1) and data.own is not None
    rows = {row.division.code: row for row in data.rows}
    assert rows[VILLAGE_A].meeting == a and not rows[VILLAGE_A].closed and rows[VILLAGE_B].closed
    client.force_login(town_x)
    body = client.get(reverse("meetings:compliance")).content.decode()
    assert "本周例会召开情况" in body and "2/" in body and "刘山村" in body and a.get_absolute_url() in body


@pytest.mark.django_db
def test_county_sees_each_town_and_how_many_of_its_villages_held_theirs(client, secretary_a, secretary_b, town_x,
                                                                        county_user):
    open_meeting(secretary_a)
    close(secretary_b, open_meeting(secretary_b))
    town = open_meeting(town_x)
    data = compliance_for(county_user, Week.current())
    assert data.total == 16 and data.held == 1 and data.villages_total == 453 and data.villages_held == 2
    x = next(row for row in data.rows if row.division.code == TOWN_X)
    assert (x.meeting, x.villages_held, x.villages_closed) == (town, 2, 1)
    assert x.villages_total == Division.objects.filter(parent_id=TOWN_X).count()
    client.force_login(county_user)
    body = client.get(reverse("meetings:compliance")).content.decode()
    assert "嘉祥街道" in body and "2/453" in body and "县级例会" in body


@pytest.mark.django_db
def test_week_is_selectable_and_bad_input_falls_back_with_a_message(client, town_x, secretary_a):
    last = Week.current().shift(-1)
    hold([Division.objects.get(code=VILLAGE_A)], secretary_a, last)
    client.force_login(town_x)
    body = client.get(reverse("meetings:compliance") + f"?week={last.param}").content.decode()
    assert f"{last.year}年第{last.week}周例会召开情况" in body and "1/" in body
    for bad in ("garbage", "2025-W53", "2026-W99", "<script>", "9999999999-W1"):
        response = client.get(reverse("meetings:compliance"), {"week": bad})
        assert response.status_code == 200
        assert "周次格式无效" in response.content.decode() and "本周例会召开情况" in response.content.decode()


@pytest.mark.django_db
def test_access(client, auditor, sysadmin, secretary_a, make_user):
    assert client.get(reverse("meetings:compliance")).status_code == 302
    for user in (auditor, sysadmin):
        client.force_login(user)
        assert client.get(reverse("meetings:compliance")).status_code == 403
    client.force_login(secretary_a)
    body = client.get(reverse("meetings:compliance")).content.decode()
    assert "刘山村" in body and "唐庄村" not in body
    supervisor = make_user(Role.SUPERVISOR, COUNTY)
    client.force_login(supervisor)
    assert "纸坊镇" in client.get(reverse("meetings:compliance")).content.decode()


def count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_query_count_is_constant_with_every_village_and_town_meeting(client, county_user, town_y, secretary_a):
    week = Week.current()
    client.force_login(county_user)
    url = reverse("meetings:compliance")
    villages = list(Division.objects.filter(level=Level.VILLAGE))
    towns = list(Division.objects.filter(level=Level.TOWNSHIP))
    assert len(villages) == 453
    hold(villages[:5], secretary_a, week)
    hold(towns[:1], secretary_a, week)
    small = count(client, url)
    hold(villages[5:], secretary_a, week, closed=True)
    hold(towns[1:], secretary_a, week)
    large = count(client, url)
    assert small == large <= 8
    body = client.get(url).content.decode()
    assert "453/453" in body and "16/16" in body
    client.force_login(town_y)
    assert count(client, url) <= 8
    assert Meeting.objects.filter(iso_year=week.year, iso_week=week.week).count() == 469
    assert timezone.localdate() - week.monday < datetime.timedelta(days=7)
    assert TOWN_Y in {t.code for t in towns}
