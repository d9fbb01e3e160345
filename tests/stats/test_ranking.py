"""互学互比 (issue 11 #3): the town score equals the printed formula on the hand-computed November fixture
(tests/stats/conftest.py), weights are data, missing rates count 0 and show "—", and the ranking exports as .xlsx."""

import datetime
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEntry
from meetings.models import Meeting
from meetings.oversight import ScoreWeight, SpotCheckItem, SpotCheckSample
from org.models import Division, Level, Role
from stats import ranking
from stats.periods import Period
from tests.conftest import COUNTY, TOWN_Y

from .conftest import NOW, TOWN_X

NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
NOV_QUERY = "?period=custom&from=2026-11-01&to=2026-11-30"
# November 2026 overlaps six ISO weeks (Mondays 10-26 … 11-30).
WEEKS = 6


@pytest.fixture
def at_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, COUNTY, username="duda")


@pytest.fixture
def oversight(november, supervisor, town_x):
    """Town X: its own meeting held in two November weeks; a sample of town X with three phone-backs, two reached
    and one of those satisfied. Town Y: no meeting, no sample."""
    for day in (datetime.date(2026, 11, 3), datetime.date(2026, 11, 10)):
        week = day.isocalendar()
        Meeting.objects.create(tier="town", division_id=TOWN_X, iso_year=week.year, iso_week=week.week, held_on=day,
                               place="会议室", convener=town_x)
    sample = SpotCheckSample.objects.create(town_id=TOWN_X, period_start=datetime.date(2026, 11, 1),
                                            period_end=datetime.date(2026, 11, 20), size=3, seed=1,
                                            candidate_ids=[], drawn_by=supervisor)
    for i, (name, reached, satisfied) in enumerate((("c1", True, True), ("c2", True, False), ("c3", False, None))):
        SpotCheckItem.objects.create(sample=sample, dispute=november[name], position=i + 1, reached=reached,
                                     satisfied=satisfied)
    return november


def expected_meetings(town_code):
    return WEEKS * Division.objects.filter(code__startswith=town_code[:9]).filter(
        level__in=[Level.TOWNSHIP, Level.VILLAGE]).count()


@pytest.mark.django_db
def test_ranking_equals_the_printed_formula_on_the_hand_computed_fixture(client, oversight, supervisor, at_noon):
    # Hand-computed (tests/stats/conftest.py): town X 化解率 4/9 = 44.4, 按时办结率 5/6 = 83.3; town Y (c13) 1/1 and
    # 1/1 = 100.0 each. 例会召开率 X = 2 held ÷ (6 weeks × (town + its villages)); Y = 0. 抽查满意率 X = 1/2 = 50.0,
    # Y none ("—", counts 0).
    x_meetings = (Decimal(100) * 2 / expected_meetings(TOWN_X)).quantize(Decimal("0.1"))
    x_score = Decimal("0.4") * Decimal("44.4") + Decimal("0.3") * Decimal("83.3") + Decimal("0.2") * x_meetings \
        + Decimal("0.1") * Decimal("50.0")
    y_score = Decimal("0.4") * 100 + Decimal("0.3") * 100 + Decimal("0.2") * 0 + Decimal("0.1") * 0

    result = ranking.build(supervisor, NOV)
    rows = {r.town.code: r for r in result.rows}
    x, y = rows[TOWN_X], rows[TOWN_Y]
    assert [x.rates[k] for k in ranking.KEYS] == [Decimal("44.4"), Decimal("83.3"), x_meetings, Decimal("50.0")]
    assert [y.rates[k] for k in ranking.KEYS] == [Decimal("100.0"), Decimal("100.0"), Decimal("0.0"), None]
    assert x.score == x_score.quantize(Decimal("0.01")) and y.score == y_score.quantize(Decimal("0.01"))
    assert [r.town.code for r in result.rows[:2]] == [TOWN_Y, TOWN_X]  # best first
    assert all(r.score == 0 for r in result.rows[2:])  # towns without cases or meetings

    client.force_login(supervisor)
    page = client.get(reverse("stats:ranking") + NOV_QUERY).content.decode()
    assert "得分 = 化解率×0.4 + 按时办结率×0.3 + 例会召开率×0.2 + 抽查满意率×0.1" in page
    y_row = re.search(r"<tr><td>1</td><td>纸坊镇</td>(.*?)</tr>", page, re.S).group(1)
    assert "100.0%" in y_row and "—" in y_row and f"<b>{y.score}</b>" in y_row
    x_row = re.search(r"<tr><td>2</td><td>嘉祥街道</td>(.*?)</tr>", page, re.S).group(1)
    assert "44.4%" in x_row and "4/9" in x_row and "83.3%" in x_row and "50.0%" in x_row and f"<b>{x.score}</b>" in x_row


@pytest.mark.django_db
def test_weights_are_data(client, oversight, supervisor, at_noon):
    assert ranking.weights() == {"resolution_rate": Decimal("0.4"), "on_time_rate": Decimal("0.3"),
                                 "meeting_rate": Decimal("0.2"), "satisfaction_rate": Decimal("0.1")}  # migration
    ScoreWeight.objects.filter(key="resolution_rate").update(weight=Decimal("0.5"))
    ScoreWeight.objects.filter(key="satisfaction_rate").update(weight=Decimal("0"))
    y = next(r for r in ranking.build(supervisor, NOV).rows if r.town.code == TOWN_Y)
    assert y.score == Decimal("80.00")  # 0.5 × 100 + 0.3 × 100
    client.force_login(supervisor)
    page = client.get(reverse("stats:ranking") + NOV_QUERY).content.decode()
    assert "化解率×0.5 + 按时办结率×0.3 + 例会召开率×0.2 + 抽查满意率×0" in page


@pytest.mark.django_db
def test_ranking_exports_as_xlsx_with_the_formula(client, oversight, supervisor, at_noon):
    client.force_login(supervisor)
    response = client.get(reverse("stats:ranking_xlsx") + NOV_QUERY)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[2][0].startswith("得分 = 化解率×0.4")
    first = values[5]
    assert list(first[:2]) == [1, "纸坊镇"]
    assert first[2] == 100.0 and "—" in first and first[-1] == 70.0
    assert AuditEntry.objects.filter(action="export", detail__contains="导出互学互比排名").exists()  # audited


@pytest.mark.django_db
def test_ranking_is_for_the_supervisors_and_the_county_centre(client, november, county_user, town_x, auditor,
                                                              at_noon):
    client.force_login(county_user)
    assert client.get(reverse("stats:ranking")).status_code == 200
    for user in (town_x, auditor):
        client.force_login(user)
        assert client.get(reverse("stats:ranking")).status_code == 403
        assert client.get(reverse("stats:ranking_xlsx")).status_code == 403


@pytest.mark.django_db
def test_bad_period_falls_back_with_a_message(client, supervisor, at_noon):
    client.force_login(supervisor)
    response = client.get(reverse("stats:ranking") + "?period=custom&from=bad")
    assert response.status_code == 200 and "格式不正确" in response.content.decode()
