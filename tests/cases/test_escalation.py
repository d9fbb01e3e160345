"""Escalation rules (DESIGN.md §6): the seeded defaults flag exactly the cases they should, in a fixed number of
queries; satisfied flags are told apart from the ones still waiting for action."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import (
    Dispute,
    EarlyWarning,
    EscalationAction,
    EscalationRule,
    Party,
    Status,
    Tier,
    WarningStatus,
    WarningTarget,
)
from cases.rules import escalation
from cases.rules.deadlines import due_date, end_of_day
from cases.rules.escalation import Flag, flags_for, open_flags, suggested_warnings
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

# The seeded rules (migration 0005), by a short key used below.
SEEDED = {
    "red_refer": "村级红色风险提请镇街",
    "red_warn": "红色风险发出预警",
    "crowd_refer": "涉及5人以上提请镇街",
    "crowd_warn": "涉及5人以上发出集体访预警",
    "cross_town": "当事人跨镇街提请县",
    "village_overdue": "村级逾期未化解提请镇街",
    "petition": "信访来源报县协调中心",
    "town_30_days": "镇街30日未化解提请县",
}


@pytest.fixture
def rules(db):
    found = {key: EscalationRule.objects.get(name=name) for key, name in SEEDED.items()}
    assert EscalationRule.objects.filter(active=True).count() == len(SEEDED)
    return found


def adjust(case, **fields):
    Dispute.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def add_warning(case, actor, *, submitted_to=WarningTarget.TOWN_JOINT, status=WarningStatus.OPEN):
    return EarlyWarning.objects.create(
        dispute=case, level="red", triggers=["intensify"], reasons="可能激化", submitted_to=submitted_to,
        reassess_on=timezone.localdate() + datetime.timedelta(days=7), status=status, tier=Tier.TOWN,
        division_id=TOWN_X, raised_by=actor,
    )


def in_village(name, code):
    return {**party_row(name), "village_id": code}


@pytest.fixture
def world(make_case, secretary_a, secretary_c):
    """One case per situation; each is meant to trip exactly the rules listed in EXPECTED."""
    now = timezone.now()
    mk = make_case
    cases = {
        "plain": mk(secretary_a, VILLAGE_A),
        "orange": mk(secretary_a, VILLAGE_A, risk="orange"),
        "red_village": mk(secretary_a, VILLAGE_A, risk="red"),
        "red_town": mk(secretary_a, VILLAGE_A, risk="red", tier=Tier.TOWN, status=Status.IN_PROGRESS),
        "four_people": mk(secretary_a, VILLAGE_A, people_involved=4),
        "five_people": mk(secretary_a, VILLAGE_A, people_involved=5),
        "cross_village": mk(secretary_a, VILLAGE_A, parties=[party_row(), in_village("李四", VILLAGE_B)]),
        "cross_town": mk(secretary_a, VILLAGE_A, parties=[party_row(), in_village("王五", VILLAGE_C)]),
        "cross_town_c": mk(secretary_c, VILLAGE_C, parties=[party_row(), in_village("赵六", VILLAGE_A)]),
        "overdue_village": mk(secretary_a, VILLAGE_A),
        "due_later_village": mk(secretary_a, VILLAGE_A),
        "overdue_town": mk(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS),
        "petition": mk(secretary_a, VILLAGE_A, source="petition"),
        "town_31_days": mk(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS),
        "town_29_days": mk(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS),
        "village_31_days": mk(secretary_a, VILLAGE_A),
        "red_resolved": mk(secretary_a, VILLAGE_A, risk="red", people_involved=9, source="petition",
                           status=Status.RESOLVED),
        "red_closed": mk(secretary_a, VILLAGE_A, risk="red", status=Status.CLOSED),
    }
    # Registered days ago, so its deadline (two hours past) is after its registration even just after midnight.
    adjust(cases["overdue_village"], created_at=now - datetime.timedelta(days=5), deadline=now - datetime.timedelta(hours=2))
    adjust(cases["due_later_village"], deadline=now + datetime.timedelta(days=2))
    adjust(cases["overdue_town"], deadline=now - datetime.timedelta(days=3))
    adjust(cases["town_31_days"], created_at=now - datetime.timedelta(days=31))
    adjust(cases["town_29_days"], created_at=now - datetime.timedelta(days=29))
    adjust(cases["village_31_days"], created_at=now - datetime.timedelta(days=31))
    return cases


EXPECTED = {
    "red_refer": {"red_village"},
    "red_warn": {"red_village", "red_town"},
    "crowd_refer": {"five_people"},
    "crowd_warn": {"five_people"},
    "cross_town": {"cross_town", "cross_town_c"},
    "village_overdue": {"overdue_village"},
    "petition": {"petition"},
    "town_30_days": {"town_31_days"},
}


@pytest.mark.django_db
def test_each_seeded_rule_flags_exactly_its_cases(rules, world):
    flags = flags_for(Dispute.objects.all())
    names = {case.pk: key for key, case in world.items()}
    for key, rule in rules.items():
        flagged = {names[pk] for pk, fs in flags.items() for f in fs if f.rule_id == rule.pk}
        assert flagged == EXPECTED[key], key
    unflagged = set(world) - set().union(*EXPECTED.values())
    assert unflagged == {"plain", "orange", "four_people", "cross_village", "due_later_village", "overdue_town",
                         "town_29_days", "village_31_days", "red_resolved", "red_closed"}
    assert not any(world[key].pk in flags for key in unflagged)


@pytest.mark.django_db
def test_flag_carries_the_rule_and_a_chinese_message(rules, world):
    flags = {f.rule_id: f for f in flags_for([world["red_village"]])[world["red_village"].pk]}
    refer, warn = flags[rules["red_refer"].pk], flags[rules["red_warn"].pk]
    assert isinstance(refer, Flag)
    assert (refer.action, refer.target_tier, refer.warning_trigger) == (EscalationAction.REFER_UP, Tier.TOWN, "")
    assert refer.message == "村级、红色风险：须在1个工作日内提请至镇街"
    assert (warn.action, warn.warning_trigger) == (EscalationAction.RAISE_WARNING, "intensify")
    assert warn.message == "红色风险：须在1个工作日内发出预警（可能激化）"
    assert not refer.satisfied and not warn.satisfied
    petition = flags_for([world["petition"]])[world["petition"].pk][0]
    assert petition.message == "信访来源：须在3个工作日内报县社会治理协调中心"
    assert petition.target_tier == Tier.COUNTY


@pytest.mark.django_db
def test_due_by_counts_working_days_from_when_the_condition_began(rules, world):
    def expected(start_day, days):
        return end_of_day(due_date(start_day, days, "workday"))

    red = world["red_village"]
    created = timezone.localdate(red.created_at)
    by_rule = {f.rule_id: f for f in flags_for([red])[red.pk]}
    assert by_rule[rules["red_refer"].pk].due_by == expected(created, 1)

    overdue = world["overdue_village"]
    [flag] = flags_for([overdue])[overdue.pk]
    assert flag.due_by == expected(timezone.localdate(overdue.deadline), 1)

    old = world["town_31_days"]
    [flag] = flags_for([old])[old.pk]
    assert flag.due_by == expected(timezone.localdate(old.created_at) + datetime.timedelta(days=30), 5)
    assert flag.due_by > old.created_at + datetime.timedelta(days=30)


@pytest.mark.django_db
def test_refer_up_is_satisfied_at_or_above_the_target_or_while_referred_toward_it(rules, world, make_case,
                                                                                 secretary_a):
    five = world["five_people"]
    crowd_refer = rules["crowd_refer"].pk

    def refer_flag(case):
        return next(f for f in flags_for([case])[case.pk] if f.rule_id == crowd_refer)

    assert not refer_flag(five).satisfied
    assert refer_flag(adjust(five, status=Status.REFERRED)).satisfied  # village → town, awaiting 签收
    assert refer_flag(adjust(five, tier=Tier.TOWN, status=Status.IN_PROGRESS)).satisfied
    assert refer_flag(adjust(five, tier=Tier.COUNTY)).satisfied
    assert all(f.rule_id != crowd_refer for f in open_flags([five]).get(five.pk, []))

    # Target county: a village case referred to the town is not there yet; a town case referred up is.
    cross = world["cross_town"]
    assert not flags_for([adjust(cross, status=Status.REFERRED)])[cross.pk][0].satisfied
    assert flags_for([adjust(cross, tier=Tier.TOWN)])[cross.pk][0].satisfied
    assert not flags_for([adjust(cross, status=Status.IN_PROGRESS)])[cross.pk][0].satisfied


@pytest.mark.django_db
def test_warning_rules_are_satisfied_by_an_open_warning(rules, world, town_x):
    red = world["red_village"]
    warn_rule = rules["red_warn"].pk

    def warn_flag():
        return next(f for f in flags_for([red])[red.pk] if f.rule_id == warn_rule)

    add_warning(red, town_x, status=WarningStatus.CLOSED)
    assert not warn_flag().satisfied
    add_warning(red, town_x)
    assert warn_flag().satisfied
    # The refer-up flag is independent of the warning.
    assert [f.rule_id for f in open_flags([red])[red.pk]] == [rules["red_refer"].pk]


@pytest.mark.django_db
def test_notify_county_is_satisfied_by_a_warning_to_the_county_or_the_county_tier(rules, world, town_x):
    petition = world["petition"]
    assert open_flags([petition])[petition.pk][0].rule_id == rules["petition"].pk
    add_warning(petition, town_x, submitted_to=WarningTarget.TOWN_JOINT)
    assert not flags_for([petition])[petition.pk][0].satisfied
    add_warning(petition, town_x, submitted_to=WarningTarget.COUNTY)
    assert flags_for([petition])[petition.pk][0].satisfied
    assert petition.pk not in open_flags([petition])

    other = adjust(world["plain"], source="petition", tier=Tier.COUNTY, status=Status.IN_PROGRESS)
    assert flags_for([other])[other.pk][0].satisfied


@pytest.mark.django_db
def test_open_flags_keeps_only_unsatisfied_and_drops_cases_without_any(rules, world, town_x):
    cases = list(Dispute.objects.all())
    all_flags, pending = flags_for(cases), open_flags(cases)
    assert world["red_town"].pk in all_flags and world["red_town"].pk in pending
    add_warning(world["red_town"], town_x)
    assert world["red_town"].pk in flags_for(cases)
    assert world["red_town"].pk not in open_flags(cases)
    assert all(not f.satisfied for fs in open_flags(cases).values() for f in fs)


@pytest.mark.django_db
def test_empty_conditions_do_not_restrict_and_cross_village_uses_party_villages(rules, world):
    EscalationRule.objects.update(active=False)
    rule = EscalationRule.objects.create(name="跨村", cross_village=True, action=EscalationAction.REFER_UP)
    flags = flags_for(Dispute.objects.all())
    flagged = {key for key, case in world.items() if case.pk in flags}
    # A party from another village of the same town, or from another town, makes the case cross-village.
    assert flagged == {"cross_village", "cross_town", "cross_town_c"}
    [flag] = flags[world["cross_village"].pk]
    assert flag.rule_id == rule.pk and flag.target_tier == Tier.TOWN  # blank target = the next tier up

    # A REFER_UP rule without a target has nowhere to go from the county.
    adjust(world["cross_village"], tier=Tier.COUNTY, status=Status.IN_PROGRESS)
    assert world["cross_village"].pk not in flags_for([world["cross_village"]])


@pytest.mark.django_db
def test_category_and_min_days_conditions(rules, world):
    EscalationRule.objects.update(active=False)
    EscalationRule.objects.create(name="邻里30天", category="neighbour", min_days_open=30,
                                  action=EscalationAction.REFER_UP, target_tier=Tier.COUNTY)
    adjust(world["village_31_days"], category="neighbour")
    adjust(world["town_29_days"], category="neighbour")
    flags = flags_for(Dispute.objects.all())
    assert set(flags) == {world["village_31_days"].pk}


@pytest.mark.django_db
def test_inactive_rules_and_party_on_the_same_village_do_not_flag(rules, world, make_case, secretary_a):
    same = make_case(secretary_a, VILLAGE_A, parties=[in_village("张三", VILLAGE_A), party_row("李四")])
    assert same.pk not in flags_for([same])
    rules["red_refer"].active = False
    rules["red_refer"].save()
    ids = {f.rule_id for f in flags_for([world["red_village"]])[world["red_village"].pk]}
    assert ids == {rules["red_warn"].pk}


@pytest.mark.django_db
def test_suggested_warnings(rules, world):
    assert suggested_warnings(world["red_village"]) == ["intensify"]
    assert suggested_warnings(world["five_people"]) == ["group_petition"]
    both = adjust(world["five_people"], risk="red")
    assert suggested_warnings(both) == ["intensify", "group_petition"]
    assert suggested_warnings(world["plain"]) == []
    assert suggested_warnings(world["red_resolved"]) == []  # closed cases are never flagged


def clone_cases(template, n, *, party_village, tag):
    rows = []
    for i in range(n):
        clone = Dispute.objects.get(pk=template.pk)
        clone.pk = None
        clone.number = f"{template.number[:10]}{tag}{i}"
        rows.append(clone)
    created = Dispute.objects.bulk_create(rows)
    Party.objects.bulk_create([Party(dispute=d, **in_village(f"当事人{d.pk}", party_village)) for d in created])
    return created


@pytest.mark.django_db
@pytest.mark.parametrize("n_small, n_large", [(10, 200)])
def test_flags_for_costs_four_queries_however_many_cases(rules, make_case, secretary_a, town_x, n_small, n_large):
    template = make_case(secretary_a, VILLAGE_A, risk="red", people_involved=6)
    small = clone_cases(template, n_small, party_village=VILLAGE_C, tag="s")
    large = clone_cases(template, n_large, party_village=VILLAGE_C, tag="L")
    for case in large[::3]:
        add_warning(case, town_x)
    # Vary the fields the Python side reads, so the large batch exercises every rule.
    Dispute.objects.filter(pk__in=[c.pk for c in large[::2]]).update(
        deadline=timezone.now() - datetime.timedelta(days=1), source="petition")
    large = list(Dispute.objects.filter(pk__in=[c.pk for c in large]))

    with CaptureQueriesContext(connection) as few:
        small_flags = flags_for(small)
    with CaptureQueriesContext(connection) as many:
        large_flags = flags_for(large)
    # rules + party villages + open warnings + the holiday table, whatever the batch size
    assert len(few) == len(many) == 4, [q["sql"] for q in many.captured_queries]
    assert len(small_flags) == n_small and len(large_flags) == n_large
    assert {f.rule_id for fs in large_flags.values() for f in fs} >= {
        rules[k].pk for k in ("red_refer", "red_warn", "crowd_refer", "crowd_warn", "cross_town", "village_overdue",
                              "petition")
    }


@pytest.mark.django_db
def test_flags_for_accepts_a_queryset_and_skips_queries_it_does_not_need(rules, make_case, secretary_a,
                                                                         django_assert_num_queries):
    make_case(secretary_a, VILLAGE_A, risk="red")
    qs = Dispute.objects.filter(village_id=VILLAGE_A)
    with django_assert_num_queries(5):  # the cases themselves + rules + party villages + open warnings + holidays
        assert len(flags_for(qs)) == 1
    with django_assert_num_queries(0):
        assert flags_for([]) == {}
    EscalationRule.objects.exclude(name=SEEDED["red_refer"]).update(active=False)
    cases = list(qs.all())
    with django_assert_num_queries(2):  # rules + holidays: no cross-village rule, no warning-dependent rule
        assert len(flags_for(cases)) == 1
    Dispute.objects.update(risk="blue")
    cases = list(qs.all())
    with django_assert_num_queries(1):  # nothing matched: no working days to count
        assert flags_for(cases) == {}


@pytest.mark.django_db
def test_describe_conditions_for_the_admin(rules):
    assert escalation.describe_conditions(rules["town_30_days"]) == "镇街级、未化解满30天"
    assert escalation.describe_conditions(rules["cross_town"]) == "当事人跨镇街"
    assert escalation.describe_conditions(EscalationRule(action="refer_up")) == "所有未办结案件"


@pytest.mark.django_db
def test_migration_seeds_are_described_for_every_rule(rules):
    for rule in rules.values():
        assert rule.basis and rule.within_workdays >= 1
        if rule.action == EscalationAction.REFER_UP:
            assert rule.target_tier in (Tier.TOWN, Tier.COUNTY)
        if rule.action == EscalationAction.RAISE_WARNING:
            assert rule.warning_trigger


@pytest.mark.django_db
def test_zero_thresholds_do_not_restrict(rules, world):
    EscalationRule.objects.update(active=False)
    EscalationRule.objects.create(name="零", min_people=0, min_days_open=0, tier=Tier.TOWN,
                                  action=EscalationAction.NOTIFY_COUNTY)
    flagged = {key for key, case in world.items() if case.pk in flags_for(Dispute.objects.all())}
    assert flagged == {"red_town", "overdue_town", "town_31_days", "town_29_days"}


def rule_form(**overrides):
    from cases.admin import EscalationRuleForm

    data = {"name": "测试规则", "active": "on", "tier": "", "category": "", "risk_levels": [], "min_people": "",
            "min_days_open": "", "action": "refer_up", "target_tier": "town", "warning_trigger": "",
            "within_workdays": "1", "basis": ""}
    data.update(overrides)
    return EscalationRuleForm(data=data)


@pytest.mark.django_db
def test_admin_form_validates_rules():
    assert "__all__" in rule_form().errors  # no condition at all
    assert "target_tier" in rule_form(risk_levels=["red"], target_tier="village").errors
    assert "warning_trigger" in rule_form(min_people="5", action="raise_warning", target_tier="").errors
    assert "warning_trigger" in rule_form(min_people="5", warning_trigger="extreme").errors
    assert "within_workdays" in rule_form(min_people="5", within_workdays="0").errors
    assert "risk_levels" in rule_form(risk_levels=["purple"]).errors
    form = rule_form(risk_levels=["red", "orange"], action="raise_warning", target_tier="",
                     warning_trigger="intensify")
    assert form.is_valid(), form.errors
    rule = form.save()
    rule.refresh_from_db()
    assert rule.risk_levels == ["red", "orange"]
    from cases.admin import EscalationRuleAdmin

    assert EscalationRuleAdmin.conditions(None, rule) == "红色/橙色风险"
