"""Counting deadlines (民法典 arts 201/203) on the State Council schedule, and choosing the rule.

Expected dates are worked out by hand from the official 2026 schedule (国办发明电〔2025〕7号):
元旦 1月1日–3日 (1月4日周日上班); 春节 2月15日–23日 (2月14日周六、2月28日周六上班); 国庆、中秋 10月1日–7日
(9月20日周日、10月10日周六上班).
"""

import datetime
import importlib
import logging

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from cases.models import (
    CalendarDay,
    DayMode,
    DeadlinePurpose,
    DeadlineRule,
    Dispute,
    Source,
    Status,
    Tier,
)
from cases.rules import deadlines
from cases.rules.deadlines import (
    calendar_gaps,
    deadline_for,
    due_date,
    due_soon_q,
    end_of_day,
    overdue_q,
    package_covers,
    purpose_for,
    reckon,
    rule_for,
    warn_from,
)
from org.models import Unit
from tests.conftest import VILLAGE_A

D = datetime.date
CAL, WORK = DayMode.CALENDAR, DayMode.WORKDAY
GAP_TEXT = "2027年节假日数据未录入，时限按周末推算，请管理员在“节假日与调休”中补录"

needs_2027_uncovered = pytest.mark.skipif(
    package_covers(2027), reason="chinesecalendar now covers 2027: move these cases to the first uncovered year"
)


# ---------------------------------------------------------------------------------------------------------------
# Counting on the 2026 schedule (covered by chinesecalendar)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_working_days_from_30_september_2026_end_on_13_october():
    # 10-01..10-07 holiday; 10-08 Thu, 10-09 Fri, 10-10 Sat (调休上班), 10-12 Mon, 10-13 Tue.
    assert due_date(D(2026, 9, 30), 5, WORK) == D(2026, 10, 13)


@pytest.mark.django_db
def test_seven_calendar_days_landing_in_the_national_day_holiday_move_to_8_october():
    # 09-26 + 7 = 10-03, a holiday; the next working day is Thursday 10-08.
    assert due_date(D(2026, 9, 26), 7, CAL) == D(2026, 10, 8)


@pytest.mark.django_db
def test_working_days_across_the_2026_spring_festival():
    # Start Fri 02-13 (not counted). 02-14 Sat is a make-up workday (1); 02-15..02-23 holiday; 02-24 Tue (2),
    # 02-25 Wed (3).
    assert due_date(D(2026, 2, 13), 3, WORK) == D(2026, 2, 25)
    # Without the make-up Saturday it would have been 02-26: the 调休 day counts.
    assert due_date(D(2026, 2, 13), 4, WORK) == D(2026, 2, 26)


@pytest.mark.django_db
def test_a_calendar_deadline_on_a_make_up_saturday_stays_there():
    # 10-03 + 7 = 10-10, a Saturday, but 调休上班: a working day, so the deadline does not move.
    assert due_date(D(2026, 10, 3), 7, CAL) == D(2026, 10, 10)


@pytest.mark.django_db
def test_the_start_day_does_not_count_and_weekends_move_a_calendar_deadline():
    assert due_date(D(2026, 11, 23), 1, CAL) == D(2026, 11, 24)  # Mon -> Tue
    assert due_date(D(2026, 11, 23), 5, CAL) == D(2026, 11, 30)  # Sat 11-28 -> Mon 11-30
    assert due_date(D(2026, 11, 20), 1, WORK) == D(2026, 11, 23)  # Fri -> Mon


@pytest.mark.django_db
def test_the_deadline_instant_is_the_end_of_the_due_day_in_shanghai():
    instant = end_of_day(D(2026, 10, 13))
    assert instant.utcoffset() == datetime.timedelta(hours=8)
    assert (instant.year, instant.month, instant.day, instant.hour, instant.minute, instant.second) == (
        2026, 10, 13, 23, 59, 59)


@pytest.mark.django_db
def test_deadline_for_counts_from_the_local_start_date_with_the_matching_rule():
    case = Dispute(tier=Tier.COUNTY, category="housing", risk="blue", source="screening")
    # 2026-09-30 20:00 UTC is already 10-01 04:00 in Shanghai: the start day is 10-01.
    start = datetime.datetime(2026, 9, 30, 20, 0, tzinfo=datetime.UTC)
    deadline, rule = deadline_for(case, DeadlinePurpose.SETTLE, start=start)
    assert rule.days == 15 and rule.mode == WORK
    # 15 working days after 10-01: 10-08,09,10(Sat 调休),12..16 (8), 19..23 (13), 26, 27 (15).
    assert deadline == end_of_day(D(2026, 10, 27))


# ---------------------------------------------------------------------------------------------------------------
# The admin table: overrides covered years, extends uncovered ones
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_day_rows_override_a_covered_year():
    # An extra holiday on Fri 2026-11-27 pushes a 1-day deadline over the weekend …
    CalendarDay.objects.create(date=D(2026, 11, 27), kind="holiday", name="测试：临时放假")
    assert due_date(D(2026, 11, 26), 1, CAL) == D(2026, 11, 30)
    # … and turning 10-07 (a National Day holiday) into a workday shortens the count by one day.
    CalendarDay.objects.create(date=D(2026, 10, 7), kind="workday", name="测试：调整为上班")
    assert due_date(D(2026, 9, 30), 5, WORK) == D(2026, 10, 12)


@needs_2027_uncovered
@pytest.mark.django_db
def test_an_uncovered_year_falls_back_to_weekends_and_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="cases.rules.deadlines"):
        result = reckon(D(2027, 2, 5), 3, WORK)  # Fri; weekends only: Mon 8, Tue 9, Wed 10
    assert result.due == D(2027, 2, 10)
    assert result.gaps == (2027,)
    assert GAP_TEXT in result.warning
    assert [r.name for r in caplog.records] == ["cases.rules.deadlines"]
    assert GAP_TEXT in caplog.records[0].getMessage()
    assert calendar_gaps(D(2027, 1, 1), D(2027, 12, 31)) == [2027]


@needs_2027_uncovered
@pytest.mark.django_db
def test_admin_entered_rows_cover_an_uncovered_year_and_are_honoured(caplog):
    # Hypothetical 2027 schedule entered by an administrator: 02-08..02-12 off, Sunday 02-14 worked.
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=D(2027, 2, d), kind="holiday", name="春节") for d in range(8, 13)]
        + [CalendarDay(date=D(2027, 2, 14), kind="workday", name="春节调休")]
    )
    with caplog.at_level(logging.WARNING, logger="cases.rules.deadlines"):
        result = reckon(D(2027, 2, 5), 3, WORK)  # 02-14 Sun (1), 02-15 Mon (2), 02-16 Tue (3)
    assert result.due == D(2027, 2, 16)
    assert result.gaps == () and result.warning == ""
    assert not caplog.records
    assert calendar_gaps(D(2027, 1, 1), D(2027, 12, 31)) == []


@needs_2027_uncovered
@pytest.mark.django_db
def test_a_period_running_into_an_uncovered_year_is_flagged(caplog):
    with caplog.at_level(logging.WARNING, logger="cases.rules.deadlines"):
        result = reckon(D(2026, 12, 28), 7, CAL)  # 2027-01-04, a Monday (2027 holidays unknown)
    assert result.due == D(2027, 1, 4) and result.gaps == (2027,)
    assert GAP_TEXT in caplog.text
    # A period entirely inside 2026 is not flagged.
    assert reckon(D(2026, 12, 1), 7, CAL).gaps == ()


@pytest.mark.django_db
def test_calendar_gaps_lists_uncovered_years_only(django_assert_num_queries):
    with django_assert_num_queries(0):  # every year covered by the package: no query at all
        assert calendar_gaps(D(2025, 1, 1), D(2026, 12, 31)) == []
    first_uncovered = next(y for y in range(2026, 2100) if not package_covers(y))
    with django_assert_num_queries(1):
        assert calendar_gaps(D(2026, 6, 1), D(first_uncovered + 1, 1, 1)) == [first_uncovered, first_uncovered + 1]
    CalendarDay.objects.create(date=D(first_uncovered, 10, 1), kind="holiday", name="国庆节")
    assert calendar_gaps(D(2026, 6, 1), D(first_uncovered + 1, 1, 1)) == [first_uncovered + 1]


@pytest.mark.django_db
def test_one_calendar_query_per_computation_however_long_the_period(django_assert_num_queries):
    with django_assert_num_queries(1):
        assert due_date(D(2026, 1, 5), 60, WORK) > D(2026, 3, 31)
    with django_assert_num_queries(1):  # across a year end: both years in the same query
        due_date(D(2026, 12, 20), 15, WORK)
    case = Dispute(tier=Tier.VILLAGE, category="housing", risk="blue", source="screening")
    with django_assert_num_queries(2):  # the rule, the calendar
        deadline_for(case, DeadlinePurpose.SETTLE, start=end_of_day(D(2026, 3, 2)))


# ---------------------------------------------------------------------------------------------------------------
# Choosing the rule
# ---------------------------------------------------------------------------------------------------------------


def make_rule(name, purpose=DeadlinePurpose.SETTLE, **fields):
    fields = {"days": 10, "mode": CAL, **fields}
    return DeadlineRule.objects.create(name=name, purpose=purpose, **fields)


@pytest.mark.django_db
def test_the_most_specific_matching_rule_wins_in_one_query(django_assert_num_queries):
    DeadlineRule.objects.all().delete()
    general = make_rule("任何层级")
    village = make_rule("村级", tier="village")
    village_land = make_rule("村级土地", tier="village", category="land")
    make_rule("村级土地红色（停用）", tier="village", category="land", risk="red", active=False)
    make_rule("县级土地红色", tier="county", category="land", risk="red")  # tier does not match
    make_rule("村级土地（四定）", DeadlinePurpose.ASSIGNMENT, tier="village", category="land", risk="red")
    land_case = Dispute(tier=Tier.VILLAGE, category="land", risk="red", source="screening")
    with django_assert_num_queries(1):
        assert rule_for(land_case, DeadlinePurpose.SETTLE) == village_land
    assert rule_for(Dispute(tier=Tier.VILLAGE, category="housing", risk="red", source="visit"), "settle") == village
    assert rule_for(Dispute(tier=Tier.TOWN, category="land", risk="red", source="visit"), "settle") == general


@pytest.mark.django_db
def test_equally_specific_rules_tie_to_the_lowest_id():
    DeadlineRule.objects.all().delete()
    first = make_rule("来源为信访", source=Source.PETITION)
    make_rule("村级", tier="village")
    case = Dispute(tier=Tier.VILLAGE, category="land", risk="blue", source=Source.PETITION)
    assert rule_for(case, DeadlinePurpose.SETTLE) == first


@pytest.mark.django_db
def test_no_rule_means_seven_calendar_days():
    DeadlineRule.objects.all().delete()
    case = Dispute(tier=Tier.VILLAGE, category="land", risk="blue", source="visit")
    deadline, rule = deadline_for(case, DeadlinePurpose.SETTLE, start=end_of_day(D(2026, 11, 2)))
    assert rule is None
    assert deadline == end_of_day(D(2026, 11, 9))  # Mon + 7 = Mon


def case_like(tier=Tier.VILLAGE, source="screening", unit=None):
    return Dispute(tier=tier, category="housing", risk="blue", source=source, holder_unit=unit)


@pytest.mark.django_db
def test_the_seeded_default_rules():
    """DESIGN.md §6 defaults, from data migration 0004."""
    def pick(case, purpose):
        rule = rule_for(case, purpose)
        return rule.days, rule.mode, rule.warn_before_days, rule.extension_days

    assert pick(case_like(Tier.VILLAGE), "settle") == (7, CAL, 2, 0)
    assert pick(case_like(Tier.TOWN), "assignment") == (7, CAL, 2, 0)
    assert pick(case_like(Tier.COUNTY), "settle") == (15, WORK, 3, 0)
    assert pick(case_like(Tier.COUNTY), "transfer") == (15, WORK, 3, 7)
    assert pick(case_like(Tier.TOWN), "transfer") == (15, WORK, 3, 7)
    assert pick(case_like(Tier.TOWN), "supervision") == (15, CAL, 3, 0)
    # 信访-sourced cases follow 信访工作条例 第三十四条 at the village and the county alike.
    for tier in (Tier.VILLAGE, Tier.COUNTY):
        rule = rule_for(case_like(tier, source=Source.PETITION), "settle")
        assert (rule.days, rule.mode, rule.extension_days) == (60, CAL, 30)
        assert "第三十四条" in rule.basis
    assert all(r.basis for r in DeadlineRule.objects.all())


@pytest.mark.django_db
def test_the_seed_migration_is_reversible():
    migration = importlib.import_module("cases.migrations.0004_default_deadline_rules")
    names = [r["name"] for r in migration.DEFAULT_RULES]
    extra = make_rule("管理员自建规则")
    migration.unseed(django_apps, None)
    assert not DeadlineRule.objects.filter(name__in=names).exists()
    assert DeadlineRule.objects.filter(pk=extra.pk).exists()  # only the seeded rows go
    migration.seed(django_apps, None)
    migration.seed(django_apps, None)  # idempotent
    assert DeadlineRule.objects.filter(name__in=names).count() == len(names)


@pytest.mark.django_db
def test_purpose_follows_tier_and_holder():
    unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    assert purpose_for(case_like(Tier.VILLAGE)) == DeadlinePurpose.SETTLE
    assert purpose_for(case_like(Tier.TOWN)) == DeadlinePurpose.ASSIGNMENT
    assert purpose_for(case_like(Tier.COUNTY)) == DeadlinePurpose.SETTLE
    assert purpose_for(case_like(Tier.COUNTY, unit=unit)) == DeadlinePurpose.TRANSFER
    assert purpose_for(case_like(Tier.TOWN, unit=unit)) == DeadlinePurpose.TRANSFER


# ---------------------------------------------------------------------------------------------------------------
# Derived states
# ---------------------------------------------------------------------------------------------------------------


def test_the_yellow_card_starts_at_midnight_warn_days_before_the_due_day():
    start = warn_from(end_of_day(D(2026, 10, 13)), 2)
    assert timezone.localtime(start).replace(tzinfo=None) == datetime.datetime(2026, 10, 11, 0, 0)


@pytest.mark.django_db
def test_overdue_and_due_soon_are_derived_from_deadline_and_status(make_case, secretary_a):
    now = timezone.now()
    today = timezone.localdate()

    def case_due(deadline, status=Status.IN_PROGRESS):
        case = make_case(secretary_a, VILLAGE_A, status=status)
        Dispute.objects.filter(pk=case.pk).update(deadline=deadline)
        return case.pk

    late = case_due(now - datetime.timedelta(minutes=1))
    late_but_resolved = case_due(now - datetime.timedelta(days=3), Status.RESOLVED)
    soon = case_due(end_of_day(today + datetime.timedelta(days=3)))
    later = case_due(end_of_day(today + datetime.timedelta(days=4)))
    no_deadline = make_case(secretary_a, VILLAGE_A).pk
    overdue = set(Dispute.objects.filter(overdue_q(now)).values_list("pk", flat=True))
    due_soon = set(Dispute.objects.filter(due_soon_q(now)).values_list("pk", flat=True))
    assert overdue == {late}
    assert due_soon == {soon}
    assert not {late_but_resolved, later, no_deadline} & (overdue | due_soon)
    # Nothing is stored: resolving the overdue case is enough to make it not overdue.
    Dispute.objects.filter(pk=late).update(status=Status.RESOLVED)
    assert not Dispute.objects.filter(overdue_q(now)).exists()
    assert deadlines.DUE_SOON_DAYS == 3


# ---------------------------------------------------------------------------------------------------------------
# Admin (cases/admin_rules.py)
# ---------------------------------------------------------------------------------------------------------------


@needs_2027_uncovered
@pytest.mark.django_db
def test_the_holiday_admin_says_which_year_is_missing(admin_user, rf, settings):
    from django.contrib.admin import AdminSite
    from django.contrib.messages.storage.fallback import FallbackStorage

    from cases.admin import CalendarDayAdmin

    model_admin = CalendarDayAdmin(CalendarDay, AdminSite())
    request = rf.get("/admin/cases/calendarday/")
    request.user, request.session = admin_user, {}
    request._messages = FallbackStorage(request)
    if timezone.localdate().year < 2027:
        assert model_admin.changelist_view(request).status_code == 200
        assert any(GAP_TEXT in str(m) for m in request._messages)
    CalendarDay.objects.create(date=D(2027, 1, 1), kind="holiday", name="元旦")
    request._messages = FallbackStorage(request)
    model_admin.changelist_view(request)
    assert not any("2027年" in str(m) for m in request._messages)


def test_the_rule_admin_lists_the_rule_fields():
    from cases.admin import DeadlineRuleAdmin

    assert {"purpose", "tier", "days", "mode", "warn_before_days", "active"} <= set(DeadlineRuleAdmin.list_display)
