"""群众评价满意率 (docs/statistics.md, stats.figures.citizen_ratings): (满意 + 基本满意) ÷ rated cohort cases, one
query for any number of periods, within what the user may see, on the dashboard with 环比.

Hand-computed fixture, local dates, looked at on 2026-12-20:
    December 2026 (P), village A:  d1 满意, d2 基本满意, d3 不满意, d4 closed not rated, d5 open
    November 2026 (环比), village A: n1 满意 (rated in December: a cohort figure counts it in November)
    December 2026, village C (town Y): c1 不满意 — outside town X
  town X, P: rated 3, satisfied 2 → 66.7 %;  November: 1 of 1 → 100.0 %;  county, P: 2 of 4 → 50.0 %
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Status
from cases.selectors import cases_visible_to
from cases.services import citizen
from stats import dashboard as board
from stats import figures
from stats.periods import Period
from tests.conftest import VILLAGE_A, VILLAGE_C

TZ = ZoneInfo("Asia/Shanghai")
DEC = Period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
LOOKED_AT = datetime.datetime(2026, 12, 20, 12, 0, tzinfo=TZ)


@pytest.fixture
def rated(make_case, secretary_a, secretary_c):
    def case(when, satisfaction=None, *, status=Status.CLOSED, actor=secretary_a, village=VILLAGE_A):
        with time_machine.travel(when, tick=False):
            made = make_case(actor, village, status=status)
        if satisfaction:
            with time_machine.travel(datetime.datetime(2026, 12, 18, 9, 0, tzinfo=TZ), tick=False):
                citizen.rate_case(dispute=made, satisfaction=satisfaction)
        return made

    day = lambda d, m=12: datetime.datetime(2026, m, d, 10, 0, tzinfo=TZ)  # noqa: E731
    case(day(2), "satisfied")
    case(day(3), "basic")
    case(day(4), "unsatisfied")
    case(day(5))
    case(day(6), status=Status.IN_PROGRESS)
    case(day(10, 11), "satisfied")
    case(day(7), "unsatisfied", actor=secretary_c, village=VILLAGE_C)


@pytest.mark.django_db
def test_the_figure_by_hand(rated, town_x, county_user):
    with time_machine.travel(LOOKED_AT, tick=False):
        dec, nov = figures.citizen_ratings(cases_visible_to(town_x), DEC, NOV)
        (county,) = figures.citizen_ratings(cases_visible_to(county_user), DEC)
    assert (dec["rated"], dec["satisfied"], dec["unsatisfied"], str(dec["satisfaction_rate"])) == (3, 2, 1, "66.7")
    assert (nov["rated"], nov["satisfied"], str(nov["satisfaction_rate"])) == (1, 1, "100.0")
    assert (county["rated"], county["satisfied"], str(county["satisfaction_rate"])) == (4, 2, "50.0")


@pytest.mark.django_db
def test_no_rating_is_a_dash_not_zero(town_x):
    (row,) = figures.citizen_ratings(cases_visible_to(town_x), DEC)
    assert row == {"rated": 0, "satisfied": 0, "unsatisfied": 0, "satisfaction_rate": None}


@pytest.mark.django_db
def test_three_periods_cost_one_query(rated, town_x):
    cases = cases_visible_to(town_x)
    with CaptureQueriesContext(connection) as ctx:
        figures.citizen_ratings(cases, DEC, NOV, DEC.year_ago())
    assert len([q for q in ctx.captured_queries if "citizenrating" in q["sql"]]) == 1
    assert len(ctx.captured_queries) <= 2  # the one query, plus the user's membership (visibility)


@pytest.mark.django_db
def test_the_dashboard_shows_the_rate_with_its_comparison(rated, client, town_x):
    with time_machine.travel(LOOKED_AT, tick=False):
        dash = board.build(town_x, DEC, None)
        client.force_login(town_x)
        body = client.get(reverse("stats:dashboard") + "?from=2026-12-01&to=2026-12-31").content.decode()
    card = next(c for c in dash.cards if c.key == "citizen_satisfaction")
    assert (card.label, str(card.value), str(card.previous)) == ("群众评价满意率", "66.7", "100.0")
    assert card.mom_text == "↓33.3个百分点" and card.mom_tone == "bad"
    assert "群众评价满意率" in body and "66.7%" in body and "已评价3件" in body
