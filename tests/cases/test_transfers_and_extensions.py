"""Units close the loop (签收 within their clock, 退回 with a reason, 办理反馈 → 审核) and extensions (once per
deadline, decided by the tier above; the sweep follows the new deadline)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import CaseEvent, ClockMark, Dispute, Referral, ReferralStatus, Status, Supervision
from cases.services import supervision as sup
from core.errors import Refused
from notify.models import Notification
from org.models import Unit
from tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db
COUNTY_UNIT = "县涉土纠纷人民调解委员会"


@pytest.fixture
def at_county(make_case, secretary_a):
    from cases.models import Tier

    return make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS)


def transfer(case, county_user, **kwargs):
    services.transfer_to_unit(actor=county_user, dispute=case, unit=Unit.objects.get(name=COUNTY_UNIT),
                              reason="涉土专业调解", **kwargs)
    return Referral.objects.filter(dispute=case, kind="transfer").latest("id")


def test_a_transfer_waits_for_the_units_sign_for_within_one_working_day(at_county, county_user, unit_user, client):
    r = transfer(at_county, county_user)
    assert r.status == ReferralStatus.PENDING and r.sign_by > timezone.now()
    assert (r.sign_by - timezone.now()) <= datetime.timedelta(days=4)  # one working day (a weekend at most between)
    client.force_login(unit_user)
    inbox = client.get(reverse("cases:inbox")).content.decode()
    assert at_county.number in inbox and "新移交" in inbox
    assert Notification.objects.filter(recipient=unit_user, kind="transfer", done_at=None).count() == 1
    services.accept_transfer(actor=unit_user, dispute=at_county)
    assert at_county.number not in client.get(reverse("cases:inbox")).content.decode()
    assert not Notification.objects.filter(recipient=unit_user, kind="transfer", done_at=None).exists()


def test_a_unit_sends_a_misrouted_transfer_back_with_its_reason(at_county, county_user, unit_user):
    transfer(at_county, county_user)
    with pytest.raises(Refused, match="退回理由"):
        services.return_transfer(actor=unit_user, dispute=at_county, reason=" ")
    services.return_transfer(actor=unit_user, dispute=at_county, reason="属于林权纠纷，建议交县林业局")
    case = Dispute.objects.get(pk=at_county.pk)
    assert case.holder_unit_id is None and case.tier == "county" and case.status == Status.IN_PROGRESS
    event = CaseEvent.objects.filter(dispute=case, kind="transfer_returned").get()
    assert "建议交县林业局" in event.note
    (item,) = Notification.objects.filter(recipient=county_user, kind="transfer_returned", done_at=None)
    assert "退回移交" in item.text
    with pytest.raises(Dispute.DoesNotExist):  # the unit no longer sees the case
        services.accept_transfer(actor=unit_user, dispute=case)
    transfer(case, county_user)  # re-routed: the returned item is done
    assert not Notification.objects.filter(recipient=county_user, kind="transfer_returned", done_at=None).exists()


def test_feedback_then_review_accept_resolves_and_send_back_returns_it_to_the_unit(at_county, county_user, unit_user):
    transfer(at_county, county_user)
    services.accept_transfer(actor=unit_user, dispute=at_county)
    services.file_feedback(actor=unit_user, dispute=at_county, outcome="success", text="现场勘界，签订调解协议")
    with pytest.raises(Refused, match="等待审核"):
        services.file_feedback(actor=unit_user, dispute=at_county, outcome="success", text="再报一次")
    assert Notification.objects.filter(recipient=county_user, kind="feedback", done_at=None).count() == 1
    with pytest.raises(Refused, match="写明理由"):
        services.review_feedback(actor=county_user, dispute=at_county, accept=False, note="")
    services.review_feedback(actor=county_user, dispute=at_county, accept=False, note="协议未写明履行期限，请补充")
    case = Dispute.objects.get(pk=at_county.pk)
    assert case.status == Status.IN_PROGRESS and case.holder_unit.name == COUNTY_UNIT
    assert not Notification.objects.filter(recipient=county_user, kind="feedback", done_at=None).exists()
    services.file_feedback(actor=unit_user, dispute=case, outcome="success", text="已补充履行期限")
    services.review_feedback(actor=county_user, dispute=case, accept=True, note="同意")
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.RESOLVED, "success")
    kinds = list(CaseEvent.objects.filter(dispute=case).values_list("kind", flat=True))[-5:]
    assert kinds == ["transfer_accepted", "feedback_filed", "feedback_returned", "feedback_filed",
                     "feedback_accepted"]


def test_a_second_lead_unit_is_a_named_reassignment_and_an_assisting_unit_is_named_too(at_county, county_user):
    first = transfer(at_county, county_user)
    second_unit = Unit.objects.filter(division_id=at_county.holder_division_id, kind="mediation").exclude(
        name=COUNTY_UNIT).first()
    services.transfer_to_unit(actor=county_user, dispute=at_county, unit=second_unit, reason="改由医患调委会办理")
    first.refresh_from_db()
    assert first.ended_at is not None
    event = CaseEvent.objects.filter(dispute=at_county, kind="transferred").latest("id")
    assert "改派" in event.note and second_unit.name in event.note
    services.transfer_to_unit(actor=county_user, dispute=at_county, unit=Unit.objects.get(name=COUNTY_UNIT),
                              reason="涉土部分协助", mode="assist")
    event = CaseEvent.objects.filter(dispute=at_county, kind="transferred").latest("id")
    assert event.new_value == "assist" and "协办" in event.note
    with pytest.raises(Refused, match="不能重复移交"):
        services.transfer_to_unit(actor=county_user, dispute=at_county, unit=second_unit, reason="再次移交")


def test_an_approved_extension_moves_the_deadline_and_the_sweep_follows_it(make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    case = services.start_handling(actor=secretary_a, dispute=case)
    old = case.deadline
    extension = services.request_extension(actor=secretary_a, dispute=case, reason="当事人外出务工，下周返乡")
    assert extension.approver_division_id == case.village.parent_id and extension.days == 7
    assert Notification.objects.filter(recipient=town_x, kind="extension", done_at=None).count() == 1
    with pytest.raises(Refused, match="只能申请一次"):
        services.request_extension(actor=secretary_a, dispute=case, reason="再申请一次")
    with pytest.raises(Refused, match="不是该案件当前的承办方|不能审批延期"):
        services.decide_extension(actor=secretary_a, dispute=case, approve=True)
    services.decide_extension(actor=town_x, dispute=case, approve=True, note="同意")
    case.refresh_from_db()
    assert case.deadline == extension.new_deadline > old
    assert not Notification.objects.filter(recipient=town_x, kind="extension", done_at=None).exists()
    # After the old deadline, the sweep sees nothing overdue; after the new one, it opens supervision.
    with time_machine.travel(old + datetime.timedelta(hours=2), tick=False):
        assert sup.sweep().overdue == []
    with time_machine.travel(case.deadline + datetime.timedelta(hours=2), tick=False):
        report = sup.sweep()
    assert report.overdue == [case.number]
    assert ClockMark.objects.filter(dispute=case, kind="overdue", deadline=case.deadline).exists()
    assert Supervision.objects.get(dispute=case).missed_deadline == case.deadline


def test_a_refused_extension_keeps_the_deadline_and_cannot_be_asked_again(make_case, secretary_a, town_x):
    case = services.start_handling(actor=secretary_a, dispute=make_case(secretary_a, VILLAGE_A))
    services.request_extension(actor=secretary_a, dispute=case, reason="需要补充证据")
    with pytest.raises(Refused, match="写明理由"):
        services.decide_extension(actor=town_x, dispute=case, approve=False)
    services.decide_extension(actor=town_x, dispute=case, approve=False, note="证据已齐备，按期办结")
    case.refresh_from_db()
    assert case.extensions.get().status == "refused"
    with pytest.raises(Refused, match="只能申请一次"):
        services.request_extension(actor=secretary_a, dispute=case, reason="再试一次")


def test_the_units_inbox_costs_the_same_queries_with_many_transfers(client, make_case, secretary_a, county_user,
                                                                    unit_user, django_assert_max_num_queries):
    from cases.models import Tier

    def load():
        client.force_login(unit_user)
        with django_assert_max_num_queries(9):  # session, user, membership, 待办 badge, count, rows (+ slack)
            return client.get(reverse("cases:inbox")).content.decode()

    transfer(make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS), county_user)
    assert load().count('class="case-row"') == 1
    for _ in range(12):
        transfer(make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS), county_user)
    assert load().count('class="case-row"') == 13
