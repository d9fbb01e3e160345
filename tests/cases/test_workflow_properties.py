"""Property-based: random sequences of actions by random actors keep the case's invariants.

Invariants: one holder; tier consistent with holder; exactly one event per successful action and none for a refused
one; a refused action changes nothing; closed cases stay closed unless reopened; at most one pending referral and one
active 四定.
"""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from cases.models import Assignment, CaseEvent, Dispute, EarlyWarning, Referral, ReferralStatus, Status, Tier
from core.errors import Refused
from org.models import Level, Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A

ACTORS = ["sec_a", "sec_b", "town_x", "town_y", "staff_x", "county", "unit"]
ACTIONS = ["start", "assign", "duty_handle", "duty_feedback", "refer", "accept", "return", "transfer", "warn",
           "close_warning", "resolve", "resolve_failed", "visit", "close", "reject", "reopen"]


def perform(action, actor, case, cast):
    today = timezone.localdate()
    w = case_services
    if action == "start":
        return w.start_handling(actor=actor, dispute=case)
    if action == "assign":
        return w.fix_assignment(actor=actor, dispute=case, lead_leader=cast["town_x"], responsible_person=cast["staff_x"],
                                responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), measures="调解")
    if action in ("duty_handle", "duty_feedback"):
        return w.record_duty(actor=actor, dispute=case, kind=action[5:], on_date=today, text="记录")
    if action == "refer":
        return w.refer_up(actor=actor, dispute=case, reason="提请")
    if action == "accept":
        return w.accept_referral(actor=actor, dispute=case)
    if action == "return":
        return w.return_referral(actor=actor, dispute=case, reason="退回")
    if action == "transfer":
        unit = Unit.objects.get(name="县涉土纠纷人民调解委员会" if case.tier == Tier.COUNTY else "嘉祥街道派出所")
        return w.transfer_to_unit(actor=actor, dispute=case, unit=unit, reason="移交")
    if action == "warn":
        return w.raise_warning(actor=actor, dispute=case, level="orange", triggers=["intensify"], reasons="r",
                               submitted_to="town_joint", reassess_on=today + datetime.timedelta(days=3))
    if action == "close_warning":
        warning = EarlyWarning.objects.filter(dispute=case, status="open").first()
        return w.close_warning(actor=actor, dispute=case, warning_id=warning.pk if warning else 0, note="解除")
    if action == "resolve":
        return w.resolve(actor=actor, dispute=case, outcome="success")
    if action == "resolve_failed":
        return w.resolve(actor=actor, dispute=case, outcome="failed", note="已告知诉讼途径")
    if action == "visit":
        return w.record_visit(actor=actor, dispute=case, visited_on=today, agreement_kept=True,
                              satisfaction="satisfied", relapse_signs=False)
    if action == "close":
        return w.close_case(actor=actor, dispute=case)
    if action == "reject":
        return w.reject(actor=actor, dispute=case, reason="不属于民间纠纷")
    if action == "reopen":
        return w.reopen(actor=actor, dispute=case, reason="再次发生争执")
    raise AssertionError(action)


def state(case):
    case = Dispute.objects.select_related("holder_division", "village").get(pk=case.pk)
    return case, {
        "row": (case.status, case.tier, case.holder_division_id, case.holder_unit_id, case.version, case.deadline),
        "events": CaseEvent.objects.filter(dispute=case).count(),
        "pending": Referral.objects.filter(dispute=case, status=ReferralStatus.PENDING).count(),
        "referrals": Referral.objects.filter(dispute=case).count(),
        "active_assignments": Assignment.objects.filter(dispute=case, active=True).count(),
        "warnings": list(EarlyWarning.objects.filter(dispute=case).values_list("status", flat=True)),
    }


def check_invariants(case, s):
    holder = case.holder_division
    assert holder is not None
    expected_level = {Tier.VILLAGE: Level.VILLAGE, Tier.TOWN: Level.TOWNSHIP, Tier.COUNTY: Level.COUNTY}[case.tier]
    assert holder.level == expected_level
    if case.tier == Tier.VILLAGE:
        assert holder.code == case.village_id
    elif case.tier == Tier.TOWN:
        assert holder.code == case.village.parent_id
    else:
        assert holder.code == COUNTY
    if case.tier == Tier.VILLAGE:
        assert case.holder_unit_id is None
    assert s["pending"] <= 1 and s["active_assignments"] <= 1
    assert (case.status == Status.REFERRED) == (s["pending"] == 1)


@pytest.fixture
def cast(make_user, secretary_a, secretary_b, town_x, town_y, county_user, unit_user):
    return {"sec_a": secretary_a, "sec_b": secretary_b, "town_x": town_x, "town_y": town_y,
            "staff_x": make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x"), "county": county_user,
            "unit": unit_user}


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.sampled_from(ACTORS)), min_size=1, max_size=25))
def test_random_action_sequences_keep_the_invariants(cast, make_case, steps):
    case = make_case(cast["sec_a"], VILLAGE_A)
    for action, who in steps:
        case, before = state(case)
        try:
            perform(action, cast[who], case, cast)
            ok = True
        except (Refused, Dispute.DoesNotExist):
            ok = False
        case, after = state(case)
        check_invariants(case, after)
        if ok:
            assert after["events"] == before["events"] + 1, (action, who)
            if before["row"][0] == Status.CLOSED:
                assert action == "reopen" or after["row"][0] == Status.CLOSED, (action, who)
        else:
            assert after == before, (action, who)
        if before["row"][0] in (Status.CLOSED, Status.REJECTED) and action != "reopen":
            assert after["row"][0] == before["row"][0]
