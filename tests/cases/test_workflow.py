"""The transition table and its services: allowed transitions work for the right role and tier; forbidden ones
change nothing and say why."""

import datetime

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import (
    Assignment,
    CaseEvent,
    Dispute,
    DutyLog,
    EarlyWarning,
    Referral,
    ReferralStatus,
    Status,
    Tier,
)
from cases.rules import transitions
from core.errors import Refused
from org.models import Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A

TODAY = timezone.localdate


def snapshot(case):
    case = Dispute.objects.get(pk=case.pk)
    return (case.status, case.tier, case.holder_division_id, case.holder_unit_id, case.version, case.deadline,
            CaseEvent.objects.filter(dispute=case).count(), Referral.objects.filter(dispute=case).count(),
            Assignment.objects.filter(dispute=case).count(), EarlyWarning.objects.filter(dispute=case).count())


def refused(fn, case, match, **kwargs):
    """The action raises (a Refused saying `match`, or DoesNotExist for outsiders) and changes nothing."""
    before = snapshot(case)
    expected = Dispute.DoesNotExist if match is OUTSIDER else Refused
    with pytest.raises(expected, match=None if match is OUTSIDER else match):
        fn(dispute=case, **kwargs)
    assert snapshot(case) == before


OUTSIDER = object()


@pytest.fixture
def town_staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


@pytest.fixture
def at_town(make_case, secretary_a, town_x):
    """A case referred by village A and accepted by town X."""
    case = make_case(secretary_a, VILLAGE_A)
    case_services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    return case_services.accept_referral(actor=town_x, dispute=case)


def assign(town_user, case, staff):
    return case_services.fix_assignment(
        actor=town_user, dispute=case, lead_leader=town_user, responsible_unit=Unit.objects.get(name="嘉祥街道司法所"),
        responsible_person=staff, measures="司法所牵头，村两委配合调解",
    )


@pytest.mark.django_db
def test_village_start_and_resolve_and_close(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    case = case_services.start_handling(actor=secretary_a, dispute=case)
    assert case.status == Status.IN_PROGRESS and case.deadline is not None
    case = case_services.resolve(actor=secretary_a, dispute=case, outcome="success", note="达成口头协议")
    assert case.status == Status.RESOLVED and case.resolved_at
    refused(case_services.close_case, case, "回访或包反馈", actor=secretary_a)
    case_services.record_visit(actor=secretary_a, dispute=case, visited_on=TODAY(), agreement_kept=True,
                          satisfaction="satisfied", relapse_signs=False)
    case = case_services.close_case(actor=secretary_a, dispute=case)
    assert case.status == Status.CLOSED
    kinds = list(CaseEvent.objects.filter(dispute=case).values_list("kind", flat=True))
    assert kinds == ["logged", "started", "resolved", "visited", "closed"]


@pytest.mark.django_db
def test_other_village_and_wrong_state_are_refused(make_case, secretary_a, secretary_b):
    case = make_case(secretary_a, VILLAGE_A)
    refused(case_services.start_handling, case, OUTSIDER, actor=secretary_b)  # outsider: not even visible
    refused(case_services.resolve, case, "已登记", actor=secretary_a, outcome="success")
    refused(case_services.accept_referral, case, "已登记", actor=secretary_a)


@pytest.mark.django_db
def test_refer_accept_moves_the_case_up_keeping_its_number(make_case, secretary_a, town_x, town_y):
    case = make_case(secretary_a, VILLAGE_A)
    number = case.number
    referral = case_services.refer_up(actor=secretary_a, dispute=case, reason="涉及多户，村里调不动")
    assert (referral.from_division_id, referral.to_division_id, referral.to_tier) == (VILLAGE_A, TOWN_X, Tier.TOWN)
    case.refresh_from_db()
    assert case.status == Status.REFERRED and case.tier == Tier.VILLAGE
    refused(case_services.accept_referral, case, OUTSIDER, actor=town_y)  # another town: not visible
    refused(case_services.start_handling, case, "已提请", actor=secretary_a)
    case = case_services.accept_referral(actor=town_x, dispute=case, note="签收，列入本周研判")
    assert (case.number, case.tier, case.holder_division_id, case.status) == (number, Tier.TOWN, TOWN_X,
                                                                               Status.IN_PROGRESS)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    # The village no longer holds it.
    refused(case_services.resolve, case, "不是该案件当前的承办方", actor=secretary_a, outcome="success")


@pytest.mark.django_db
def test_return_needs_a_reason_and_goes_back(make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    case_services.refer_up(actor=secretary_a, dispute=case, reason="调不动")
    refused(case_services.return_referral, case, "退回理由", actor=town_x, reason="  ")
    case = case_services.return_referral(actor=town_x, dispute=case, reason="属村内一般纠纷，请村里继续调解")
    assert (case.status, case.tier, case.holder_division_id) == (Status.IN_PROGRESS, Tier.VILLAGE, VILLAGE_A)
    assert CaseEvent.objects.filter(dispute=case, kind="returned").count() == 1


@pytest.mark.django_db
def test_village_user_cannot_assign_or_warn(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    refused(case_services.raise_warning, case, "承办方", actor=secretary_a, level="red", triggers=["group_petition"],
            reasons="x", submitted_to="town_joint", reassess_on=TODAY())


@pytest.mark.django_db
def test_town_case_needs_feedback_before_resolving(at_town, town_x, town_staff_x):
    assignment = assign(town_x, at_town, town_staff_x)
    case = Dispute.objects.get(pk=at_town.pk)
    assert case.deadline == assignment.deadline
    refused(case_services.resolve, case, "包反馈", actor=town_x, outcome="success")
    case_services.record_duty(actor=town_staff_x, dispute=case, kind="handle", on_date=TODAY(), text="组织双方面对面调解")
    case_services.record_duty(actor=town_staff_x, dispute=case, kind="feedback", on_date=TODAY(), text="向包案领导反馈")
    case = case_services.resolve(actor=town_x, dispute=case, outcome="partial", note="赔偿部分达成")
    assert case.status == Status.RESOLVED
    assert DutyLog.objects.filter(dispute=case).count() == 2


@pytest.mark.django_db
def test_new_assignment_replaces_the_active_one(at_town, town_x, town_staff_x):
    assign(town_x, at_town, town_staff_x)
    assign(town_x, at_town, town_x)
    assert Assignment.objects.filter(dispute=at_town, active=True).count() == 1
    assert Assignment.objects.filter(dispute=at_town).count() == 2


@pytest.mark.django_db
def test_assignment_people_must_belong_to_the_town(at_town, town_x, secretary_c):
    refused(case_services.fix_assignment, at_town, "责任人必须是责任单位", actor=town_x, lead_leader=town_x,
            responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), responsible_person=secretary_c, measures="x")
    refused(case_services.fix_assignment, at_town, "单位", actor=town_x, lead_leader=town_x,
            responsible_unit=Unit.objects.get(name="纸坊镇司法所"), responsible_person=town_x, measures="x")


@pytest.mark.django_db
def test_warning_lifecycle(at_town, town_x):
    warning = case_services.raise_warning(
        actor=town_x, dispute=at_town, level="orange", triggers=["group_petition", "bogus"],
        reasons="涉及12户，扬言集体上访", submitted_to="town_joint", reassess_on=TODAY() + datetime.timedelta(days=7))
    assert warning.triggers == ["group_petition"] and warning.tier == Tier.TOWN
    case_services.reassess_warning(actor=town_x, dispute=at_town, warning_id=warning.pk, level="red",
                              reassess_on=TODAY() + datetime.timedelta(days=3), note="情绪升级")
    case_services.close_warning(actor=town_x, dispute=at_town, warning_id=warning.pk, note="已签订协议")
    refused(case_services.close_warning, at_town, "已解除", actor=town_x, warning_id=warning.pk, note="again")
    kinds = CaseEvent.objects.filter(dispute=at_town, kind__startswith="warning").values_list("kind", flat=True)
    assert list(kinds) == ["warning_raised", "warning_reassessed", "warning_closed"]


@pytest.mark.django_db
def test_county_accepts_and_transfers_and_unit_handles(at_town, town_x, county_user, unit_user, town_staff_x):
    case_services.refer_up(actor=town_x, dispute=at_town, reason="涉及跨镇土地权属，镇街无法化解")
    case = case_services.accept_referral(actor=county_user, dispute=at_town)
    assert (case.tier, case.holder_division_id) == (Tier.COUNTY, COUNTY)
    refused(case_services.transfer_to_unit, case, "县级只能移交", actor=county_user,
            unit=Unit.objects.get(name="嘉祥街道司法所"), reason="x")
    unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    case_services.transfer_to_unit(actor=county_user, dispute=case, unit=unit, reason="涉土纠纷专业调解")
    case.refresh_from_db()
    assert case.holder_unit == unit and case.deadline is not None
    refused(case_services.file_feedback, case, "请先签收", actor=unit_user, outcome="success", text="x")
    case_services.accept_transfer(actor=unit_user, dispute=case)
    case_services.record_duty(actor=unit_user, dispute=case, kind="handle", on_date=TODAY(), text="现场勘验")
    refused(case_services.resolve, case, "不是该案件当前的承办方", actor=unit_user, outcome="success")
    case_services.file_feedback(actor=unit_user, dispute=case, outcome="success", text="双方签订调解协议")
    case = case_services.review_feedback(actor=county_user, dispute=case, accept=True).dispute
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.outcome == "success"
    case_services.record_visit(actor=county_user, dispute=case, visited_on=TODAY(), agreement_kept=True,
                          satisfaction="basic", relapse_signs=False)
    refused(case_services.close_case, case, "不是该案件当前的承办方", actor=unit_user)
    assert case_services.close_case(actor=county_user, dispute=case).status == Status.CLOSED


@pytest.mark.django_db
def test_reject_needs_reason_and_only_from_logged(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    refused(case_services.reject, case, "理由", actor=secretary_a, reason="")
    case = case_services.reject(actor=secretary_a, dispute=case, reason="已进入诉讼程序")
    assert case.status == Status.REJECTED
    refused(case_services.start_handling, case, "不予受理", actor=secretary_a)


@pytest.mark.django_db
def test_reopen_the_original_case_on_relapse(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    case_services.start_handling(actor=secretary_a, dispute=case)
    case_services.resolve(actor=secretary_a, dispute=case, outcome="success")
    case = case_services.reopen(actor=secretary_a, dispute=case, reason="双方再次因排水发生争吵")
    assert (case.status, case.reopen_count, case.outcome, case.resolved_at) == (Status.IN_PROGRESS, 1, "", None)
    assert Dispute.objects.count() == 1


@pytest.mark.django_db
def test_failed_mediation_must_state_the_route(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    case_services.start_handling(actor=secretary_a, dispute=case)
    refused(case_services.resolve, case, "其他解决途径", actor=secretary_a, outcome="failed", note="")
    assert case_services.resolve(actor=secretary_a, dispute=case, outcome="failed",
                            note="已告知可向县法院起诉").outcome == "failed"


@pytest.mark.django_db
def test_allowed_actions_follow_the_table(make_case, secretary_a, town_x, county_user):
    case = make_case(secretary_a, VILLAGE_A)
    assert set(transitions.allowed_actions(secretary_a, case)) == {"start", "refer", "reject", "request_extension"}
    assert transitions.allowed_actions(town_x, case) == []
    case_services.refer_up(actor=secretary_a, dispute=case, reason="x")
    case.refresh_from_db()
    assert set(transitions.allowed_actions(town_x, case)) == {"accept", "return", "warn"}
    assert transitions.allowed_actions(secretary_a, case) == []
    assert transitions.allowed_actions(county_user, case) == []
