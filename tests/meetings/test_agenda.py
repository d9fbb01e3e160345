"""Agenda assembly: exactly the cases the rules select, grouped with their reasons, in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import (
    Assignment,
    Dispute,
    EarlyWarning,
    EscalationRule,
    Referral,
    ReferralKind,
    ReferralStatus,
    Risk,
    Status,
    Tier,
)
from meetings import agenda
from meetings.agenda import (
    ACTIVE,
    DUE_SOON,
    NEW,
    OVERDUE,
    PENDING,
    REVIEWED,
    SERIOUS,
    WARNING,
)
from meetings.models import Meeting, Review
from org.models import Unit
from org.people import person_for
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_B, VILLAGE_C
from tests.meetings import (
    DAY,
    clone_cases,
    no_rules,
    open_meeting,
    pending_referral,
    rule,
    set_fields,
)

pytestmark = pytest.mark.urls("tests.meetings")

OLD = datetime.timedelta(days=20)


def add_warning(case, actor, division_code=TOWN_X, status="open"):
    return EarlyWarning.objects.create(
        dispute=case, level="orange", triggers=["intensify"], reasons="可能激化", submitted_to="town_joint",
        reassess_on=timezone.localdate() + 7 * DAY, tier=Tier.TOWN, division_id=division_code, raised_by=actor,
        status=status,
    )


def previous_meeting(division_code, convener, opened_at):
    last_week = (timezone.localdate() - 7 * DAY).isocalendar()
    meeting = Meeting.objects.create(
        tier=Tier.TOWN if division_code.endswith("000") else Tier.VILLAGE, division_id=division_code,
        iso_year=last_week.year, iso_week=last_week.week, held_on=timezone.localdate() - 7 * DAY, place="会议室",
        convener=convener, status="closed",
    )
    Meeting.objects.filter(pk=meeting.pk).update(opened_at=opened_at)
    return meeting


@pytest.fixture
def town_world(make_case, secretary_a, secretary_b, secretary_c, town_x, town_y):
    """A hand-built town X: each case is on the agenda for a known reason, or is deliberately left off."""
    no_rules()
    now = timezone.now()
    previous_meeting(TOWN_X, town_x, now - 5 * DAY)
    old = now - OLD

    def town_case(title, *, village=VILLAGE_A, actor=secretary_a, created=old, **fields):
        case = make_case(actor, village, tier=Tier.TOWN, status=Status.IN_PROGRESS, title=title)
        return set_fields(case, created_at=created, **fields)

    cases = {
        "active": town_case("在办"),
        "due_later": town_case("十天后到期", deadline=now + 10 * DAY),
        "overdue": town_case("已逾期", deadline=now - DAY),
        "due_soon": town_case("两天内到期", deadline=now + 2 * DAY),
        "red": town_case("红色风险", risk=Risk.RED),
        "orange_overdue": town_case("橙色且逾期", risk=Risk.ORANGE, deadline=now - 2 * DAY),
        "warning": town_case("预警中"),
        "closed_with_warning": town_case("已结案但预警未解除", status=Status.CLOSED),
        "new": town_case("新登记的镇街案件", created=now - DAY),
        "referred_up": town_case("镇街已提请县", status=Status.REFERRED),
        "pending": set_fields(make_case(secretary_a, VILLAGE_A, title="刘山村提请"), created_at=old),
        "pending_new": make_case(secretary_b, VILLAGE_B, title="唐庄村新提请"),
    }
    add_warning(cases["warning"], town_x)
    add_warning(cases["closed_with_warning"], town_x)
    pending_referral(cases["pending"], by=secretary_a, to_code=TOWN_X)
    pending_referral(cases["pending_new"], by=secretary_b, to_code=TOWN_X)
    pending_referral(cases["referred_up"], by=town_x, to_code=COUNTY, from_tier=Tier.TOWN, to_tier=Tier.COUNTY)
    Referral.objects.filter(dispute=cases["referred_up"]).update(from_division_id=TOWN_X)

    off = {
        "village_held": make_case(secretary_a, VILLAGE_A, title="村里自己办"),
        "other_town": set_fields(make_case(secretary_c, VILLAGE_C, tier=Tier.TOWN, status=Status.IN_PROGRESS,
                                           title="纸坊镇的案件")),
        "old_closed": town_case("早已结案", status=Status.CLOSED),
        "old_resolved_red": town_case("已化解的红色案件", status=Status.RESOLVED, risk=Risk.RED),
        "at_county": make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS, title="已到县"),
        "returned": set_fields(make_case(secretary_a, VILLAGE_A, title="已退回村"), status=Status.IN_PROGRESS),
        "pending_elsewhere": make_case(secretary_c, VILLAGE_C, title="提请纸坊镇"),
        "closed_warning": town_case("预警已解除", status=Status.CLOSED),
    }
    Referral.objects.create(
        dispute=off["returned"], kind=ReferralKind.REFER, from_tier=Tier.VILLAGE, from_division_id=VILLAGE_A,
        to_tier=Tier.TOWN, to_division_id=TOWN_X, reason="x", status=ReferralStatus.RETURNED, created_by=secretary_a,
    )
    pending_referral(off["pending_elsewhere"], by=secretary_c, to_code=TOWN_Y)
    add_warning(off["closed_warning"], town_x, status="closed")
    return cases, off


EXPECTED_TOWN = {
    "active": [ACTIVE],
    "due_later": [ACTIVE],
    "overdue": [OVERDUE],
    "due_soon": [DUE_SOON],
    "red": [SERIOUS],
    "orange_overdue": [OVERDUE, SERIOUS],
    "warning": [WARNING],
    "closed_with_warning": [WARNING],
    "new": [NEW],
    "referred_up": [ACTIVE],
    "pending": [PENDING],
    "pending_new": [PENDING, NEW],
}


@pytest.mark.django_db
def test_town_agenda_contains_exactly_the_selected_cases_with_their_reasons(town_world, town_x):
    cases, off = town_world
    meeting = open_meeting(town_x)
    result = agenda.assemble(meeting)
    got = {item.dispute.number: item.groups for item in result.items}
    assert got == {cases[key].number: groups for key, groups in EXPECTED_TOWN.items()}
    for case in off.values():
        assert case.number not in got
    counts = {key: n for key, _, n in result.counts}
    assert counts == {NEW: 2, PENDING: 2, OVERDUE: 2, DUE_SOON: 1, SERIOUS: 2, WARNING: 2, ACTIVE: 3, REVIEWED: 0}
    # Each case once, under its first group; sections in the fixed order.
    listed = [item.dispute.number for _, _, items in result.sections for item in items]
    assert sorted(listed) == sorted(got) and len(listed) == len(set(listed))
    assert [key for key, _, _ in result.sections] == [PENDING, NEW, OVERDUE, DUE_SOON, SERIOUS, WARNING, ACTIVE]
    assert result.item_for(cases["pending_new"].pk).reasons == ["待签收", "新登记"]


@pytest.mark.django_db
def test_new_means_since_the_previous_meeting_or_seven_days(make_case, secretary_a):
    no_rules()
    now = timezone.now()
    six_days = set_fields(make_case(secretary_a, VILLAGE_A, title="六天前", status=Status.RESOLVED),
                          created_at=now - 6 * DAY)
    eight_days = set_fields(make_case(secretary_a, VILLAGE_A, title="八天前", status=Status.RESOLVED),
                            created_at=now - 8 * DAY)
    meeting = open_meeting(secretary_a)
    got = {item.dispute.number: item.groups for item in agenda.assemble(meeting).items}
    assert got == {six_days.number: [NEW]}  # resolved and older than the window: nothing to discuss
    previous_meeting(VILLAGE_A, secretary_a, now - 10 * DAY)
    got = {item.dispute.number: item.groups for item in agenda.assemble(meeting).items}
    assert got == {six_days.number: [NEW], eight_days.number: [NEW]}


@pytest.mark.django_db
def test_village_agenda_is_the_village_tier_cases_of_that_village(make_case, secretary_a, secretary_b):
    no_rules()
    old = timezone.now() - OLD
    logged = make_case(secretary_a, VILLAGE_A, title="新登记")
    working = set_fields(make_case(secretary_a, VILLAGE_A, title="调处中", status=Status.IN_PROGRESS), created_at=old)
    referred = set_fields(make_case(secretary_a, VILLAGE_A, title="已提请待签收"), created_at=old)
    pending_referral(referred, by=secretary_a, to_code=TOWN_X)
    make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="已到镇街")
    make_case(secretary_b, VILLAGE_B, title="别的村")
    got = {item.dispute.number: item.groups for item in agenda.assemble(open_meeting(secretary_a)).items}
    assert got == {logged.number: [NEW], working.number: [ACTIVE], referred.number: [ACTIVE]}


@pytest.mark.django_db
def test_county_agenda_is_county_cases_plus_referrals_waiting_for_the_county(make_case, secretary_a, town_x,
                                                                             county_user):
    no_rules()
    old = timezone.now() - OLD
    at_county = set_fields(make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS),
                           created_at=old)
    set_fields(make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS), created_at=old)
    waiting = set_fields(make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS),
                         created_at=old)
    pending_referral(waiting, by=town_x, to_code=COUNTY, from_code=TOWN_X, from_tier=Tier.TOWN, to_tier=Tier.COUNTY)
    got = {item.dispute.number: item.groups for item in agenda.assemble(open_meeting(county_user)).items}
    assert got == {at_county.number: [ACTIVE], waiting.number: [PENDING]}


@pytest.mark.django_db
def test_reviewed_case_stays_on_the_agenda_after_it_is_resolved(make_case, secretary_a):
    from meetings import services

    no_rules()
    case = set_fields(make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS), created_at=timezone.now() - OLD)
    meeting = open_meeting(secretary_a)
    services.record_review(actor=secretary_a, meeting=meeting, dispute=case, analysis="双方达成协议",
                           decision="resolve", outcome="success")
    item = agenda.assemble(meeting).item_for(case.pk)
    assert item.groups == [REVIEWED] and item.review.decision == "resolve"


@pytest.mark.django_db
def test_flags_and_overrides_are_attached_to_their_items(make_case, secretary_a, town_x):
    no_rules()
    r = rule(name="镇街案件须预警", tier="town")
    flagged = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS)
    meeting = open_meeting(town_x)
    item = agenda.assemble(meeting).item_for(flagged.pk)
    assert [f.rule_id for f in item.flags] == [r.pk] and item.unhandled_flags
    assert item.suggested_triggers == ["intensify"]
    from meetings.models import FlagOverride

    FlagOverride.objects.create(meeting=meeting, dispute=flagged, rule=r, reason="已稳控", by=town_x)
    item = agenda.assemble(meeting).item_for(flagged.pk)
    assert item.flags and not item.unhandled_flags and item.overrides[r.pk].reason == "已稳控"


# --- query counts --------------------------------------------------------------------------------------------------


def populate(make_case, secretary_a, secretary_b, town_x, n):
    """n agenda items for town X spread over every group, with warnings, pending referrals and active 四定."""
    now = timezone.now()
    per = n // 5
    town = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS)
    plain = clone_cases(town, per)
    red = clone_cases(town, per, risk=Risk.RED, deadline=now + 2 * DAY)
    overdue = clone_cases(town, per, deadline=now - DAY, risk=Risk.ORANGE)
    warned = clone_cases(town, per)
    village = make_case(secretary_b, VILLAGE_B)
    referred = clone_cases(village, per, status=Status.REFERRED)
    EarlyWarning.objects.bulk_create([
        EarlyWarning(dispute=d, level="orange", triggers=["intensify"], reasons="x", submitted_to="town_joint",
                reassess_on=timezone.localdate(), tier=Tier.TOWN, division_id=TOWN_X, raised_by=town_x)
        for d in warned
    ])
    Referral.objects.bulk_create([
        Referral(dispute=d, kind=ReferralKind.REFER, from_tier=Tier.VILLAGE, from_division_id=VILLAGE_B,
                 to_tier=Tier.TOWN, to_division_id=TOWN_X, reason="x", created_by=secretary_b)
        for d in referred
    ])
    unit = Unit.objects.get(name="嘉祥街道司法所")
    Assignment.objects.bulk_create([
        Assignment(dispute=d, tier=Tier.TOWN, lead_leader=person_for(town_x), responsible_unit=unit, responsible_person=person_for(town_x),
                   measures="x", deadline=now + 5 * DAY, created_by=town_x)
        for d in plain
    ])
    Dispute.objects.filter(pk__in=[d.pk for d in plain + red + overdue + warned + referred]).update(
        created_at=now - OLD)


@pytest.mark.django_db
def test_agenda_and_meeting_page_query_counts_do_not_grow_with_items(client, make_case, secretary_a, secretary_b,
                                                                     town_x):
    assert EscalationRule.objects.filter(active=True).exists()  # the seeded rules flag the red cases
    meeting = open_meeting(town_x)
    client.force_login(town_x)
    url = reverse("meetings:detail", args=[meeting.pk])

    def measure():
        with CaptureQueriesContext(connection) as ctx:
            result = agenda.assemble(meeting, user=town_x)
        with CaptureQueriesContext(connection) as page:
            response = client.get(url)
        assert response.status_code == 200
        # The same page with one item's review form open (its decisions, people and units).
        with CaptureQueriesContext(connection) as form_page:
            response = client.get(url + f"?review={result.items[-1].dispute.pk}")
        assert response.status_code == 200 and 'name="analysis"' in response.content.decode()
        return (len(result.items), len(ctx.captured_queries), len(page.captured_queries),
                len(form_page.captured_queries), page)

    populate(make_case, secretary_a, secretary_b, town_x, 20)
    Review.objects.create(meeting=meeting, dispute=Dispute.objects.filter(tier=Tier.TOWN).first(), analysis="x",
                          decision="continue", decided_by=town_x)
    small_items, small_agenda, small_page, small_form, _ = measure()
    populate(make_case, secretary_a, secretary_b, town_x, 180)
    large_items, large_agenda, large_page, large_form, page = measure()
    assert small_items >= 20 and large_items >= 200
    assert small_agenda == large_agenda <= 12
    assert small_page == large_page <= 20, [q["sql"][:120] for q in page.captured_queries]
    assert small_form == large_form <= small_page + 4  # the form's choices: units, 包案领导, 责任人 (人员库), + the open item
