"""The case action pages (cases:act): every action of the transition table through the test client.

For each action: the right role and position succeeds (state changed, exactly one CaseEvent), a wrong role gets 403,
another jurisdiction 404, a wrong state 403 (or a form error), anonymous users the login page, bad input a Chinese
field error — and every refusal changes nothing.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import selectors
from cases import services as case_services
from cases.models import (
    Assignment,
    CaseEvent,
    Dispute,
    DutyLog,
    EarlyWarning,
    EscalationAction,
    EscalationRule,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
    Supervision,
    Tier,
    Visit,
    WarningStatus,
)
from cases.rules import transitions
from cases.views.actions import ACTIONS
from org.models import Division, Role, Unit
from org.people import person_for
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A

TODAY = timezone.localdate
TOWN_UNIT = "嘉祥街道司法所"
COUNTY_UNIT = "县涉土纠纷人民调解委员会"


def act_url(case, action):
    return reverse("cases:act", args=[case.number, action])


def fresh(case):
    return Dispute.objects.get(pk=case.pk)


def snapshot(case):
    """Everything an action could change."""
    c = fresh(case)
    return (
        c.status, c.tier, c.holder_division_id, c.holder_unit_id, c.version, c.deadline, c.outcome, c.reopen_count,
        c.closed_at, list(CaseEvent.objects.filter(dispute=c).values_list("kind", flat=True)),
        list(Referral.objects.filter(dispute=c).values_list("kind", "status").order_by("id")),
        list(Assignment.objects.filter(dispute=c).values_list("id", "active").order_by("id")),
        DutyLog.objects.filter(dispute=c).count(), Visit.objects.filter(dispute=c).count(),
        list(EarlyWarning.objects.filter(dispute=c).values_list("level", "status", "reassess_on").order_by("id")),
    )


def events(case):
    return CaseEvent.objects.filter(dispute=case).count()


# --- the cast and the states a case can be brought to (through the services, as users would) -------------------


@pytest.fixture
def w(make_case, make_user, secretary_a, secretary_b, town_x, town_y, county_user, unit_user, auditor):
    return SimpleNamespace(
        make_case=make_case, sec_a=secretary_a, sec_b=secretary_b, town_x=town_x, town_y=town_y,
        county=county_user, unit=unit_user, auditor=auditor,
        staff_x=make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x"),
    )


def logged(w):
    return w.make_case(w.sec_a, VILLAGE_A)


def village_in_progress(w):
    return case_services.start_handling(actor=w.sec_a, dispute=logged(w))


def village_resolved(w):
    return case_services.resolve(actor=w.sec_a, dispute=village_in_progress(w), outcome="success", note="达成协议")


def village_visited(w):
    case = village_resolved(w)
    case_services.record_visit(actor=w.sec_a, dispute=case, visited_on=TODAY(), agreement_kept=True,
                          satisfaction="satisfied", relapse_signs=False)
    return fresh(case)


def referred_to_town(w):
    case = logged(w)
    case_services.refer_up(actor=w.sec_a, dispute=case, reason="涉及多户，村里调不动")
    return fresh(case)


def at_town(w):
    return case_services.accept_referral(actor=w.town_x, dispute=referred_to_town(w))


def assigned(w):
    case = at_town(w)
    case_services.fix_assignment(actor=w.town_x, dispute=case, lead_leader=w.town_x,
                            responsible_unit=Unit.objects.get(name=TOWN_UNIT), responsible_person=w.staff_x,
                            measures="司法所牵头调解")
    return fresh(case)


def with_warning(w):
    case = at_town(w)
    case_services.raise_warning(actor=w.town_x, dispute=case, level="yellow", triggers=["intensify"], reasons="情绪激动",
                           submitted_to="town_joint", reassess_on=TODAY() + datetime.timedelta(days=3))
    return fresh(case)


def town_resolved_with_warning(w):
    case = with_warning(w)
    case_services.fix_assignment(actor=w.town_x, dispute=case, lead_leader=w.town_x,
                            responsible_unit=Unit.objects.get(name=TOWN_UNIT), responsible_person=w.staff_x,
                            measures="司法所牵头调解")
    case_services.record_duty(actor=w.staff_x, dispute=case, kind="feedback", on_date=TODAY(), text="双方签订协议")
    return case_services.resolve(actor=w.town_x, dispute=case, outcome="success")


def town_closed_with_warning(w):
    """A closed case whose warning is open again (closing requires the warning closed first, so force it)."""
    case = town_resolved_with_warning(w)
    ids = list(case.warnings.filter(status=WarningStatus.OPEN).values_list("pk", flat=True))
    for pk in ids:
        case_services.close_warning(actor=w.town_x, dispute=case, warning_id=pk, note="风险消除")
    case = case_services.close_case(actor=w.town_x, dispute=fresh(case))
    EarlyWarning.objects.filter(pk__in=ids).update(status=WarningStatus.OPEN, closed_at=None)
    return fresh(case)


def referred_to_county(w):
    case = at_town(w)
    case_services.refer_up(actor=w.town_x, dispute=case, reason="涉及县直部门")
    return fresh(case)


def at_county(w):
    return case_services.accept_referral(actor=w.county, dispute=referred_to_county(w))


def open_warning_id(case):
    return EarlyWarning.objects.get(dispute=case, status=WarningStatus.OPEN).pk


def at_unit_pending(w):
    """Transferred by the county to its 涉土 mediation committee, waiting for the committee's 签收."""
    case = at_county(w)
    case_services.transfer_to_unit(actor=w.county, dispute=case, unit=Unit.objects.get(name=COUNTY_UNIT),
                                   reason="涉土专业调解")
    return fresh(case)


def at_unit(w):
    case = at_unit_pending(w)
    case_services.accept_transfer(actor=w.unit, dispute=case)
    return fresh(case)


def feedback_filed(w):
    case = at_unit(w)
    case_services.file_feedback(actor=w.unit, dispute=case, outcome="success", text="双方签订调解协议")
    return fresh(case)


def unit_feedback_accepted(w):
    case = feedback_filed(w)
    case_services.review_feedback(actor=w.county, dispute=case, accept=True)
    return fresh(case)


def extension_requested(w):
    case = village_in_progress(w)
    case_services.request_extension(actor=w.sec_a, dispute=case, reason="当事人外出务工")
    return fresh(case)


def resolved_with_pending_extension(w):
    case = extension_requested(w)
    return case_services.resolve(actor=w.sec_a, dispute=case, outcome="success", note="达成协议")


def open_transfer(case):
    return Referral.objects.filter(dispute=case, kind=ReferralKind.TRANSFER).latest("id")


@dataclass
class Scenario:
    setup: Callable  # w -> case the right user can act on
    actor: str  # attribute of w
    data: Callable  # (w, case) -> valid POST data
    check: Callable  # (case after) -> None, asserts the change
    event: str  # the CaseEvent kind written
    wrong_role: str  # sees the case but holds no position for the action -> 403
    outsider: str  # outside the jurisdiction -> 404
    wrong_state: Callable  # w -> case in a state the action is not allowed from (same actor)
    bad: Callable  # (w, case) -> invalid POST data
    bad_field: str  # the field the error is shown on ("__all__": a service error)
    bad_message: str  # Chinese message expected
    extra: dict = field(default_factory=dict)


def long_text(n=2001):
    return "字" * n


SCENARIOS = {
    "start": Scenario(
        logged, "sec_a", lambda w, c: {"note": "明天上午到现场"},
        lambda c: c.status == Status.IN_PROGRESS and c.deadline is not None, "started",
        "town_x", "sec_b", village_in_progress,
        lambda w, c: {"note": long_text()}, "note", "说明最多2000字。",
    ),
    "assign": Scenario(
        at_town, "town_x",
        lambda w, c: {"lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
                      "responsible_person": person_for(w.staff_x).pk, "measures": "司法所牵头，村两委配合", "deadline": ""},
        lambda c: c.assignments.get(active=True).responsible_person.user.username == "staff_x"
        and c.deadline == c.assignments.get(active=True).deadline, "assigned",
        "sec_a", "town_y", referred_to_town,
        lambda w, c: {"lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
                      "responsible_person": person_for(w.staff_x).pk, "measures": "  "}, "measures", "请填写调处措施。",
    ),
    "duty": Scenario(
        assigned, "town_x",
        lambda w, c: {"kind": "track", "on_date": TODAY().isoformat(), "text": "当事人情绪平稳"},
        lambda c: c.duty_logs.get().kind == "track" and c.status == Status.IN_PROGRESS, "duty",
        "sec_a", "town_y", referred_to_town,
        lambda w, c: {"kind": "track", "on_date": (TODAY() + datetime.timedelta(days=1)).isoformat(), "text": "x"},
        "on_date", "记录日期不能晚于今天。",
    ),
    "refer": Scenario(
        logged, "sec_a", lambda w, c: {"reason": "双方分歧大，需镇街协调"},
        lambda c: c.status == Status.REFERRED and c.referrals.get().to_division_id == TOWN_X, "referred",
        "town_x", "sec_b", referred_to_town,
        lambda w, c: {"reason": "   "}, "reason", "请填写提请理由。",
    ),
    "accept": Scenario(
        referred_to_town, "town_x", lambda w, c: {"note": ""},
        lambda c: (c.status, c.tier, c.holder_division_id) == (Status.IN_PROGRESS, Tier.TOWN, TOWN_X), "accepted",
        "sec_a", "town_y", logged,
        lambda w, c: {"note": long_text()}, "note", "签收意见最多2000字。",
        extra={"wrong_state_actor": "town_x"},
    ),
    "return": Scenario(
        referred_to_town, "town_x", lambda w, c: {"reason": "属村内一般纠纷，请村里继续调解"},
        lambda c: (c.status, c.tier, c.referrals.get().status) == (Status.IN_PROGRESS, Tier.VILLAGE,
                                                                   ReferralStatus.RETURNED), "returned",
        "sec_a", "town_y", logged,
        lambda w, c: {"reason": ""}, "reason", "请填写退回理由。",
        extra={"wrong_state_actor": "town_x"},
    ),
    "transfer": Scenario(
        at_county, "county",
        lambda w, c: {"unit": Unit.objects.get(name=COUNTY_UNIT).pk, "reason": "涉土专业调解"},
        lambda c: c.holder_unit.name == COUNTY_UNIT and c.status == Status.IN_PROGRESS, "transferred",
        "town_x", "town_y", referred_to_county,
        lambda w, c: {"unit": Unit.objects.get(name=TOWN_UNIT).pk, "reason": "x"}, "unit", "所选单位无效。",
    ),
    "warn": Scenario(
        at_town, "town_x",
        lambda w, c: {"level": "orange", "triggers": ["group_petition", "intensify"], "reasons": "多户联名",
                      "submitted_to": "town_joint", "reassess_on": (TODAY() + datetime.timedelta(days=7)).isoformat()},
        lambda c: list(c.warnings.values_list("level", "triggers", "status")) == [
            ("orange", ["group_petition", "intensify"], "open")], "warning_raised",
        "sec_a", "town_y", town_resolved_with_warning,
        lambda w, c: {"level": "orange", "reasons": "x", "submitted_to": "town_joint",
                      "reassess_on": TODAY().isoformat()}, "triggers", "请至少选择一种预警情形。",
    ),
    "reassess_warning": Scenario(
        with_warning, "town_x",
        lambda w, c: {"warning_id": open_warning_id(c), "level": "red", "note": "又有三户加入",
                      "reassess_on": (TODAY() + datetime.timedelta(days=2)).isoformat()},
        lambda c: c.warnings.get().level == "red", "warning_reassessed",
        "sec_a", "town_y", town_closed_with_warning,
        lambda w, c: {"warning_id": open_warning_id(c), "level": "red", "note": "",
                      "reassess_on": TODAY().isoformat()}, "note", "请填写评估意见。",
    ),
    "close_warning": Scenario(
        with_warning, "town_x", lambda w, c: {"warning_id": open_warning_id(c), "note": "双方已和解"},
        lambda c: c.warnings.get().status == WarningStatus.CLOSED, "warning_closed",
        "sec_a", "town_y", None,  # allowed in every status: the wrong state is a warning already closed
        lambda w, c: {"warning_id": open_warning_id(c), "note": ""}, "note", "请填写解除理由。",
    ),
    "resolve": Scenario(
        village_in_progress, "sec_a", lambda w, c: {"outcome": "success", "note": "达成书面协议"},
        lambda c: c.status == Status.RESOLVED and c.outcome == "success", "resolved",
        "town_x", "sec_b", logged,
        lambda w, c: {"outcome": "failed", "note": ""}, "note", "调解不成的，请写明已告知当事人的其他解决途径",
    ),
    "visit": Scenario(
        village_resolved, "sec_a",
        lambda w, c: {"visited_on": TODAY().isoformat(), "agreement_kept": "none", "satisfaction": "basic",
                      "note": "已口头和解"},
        lambda c: list(c.visits.values_list("agreement_kept", "satisfaction", "relapse_signs")) == [
            (None, "basic", False)], "visited",
        "town_x", "sec_b", village_in_progress,
        lambda w, c: {"visited_on": TODAY().isoformat(), "agreement_kept": "maybe", "satisfaction": "basic"},
        "agreement_kept", "所选协议履行情况无效",
    ),
    "close": Scenario(
        village_visited, "sec_a", lambda w, c: {"note": ""},
        lambda c: c.status == Status.CLOSED and c.closed_at is not None, "closed",
        "town_x", "sec_b", village_in_progress,
        lambda w, c: {"note": long_text()}, "note", "结案说明最多2000字。",
    ),
    "reject": Scenario(
        logged, "sec_a", lambda w, c: {"reason": "已向法院起诉"},
        lambda c: c.status == Status.REJECTED, "rejected",
        "town_x", "sec_b", village_in_progress,
        lambda w, c: {"reason": ""}, "reason", "请填写不予受理的理由。",
    ),
    "reopen": Scenario(
        village_resolved, "sec_a", lambda w, c: {"reason": "因排水问题再起争执"},
        lambda c: c.status == Status.IN_PROGRESS and c.reopen_count == 1 and c.outcome == "", "reopened",
        "town_x", "sec_b", village_in_progress,
        lambda w, c: {"reason": ""}, "reason", "请填写反复情况。",
    ),
    "accept_transfer": Scenario(
        at_unit_pending, "unit", lambda w, c: {"note": "已安排调解员"},
        lambda c: open_transfer(c).status == ReferralStatus.ACCEPTED, "transfer_accepted",
        "county", "sec_b", unit_feedback_accepted,
        lambda w, c: {"note": long_text()}, "note", "签收意见最多2000字。",
    ),
    "return_transfer": Scenario(
        at_unit_pending, "unit", lambda w, c: {"reason": "不属本委职责，建议交县自然资源局"},
        lambda c: c.holder_unit_id is None and open_transfer(c).status == ReferralStatus.RETURNED,
        "transfer_returned", "county", "sec_b", unit_feedback_accepted,
        lambda w, c: {"reason": " "}, "reason", "请填写退回理由。",
    ),
    "file_feedback": Scenario(
        at_unit, "unit", lambda w, c: {"outcome": "success", "text": "双方签订调解协议"},
        lambda c: open_transfer(c).awaiting_review, "feedback_filed",
        "county", "sec_b", unit_feedback_accepted,
        lambda w, c: {"outcome": "", "text": "已调解"}, "outcome", "请选择办理结果。",
    ),
    "review_feedback": Scenario(
        feedback_filed, "county", lambda w, c: {"decision": "yes", "note": ""},
        lambda c: c.status == Status.RESOLVED and c.outcome == "success", "feedback_accepted",
        "unit", "sec_b", unit_feedback_accepted,
        lambda w, c: {"decision": "no", "note": ""}, "note", "退回重办须写明需补充办理的事项。",
    ),
    "request_extension": Scenario(
        village_in_progress, "sec_a", lambda w, c: {"reason": "当事人外出务工，下周返乡"},
        lambda c: c.extensions.get().status == "pending", "extension_requested",
        "town_x", "sec_b", village_resolved,
        lambda w, c: {"reason": ""}, "reason", "请填写延期理由。",
    ),
    "decide_extension": Scenario(
        extension_requested, "town_x", lambda w, c: {"decision": "yes", "note": ""},
        lambda c: c.deadline == c.extensions.get().new_deadline > c.extensions.get().old_deadline,
        "deadline_extended", "sec_a", "town_y", resolved_with_pending_extension,
        lambda w, c: {"decision": "no", "note": ""}, "note", "不予批准须写明理由。",
    ),
}


def test_every_action_of_the_transition_table_has_a_form_and_a_scenario():
    assert list(ACTIONS) == list(transitions.USER_ACTIONS)
    assert set(SCENARIOS) == set(transitions.USER_ACTIONS)


ALL = list(SCENARIOS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_right_user_succeeds_with_one_event(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    actor = getattr(w, s.actor)
    client.force_login(actor)
    page = client.get(act_url(case, action))
    assert page.status_code == 200
    assert transitions.TRANSITIONS[action].label in page.content.decode()
    before = list(CaseEvent.objects.filter(dispute=case).values_list("id", flat=True))
    response = client.post(act_url(case, action), s.data(w, case), follow=True)
    # A unit that sends a transfer back no longer sees the case: it lands on its ledger.
    landing = reverse("cases:list") if action == "return_transfer" else case.get_absolute_url()
    assert response.redirect_chain == [(landing, 302)], response.content.decode()[:3000]
    assert ACTIONS[action].done in response.content.decode()
    new_events = CaseEvent.objects.filter(dispute=case).exclude(id__in=before)
    assert [(e.kind, e.actor_id) for e in new_events] == [(s.event, actor.pk)]
    assert s.check(fresh(case)), snapshot(case)


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_wrong_role_gets_403_and_nothing_changes(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    before = snapshot(case)
    client.force_login(getattr(w, s.wrong_role))
    for response in (client.get(act_url(case, action)), client.post(act_url(case, action), s.data(w, case))):
        assert response.status_code == 403
        assert f"不能{transitions.TRANSITIONS[action].label}" in response.content.decode()
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_other_jurisdiction_gets_404_and_nothing_changes(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    before = snapshot(case)
    client.force_login(getattr(w, s.outsider))
    assert client.get(act_url(case, action)).status_code == 404
    assert client.post(act_url(case, action), s.data(w, case)).status_code == 404
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", [a for a in ALL if SCENARIOS[a].wrong_state])
def test_wrong_state_is_refused_with_a_reason_and_nothing_changes(client, w, action):
    s = SCENARIOS[action]
    case = s.wrong_state(w)
    before = snapshot(case)
    client.force_login(getattr(w, s.extra.get("wrong_state_actor", s.actor)))
    for response in (client.get(act_url(case, action)), client.post(act_url(case, action), s.data(w, case))):
        assert response.status_code == 403
        body = response.content.decode()
        assert f"不能{transitions.TRANSITIONS[action].label}" in body
    assert snapshot(case) == before


@pytest.mark.django_db
def test_closing_a_warning_that_is_already_closed_is_a_form_error(client, w):
    case = with_warning(w)
    warning_id = open_warning_id(case)
    case_services.close_warning(actor=w.town_x, dispute=case, warning_id=warning_id, note="已和解")
    before = snapshot(case)
    client.force_login(w.town_x)
    response = client.post(act_url(case, "close_warning"), {"warning_id": warning_id, "note": "再次解除"})
    assert response.status_code == 200
    assert "所选预警不存在或已解除" in response.content.decode()
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_anonymous_is_sent_to_login_and_nothing_changes(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    before = snapshot(case)
    for response in (client.get(act_url(case, action)), client.post(act_url(case, action), s.data(w, case))):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_bad_input_shows_a_chinese_field_error_and_nothing_changes(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    before = snapshot(case)
    client.force_login(getattr(w, s.actor))
    response = client.post(act_url(case, action), s.bad(w, case))
    assert response.status_code == 200
    form = response.context["form"]
    assert any(s.bad_message in e for e in form.errors.get(s.bad_field, [])), form.errors
    body = response.content.decode()
    assert "尚未保存" in body and s.bad_message in body
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ALL)
def test_garbage_post_never_500(client, w, action):
    s = SCENARIOS[action]
    client.force_login(getattr(w, s.actor))
    garbage = {name: "<script>x</script>" + long_text() for name in ACTIONS[action].form.base_fields}
    garbage.update({"warning_id": "99999999", "lead_leader": "abc", "deadline": "2026-13-45", "unit": "-1"})
    for data in ({}, garbage):
        case = s.setup(w)
        before = snapshot(case)
        response = client.post(act_url(case, action), data)
        if response.status_code == 302:  # only actions whose fields are all optional accept this
            assert action in ("start", "accept", "close", "accept_transfer")
        else:
            assert response.status_code == 200 and response.context["form"].errors
            assert snapshot(case) == before


@pytest.mark.django_db
def test_county_returning_a_referral_stays_on_the_case_it_still_reads(client, w):
    """After 退回 the case is the town's again; the county centre still reads it (it reads the whole county)."""
    case = referred_to_county(w)
    client.force_login(w.county)
    response = client.post(act_url(case, "return"), {"reason": "属镇街职权范围，请镇街继续办理"}, follow=True)
    assert response.redirect_chain == [(case.get_absolute_url(), 302)]
    assert "已退回提请方。" in response.content.decode()
    assert (fresh(case).status, fresh(case).tier) == (Status.IN_PROGRESS, Tier.TOWN)


@pytest.mark.django_db
def test_unknown_action_is_404_and_other_methods_405(client, w):
    case = logged(w)
    client.force_login(w.sec_a)
    assert client.get(act_url(case, "delete")).status_code == 404
    assert client.put(act_url(case, "start")).status_code == 405


@pytest.mark.django_db
def test_service_refusal_is_shown_as_a_form_error_and_nothing_changes(client, w):
    """A town case cannot be resolved before a 包反馈 entry: the service's message appears on the form."""
    case = assigned(w)
    before = snapshot(case)
    client.force_login(w.town_x)
    response = client.post(act_url(case, "resolve"), {"outcome": "success", "note": ""})
    assert response.status_code == 200
    assert "镇街案件化解前，责任人须至少有一条“包反馈”记录。" in response.context["form"].non_field_errors()
    assert snapshot(case) == before


@pytest.mark.django_db
def test_state_changed_between_get_and_post_is_refused(client, w):
    case = logged(w)
    client.force_login(w.sec_a)
    assert client.get(act_url(case, "reject")).status_code == 200
    case_services.start_handling(actor=w.sec_a, dispute=case)  # e.g. from another phone, meanwhile
    before = snapshot(case)
    response = client.post(act_url(case, "reject"), {"reason": "已起诉"})
    assert response.status_code == 403
    assert "案件当前状态为“调处中”，不能不予受理。" in response.content.decode()
    assert snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["reject", "close", "return"])
def test_irreversible_actions_ask_for_confirmation(client, w, action):
    s = SCENARIOS[action]
    case = s.setup(w)
    client.force_login(getattr(w, s.actor))
    body = client.get(act_url(case, action)).content.decode()
    label = transitions.TRANSITIONS[action].label
    assert f"确认{label}？此操作会" in body
    assert f">确认{label}</button>" in body


@pytest.mark.django_db
def test_assign_form_offers_only_people_and_units_of_the_holding_town(client, w, make_user):
    case = at_town(w)
    other_town_staff = make_user(Role.TOWN_STAFF, TOWN_Y, username="staff_y")
    client.force_login(w.town_x)
    form = client.get(act_url(case, "assign")).context["form"]
    people = set(form.fields["lead_leader"].queryset.values_list("user__username", flat=True))
    assert {"town_x", "staff_x"} <= people
    assert not people & {"staff_y", "sec_a", "county", "unit"}
    units = set(form.fields["responsible_unit"].queryset.values_list("division_id", flat=True))
    assert units == {TOWN_X, COUNTY}
    before = snapshot(case)
    response = client.post(act_url(case, "assign"), {
        "lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
        "responsible_person": person_for(other_town_staff).pk, "measures": "x"})
    assert "所选责任人无效。" in response.context["form"].errors["responsible_person"]
    assert snapshot(case) == before


@pytest.mark.django_db
def test_assign_with_an_explicit_deadline_uses_the_end_of_that_day(client, w):
    case = at_town(w)
    day = TODAY() + datetime.timedelta(days=3)
    client.force_login(w.town_x)
    client.post(act_url(case, "assign"), {
        "lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
        "responsible_person": person_for(w.staff_x).pk, "measures": "x", "deadline": day.isoformat()})
    deadline = timezone.localtime(fresh(case).deadline)
    assert (deadline.date(), deadline.hour) == (day, 23)
    response = client.post(act_url(case, "assign"), {
        "lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
        "responsible_person": person_for(w.staff_x).pk, "measures": "x",
        "deadline": (TODAY() - datetime.timedelta(days=1)).isoformat()})
    assert "办结时限不能早于今天。" in response.context["form"].errors["deadline"]


@pytest.mark.django_db
def test_transfer_offers_the_county_units_to_the_county_and_own_units_to_a_town(client, w):
    county_case = at_county(w)
    client.force_login(w.county)
    units = client.get(act_url(county_case, "transfer")).context["form"].fields["unit"].queryset
    names = set(units.values_list("name", flat=True))
    assert COUNTY_UNIT in names and "县公安局" in names
    assert not names & {"嘉祥县社会治理协调中心", "县纪委监委", TOWN_UNIT}
    town_case = at_town(w)
    client.force_login(w.town_x)
    units = client.get(act_url(town_case, "transfer")).context["form"].fields["unit"].queryset
    assert set(units.values_list("division_id", flat=True)) == {TOWN_X}
    assert "嘉祥街道纪（工）委" not in set(units.values_list("name", flat=True))


@pytest.mark.django_db
def test_warn_form_preticks_the_triggers_the_rules_suggest(client, w):
    pytest.importorskip("cases.rules.escalation", reason="without the escalation rules nothing is pre-ticked")
    EscalationRule.objects.create(name="5人以上可能集体访", action=EscalationAction.RAISE_WARNING, min_people=5,
                                  warning_trigger="group_petition")
    case = at_town(w)
    Dispute.objects.filter(pk=case.pk).update(people_involved=12)
    client.force_login(w.town_x)
    response = client.get(act_url(case, "warn"))
    assert "group_petition" in response.context["form"].initial["triggers"]
    assert "已按预警规则预选" in response.content.decode()


@pytest.mark.django_db
def test_a_responsible_person_who_does_not_hold_the_case_may_record_duty(client, w, make_user):
    """record_duty admits the active 四定's responsible person (here a 派出所 officer), so the page does too."""
    officer = make_user(Role.UNIT_STAFF, TOWN_X, unit_name="嘉祥街道派出所", username="officer")
    case = at_town(w)
    case_services.fix_assignment(actor=w.town_x, dispute=case, lead_leader=w.town_x,
                            responsible_unit=Unit.objects.get(name="嘉祥街道派出所"), responsible_person=officer,
                            measures="派出所调处")
    assert "duty" not in transitions.allowed_actions(officer, fresh(case))
    client.force_login(officer)
    page = client.get(case.get_absolute_url())
    assert act_url(case, "duty") in page.content.decode()
    response = client.post(act_url(case, "duty"), {"kind": "handle", "on_date": TODAY().isoformat(),
                                                   "text": "到现场调解"})
    assert response.status_code == 302
    assert fresh(case).duty_logs.get().actor == officer
    # … but nothing else: resolving stays with the town.
    assert client.get(act_url(case, "resolve")).status_code == 403


# --- the case page ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_case_page_shows_exactly_the_allowed_buttons(client, w):
    case = referred_to_town(w)
    client.force_login(w.town_x)
    body = client.get(case.get_absolute_url()).content.decode()
    for action in ("accept", "return", "warn"):
        assert act_url(case, action) in body
    for action in ("start", "assign", "resolve", "reassess_warning", "close_warning"):
        assert act_url(case, action) not in body
    client.force_login(w.sec_a)
    body = client.get(case.get_absolute_url()).content.decode()
    assert "/do/" not in body  # referred: the village waits


@pytest.mark.django_db
def test_warning_buttons_appear_only_while_a_warning_is_open(client, w):
    case = with_warning(w)
    client.force_login(w.town_x)
    body = client.get(case.get_absolute_url()).content.decode()
    assert act_url(case, "reassess_warning") in body and act_url(case, "close_warning") in body
    case_services.close_warning(actor=w.town_x, dispute=case, warning_id=open_warning_id(case), note="已和解")
    body = client.get(case.get_absolute_url()).content.decode()
    assert act_url(case, "reassess_warning") not in body and act_url(case, "close_warning") not in body


def add_many_records(case, w, n):
    """n of every workflow record on one case (bulk, only one active 四定)."""
    unit = Unit.objects.get(name=TOWN_UNIT)
    deadline = timezone.now() + datetime.timedelta(days=5)
    Assignment.objects.filter(dispute=case).update(active=False)
    Assignment.objects.bulk_create([
        Assignment(dispute=case, tier=Tier.TOWN, lead_leader=person_for(w.town_x), responsible_unit=unit,
                   responsible_person=person_for(w.staff_x), measures=f"措施{i}", deadline=deadline, active=False,
                   created_by=w.town_x) for i in range(n)])
    DutyLog.objects.bulk_create([
        DutyLog(dispute=case, kind="track", on_date=TODAY(), text=f"跟进记录{i}", actor=w.staff_x) for i in range(n)])
    town, village = Division.objects.get(code=TOWN_X), Division.objects.get(code=VILLAGE_A)
    Referral.objects.bulk_create([
        Referral(dispute=case, kind=ReferralKind.REFER, from_tier=Tier.VILLAGE, from_division=village,
                 to_tier=Tier.TOWN, to_division=town, reason=f"理由{i}", status=ReferralStatus.RETURNED,
                 decided_by=w.town_x, decided_at=timezone.now(), created_by=w.sec_a) for i in range(n)])
    EarlyWarning.objects.bulk_create([
        EarlyWarning(dispute=case, level="yellow", triggers=["intensify", "extreme"], reasons=f"预警{i}",
                submitted_to="town_joint", reassess_on=TODAY(), tier=Tier.TOWN, division=town, raised_by=w.town_x)
        for i in range(n)])
    Visit.objects.bulk_create([
        Visit(dispute=case, visited_on=TODAY(), agreement_kept=None, satisfaction="satisfied", visitor=w.sec_a)
        for i in range(n)])
    base = Supervision.objects.filter(dispute=case).count()  # (dispute, missed_deadline) is unique
    Supervision.objects.bulk_create([
        Supervision(dispute=case, missed_deadline=deadline + datetime.timedelta(hours=base + i), due_at=deadline,
                    division=town) for i in range(n)])


def render_records(case):
    with CaptureQueriesContext(connection) as ctx:
        html = render_to_string("cases/_workflow_records.html", {"records": selectors.case_workflow_records(case)})
    return len(ctx.captured_queries), html


@pytest.mark.django_db
def test_records_cost_one_query_however_many_rows(w):
    case = assigned(w)
    add_many_records(case, w, 1)
    small, _ = render_records(case)
    add_many_records(case, w, 40)
    large, html = render_records(case)
    assert small == large == 1  # 四定 (+ their 三包 duties), 三包 records, hops, warnings, visits, supervisions, extensions
    assert html.count("跟进记录") == 41 and "个人极端事件" in html and "无书面协议" in html


@pytest.mark.django_db
def test_case_page_query_count_does_not_grow_with_records(client, w):
    case = assigned(w)
    add_many_records(case, w, 1)
    client.force_login(w.town_x)
    with CaptureQueriesContext(connection) as small:
        assert client.get(case.get_absolute_url()).status_code == 200
    add_many_records(case, w, 40)
    with CaptureQueriesContext(connection) as large:
        assert client.get(case.get_absolute_url()).status_code == 200
    assert len(small.captured_queries) == len(large.captured_queries)


@pytest.mark.django_db
def test_records_highlight_the_active_assignment(client, w):
    case = assigned(w)
    case_services.fix_assignment(actor=w.town_x, dispute=case, lead_leader=w.town_x,
                            responsible_unit=Unit.objects.get(name="嘉祥街道综治办"), responsible_person=w.town_x,
                            measures="改由综治办牵头")
    html = render_to_string("cases/_workflow_records.html", {"records": selectors.case_workflow_records(case)})
    active = html.split('record-active">')[1].split("</li>")[0]
    assert "改由综治办牵头" in active and "当前有效" in active
    assert html.count("record-active") == 1 and "已失效" in html


# --- the whole journey through the pages -------------------------------------------------------------------------


def post_ok(client, user, case, action, data):
    client.force_login(user)
    response = client.post(act_url(case, action), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert response["Location"] == case.get_absolute_url()


@pytest.mark.django_db
def test_village_to_town_to_county_to_unit_and_back_to_closed(client, w):
    case = logged(w)
    today = TODAY().isoformat()
    post_ok(client, w.sec_a, case, "refer", {"reason": "宅基地界址争议，村里调不动"})

    client.force_login(w.town_x)
    assert case.number in client.get(reverse("cases:inbox")).content.decode()
    post_ok(client, w.town_x, case, "accept", {"note": "列入本周研判"})
    post_ok(client, w.town_x, case, "assign", {
        "lead_leader": person_for(w.town_x).pk, "responsible_unit": Unit.objects.get(name=TOWN_UNIT).pk,
        "responsible_person": person_for(w.staff_x).pk, "measures": "司法所牵头调解", "deadline": ""})
    client.force_login(w.staff_x)
    assert case.number in client.get(reverse("cases:mine")).content.decode()
    post_ok(client, w.staff_x, case, "duty", {"kind": "feedback", "on_date": today, "text": "双方分歧仍大"})
    post_ok(client, w.town_x, case, "warn", {
        "level": "yellow", "triggers": ["intensify"], "reasons": "一方扬言上访", "submitted_to": "town_joint",
        "reassess_on": today})
    post_ok(client, w.town_x, case, "refer", {"reason": "涉及土地确权，需县级协调"})

    client.force_login(w.county)
    assert case.number in client.get(reverse("cases:inbox")).content.decode()
    post_ok(client, w.county, case, "accept", {"note": ""})
    post_ok(client, w.county, case, "transfer", {"unit": Unit.objects.get(name=COUNTY_UNIT).pk,
                                                 "reason": "涉土专业调解"})

    post_ok(client, w.unit, case, "accept_transfer", {"note": "已安排调解员"})
    post_ok(client, w.unit, case, "duty", {"kind": "handle", "on_date": today, "text": "组织双方现场勘界"})
    post_ok(client, w.unit, case, "file_feedback", {"outcome": "success", "text": "签订调解协议"})
    post_ok(client, w.county, case, "review_feedback", {"decision": "yes", "note": "同意"})
    post_ok(client, w.unit, case, "visit", {"visited_on": today, "agreement_kept": "yes",
                                            "satisfaction": "satisfied", "note": "界桩已立"})
    client.force_login(w.unit)
    assert client.get(act_url(case, "close")).status_code == 403  # the unit does not close; the county does
    post_ok(client, w.county, case, "close_warning", {"warning_id": open_warning_id(case), "note": "已化解"})
    post_ok(client, w.county, case, "close", {"note": ""})

    case = fresh(case)
    assert (case.status, case.tier, case.holder_unit.name) == (Status.CLOSED, Tier.COUNTY, COUNTY_UNIT)
    kinds = list(CaseEvent.objects.filter(dispute=case).values_list("kind", flat=True))
    assert kinds == ["logged", "referred", "accepted", "assigned", "duty", "warning_raised", "referred", "accepted",
                     "transferred", "transfer_accepted", "duty", "feedback_filed", "feedback_accepted", "visited",
                     "warning_closed", "closed"]
    client.force_login(w.county)
    body = client.get(case.get_absolute_url()).content.decode()
    timeline = body.split("办理过程")[-1]
    for label in ("提请上级", "签收", "落实四定", "三包记录", "发出预警", "移交单位", "单位签收移交", "办理反馈",
                  "审核通过办理反馈", "回访", "解除预警", "结案"):
        assert label in timeline, label
    assert timeline.count("<strong>提请上级</strong>") == 2 and timeline.count("<strong>签收</strong>") == 2
    # Every hop is on the records too: village → town, town → county, county → unit.
    assert [(r.from_division_id, r.to_division_id, r.to_unit_id is not None, r.status)
            for r in case.referrals.order_by("id")] == [
        (VILLAGE_A, TOWN_X, False, "accepted"), (TOWN_X, COUNTY, False, "accepted"),
        (COUNTY, COUNTY, True, "accepted")]
    records = body.split("提请与移交")[1].split("</section>")[0]
    assert "刘山村 → 嘉祥街道" in records and "嘉祥街道 → 嘉祥县" in records and f"→ {COUNTY_UNIT}" in records
