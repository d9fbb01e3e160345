"""Every figure of DESIGN.md §8 against the hand-computed fixture of tests/stats/conftest.py."""

import datetime
from decimal import Decimal

import pytest

from cases.selectors import cases_visible_to
from stats import figures
from stats.periods import Period, PeriodError, from_query, preset

from .conftest import NOW

NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
OCT = Period(datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
NOV_2025 = Period(datetime.date(2025, 11, 1), datetime.date(2025, 11, 30))
JAN = Period(datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))


@pytest.mark.django_db
def test_every_cohort_figure_equals_the_hand_computed_value(november, secretary_a):
    row = figures.summarize(cases_visible_to(secretary_a), NOV, NOW)
    assert {k: row[k] for k in figures.COHORT_FIGURES} == {
        "collected": 9, "resolved": 4, "partial": 1, "failed": 1, "withdrawn": 0, "in_progress": 3, "overdue": 1,
        "relapsed": 2, "finished": 6, "on_time": 5,
    }
    assert row["resolution_rate"] == Decimal("44.4")
    assert row["on_time_rate"] == Decimal("83.3")


@pytest.mark.django_db
def test_a_relapse_is_not_a_second_success_and_a_reopened_open_case_is_not_a_success(november, secretary_a):
    cases = cases_visible_to(secretary_a)
    resolved = set(figures.cohort(cases, NOV).filter(status__in=figures.DONE, outcome="success")
                   .values_list("title", flat=True))
    assert resolved == {"统计样例c1", "统计样例c7", "统计样例c8", "统计样例c9"}  # c7 once; c12 (open again) not
    assert november["c7"].reopen_count == 1 and november["c7"].first_resolved_on_time is True


@pytest.mark.django_db
def test_on_time_counts_the_first_resolution_against_the_deadline_then_in_force(november):
    assert november["c8"].first_resolved_on_time is False  # long past its deadline
    assert november["c9"].first_resolved_on_time is True  # past the first deadline, within the approved extension
    c7 = november["c7"]
    assert c7.first_resolved_at < c7.resolved_at  # the second resolution did not replace the first


@pytest.mark.django_db
def test_flow_figure_counts_first_resolutions_in_the_period_whenever_registered(november, secretary_a):
    assert figures.resolved_in_period(cases_visible_to(secretary_a), NOV) == 5  # c1 c7 c8 c9 + October's c10


@pytest.mark.django_db
def test_previous_period_and_same_period_last_year(november, secretary_a):
    cases = cases_visible_to(secretary_a)
    assert NOV.previous() == OCT and NOV.year_ago() == NOV_2025
    for period in (OCT, NOV_2025):
        row = figures.summarize(cases, period, NOW)
        assert (row["collected"], row["resolved"], row["resolution_rate"]) == (1, 1, Decimal("100.0"))


@pytest.mark.django_db
def test_an_empty_period_has_no_rate_and_no_error(november, secretary_a):
    row = figures.summarize(cases_visible_to(secretary_a), JAN, NOW)
    assert row["collected"] == 0 and row["resolution_rate"] is None and row["on_time_rate"] is None


@pytest.mark.django_db
def test_scope_is_what_the_user_sees(november, secretary_a, town_x, town_y, county_user):
    assert figures.summarize(cases_visible_to(town_x), NOV, NOW)["collected"] == 9
    assert figures.summarize(cases_visible_to(town_y), NOV, NOW)["collected"] == 1  # c13 only
    county = figures.summarize(cases_visible_to(county_user), NOV, NOW)
    assert (county["collected"], county["resolved"]) == (10, 5)


@pytest.mark.django_db
def test_breakdowns_sum_to_the_summary(november, county_user):
    cases = cases_visible_to(county_user)
    by_town = figures.summarize_by(cases, NOV, "village__parent_id", NOW)
    assert {code: row["collected"] for code, row in by_town.items()} == {"370829001000": 9, "370829101000": 1}
    by_category = figures.summarize_by(cases, NOV, "category", NOW)
    assert sum(r["collected"] for r in by_category.values()) == 10
    weekly = figures.weekly(cases, NOV, NOW)
    assert sum(r["collected"] for r in weekly.values()) == 10
    assert all(monday.weekday() == 0 for monday in weekly)
    assert weekly[datetime.date(2026, 11, 2)]["collected"] == 5  # c8 (Mon 11-02), c1, c2, c13, c7 (Sun 11-08)


def test_rate_rounds_half_up_to_one_decimal_and_is_none_without_denominator():
    assert figures.rate(1, 3) == Decimal("33.3")
    assert figures.rate(2, 3) == Decimal("66.7")
    assert figures.rate(1, 8) == Decimal("12.5")
    assert figures.rate(0, 0) is None


def test_periods_compare_like_for_like():
    today = datetime.date(2026, 12, 15)
    month = preset("month", today)
    assert (month.start, month.end) == (datetime.date(2026, 12, 1), today)
    assert (month.previous().start, month.previous().end) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 15))
    quarter = Period(datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    assert (quarter.previous().start, quarter.previous().end) == (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    week = preset("week", today)  # Tuesday
    assert week.start == datetime.date(2026, 12, 14) and week.previous().start == datetime.date(2026, 12, 7)
    custom = Period(datetime.date(2026, 11, 10), datetime.date(2026, 11, 19))
    assert (custom.previous().start, custom.previous().end) == (datetime.date(2026, 10, 31), datetime.date(2026, 11, 9))
    leap = Period(datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))
    assert leap.year_ago() == Period(datetime.date(2027, 2, 1), datetime.date(2027, 2, 28))
    assert len(preset("year", today).weeks()) == 12


@pytest.mark.parametrize("query, message", [
    ({"from": "2026-13-01"}, "开始日期格式不正确"),
    ({"from": "2026-11-10", "to": "2026-11-01"}, "结束日期不能早于开始日期"),
    ({"from": "1999-01-01"}, "不能早于2000年"),
    ({"from": "2010-01-01", "to": "2026-01-01"}, "最长五年"),
    ({"period": "decade"}, "统计期间无效"),
])
def test_bad_periods_say_why(query, message):
    with pytest.raises(PeriodError, match=message):
        from_query(query, today=datetime.date(2026, 12, 1))


@pytest.mark.django_db
def test_the_parts_of_a_partition_add_up_to_the_summary(november, county_user):
    cases = cases_visible_to(county_user)
    whole = figures.summarize(cases, NOV, NOW)
    assert figures.combine(figures.summarize_by(cases, NOV, "village__parent_id", NOW).values()) == whole
    assert figures.combine(figures.summarize_by(cases, NOV, "category", NOW).values()) == whole


@pytest.mark.django_db
def test_one_grouped_scan_gives_the_summary_and_every_breakdown(november, county_user, secretary_a):
    """summarize_cube + rollup (the dashboard's one scan of the cohort) equal summarize and summarize_by."""
    for user in (county_user, secretary_a):
        cases = cases_visible_to(user)
        keys = ("village__parent_id", "category", "source")
        cube = figures.summarize_cube(cases, NOV, keys, NOW)
        assert figures.combine(cube) == figures.summarize(cases, NOV, NOW)
        for key in keys:
            assert figures.rollup(cube, key) == figures.summarize_by(cases, NOV, key, NOW), key
        assert len({tuple(row[k] for k in keys) for row in cube}) == len(cube)  # one row per combination
        assert len(cube) > 1 or user is secretary_a  # the county's fixture has several towns to add up
