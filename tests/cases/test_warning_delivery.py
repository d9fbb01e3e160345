"""A warning 报送 the county (or the town leadership) reaches its recipient: queue, 待办, agenda, case page;
签收 and 批示/回复 on the timeline; an unanswered one turns overdue at its reply deadline."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import CaseEvent, EarlyWarning, Status, Tier
from cases.services import supervision as sup
from core.errors import Forbidden
from meetings import agenda
from meetings import services as meeting_services
from notify.models import Notification
from org.models import Role
from tests.conftest import TOWN_X, VILLAGE_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def town_case(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="二十户联名上访苗头")


def red_to_county(case, town_x):
    return services.raise_warning(actor=town_x, dispute=case, level="red", triggers=["group_petition"],
                                  reasons="二十余户联名，扬言到县上访", submitted_to="county",
                                  reassess_on=timezone.localdate() + datetime.timedelta(days=2))


def test_a_red_warning_to_the_county_reaches_the_county_centre(client, town_case, town_x, county_user):
    warning = red_to_county(town_case, town_x)
    assert (warning.recipient_tier, warning.recipient_division_id) == (Tier.COUNTY, "370829000000")
    assert datetime.timedelta(hours=23, minutes=59) < warning.respond_by - warning.raised_at <= datetime.timedelta(
        hours=24)
    client.force_login(county_user)
    inbox = client.get(reverse("warnings:inbox")).content.decode()
    assert town_case.number in inbox and "待签收" in inbox
    (item,) = Notification.objects.filter(recipient=county_user, kind="warning", done_at=None)
    assert town_case.number in item.text
    assert client.get(town_case.get_absolute_url()).status_code == 200
    meeting = meeting_services.open_meeting(actor=county_user, held_on=timezone.localdate(), place="县综治中心",
                                            form="room")[0]
    assert town_case.pk in {i.dispute.pk for i in agenda.assemble(meeting).items}


def test_sign_and_answer_are_on_the_timeline_and_clear_the_queue(client, town_case, town_x, county_user):
    warning = red_to_county(town_case, town_x)
    client.force_login(county_user)
    client.post(reverse("warnings:sign", args=[warning.pk]))
    warning.refresh_from_db()
    assert warning.signed_by == county_user and warning.signed_at
    assert Notification.objects.filter(recipient=county_user, kind="warning", done_at=None).count() == 1
    response = client.post(reverse("warnings:answer", args=[warning.pk]), {"reply": ""})
    assert response.status_code == 302
    warning.refresh_from_db()
    assert warning.replied_at is None  # an empty answer is refused
    client.post(reverse("warnings:answer", args=[warning.pk]), {"reply": "请嘉祥街道主要领导包案，三日内化解"})
    warning.refresh_from_db()
    assert warning.reply == "请嘉祥街道主要领导包案，三日内化解" and warning.replied_by == county_user
    kinds = list(CaseEvent.objects.filter(dispute=town_case).values_list("kind", flat=True))
    assert kinds[-2:] == ["warning_signed", "warning_answered"]
    assert not Notification.objects.filter(recipient=county_user, kind="warning", done_at=None).exists()
    meeting = meeting_services.open_meeting(actor=county_user, held_on=timezone.localdate(), place="县综治中心",
                                            form="room")[0]
    assert town_case.pk not in {i.dispute.pk for i in agenda.assemble(meeting).items}  # answered: off the agenda
    client.force_login(town_x)
    assert "请嘉祥街道主要领导包案" in client.get(town_case.get_absolute_url()).content.decode()


def test_only_the_recipient_signs_or_answers(client, town_case, town_x, county_user, make_user):
    warning = red_to_county(town_case, town_x)
    with pytest.raises(Forbidden):
        services.sign_warning(actor=town_x, dispute=town_case, warning_id=warning.pk)
    client.force_login(town_x)
    assert client.post(reverse("warnings:sign", args=[warning.pk])).status_code == 403
    other_town = make_user(Role.TOWN_LEADER, "370829101000", username="town_y_leader")
    client.force_login(other_town)
    assert client.post(reverse("warnings:answer", args=[warning.pk]), {"reply": "x"}).status_code == 404
    assert EarlyWarning.objects.get(pk=warning.pk).signed_at is None


def test_a_warning_to_the_town_joint_meeting_reaches_the_town_leaders_only(town_case, town_x, make_user, county_user):
    staff = make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")
    warning = services.raise_warning(actor=town_x, dispute=town_case, level="orange", triggers=["intensify"],
                                     reasons="双方冲突升级", submitted_to="town_joint",
                                     reassess_on=timezone.localdate() + datetime.timedelta(days=3))
    assert warning.recipient_division_id == TOWN_X
    assert Notification.objects.filter(recipient=town_x, kind="warning", done_at=None).exists()
    assert not Notification.objects.filter(recipient=staff, kind="warning").exists()
    assert datetime.timedelta(hours=71) < warning.respond_by - warning.raised_at <= datetime.timedelta(hours=72)


def test_an_unanswered_red_warning_is_overdue_after_24_hours_once(town_case, town_x):
    warning = red_to_county(town_case, town_x)
    with time_machine.travel(warning.raised_at + datetime.timedelta(hours=23), tick=False):
        assert sup.sweep().warnings_overdue == []
    with time_machine.travel(warning.raised_at + datetime.timedelta(hours=25), tick=False):
        assert sup.sweep().warnings_overdue == [town_case.number]
        assert sup.sweep().warnings_overdue == []
    event = CaseEvent.objects.get(dispute=town_case, kind="warning_overdue")
    assert "超过回复时限" in event.note


def test_the_recipients_queue_costs_the_same_queries_with_many_warnings(client, make_case, secretary_a, town_x,
                                                                         county_user, django_assert_max_num_queries):
    def load():
        client.force_login(county_user)
        with django_assert_max_num_queries(9):  # session, user, membership, 待办 badge, count, rows (+ slack)
            return client.get(reverse("warnings:inbox")).content.decode()

    red_to_county(make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS), town_x)
    assert load().count('class="warning-row level') == 1
    for _ in range(12):
        red_to_county(make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS), town_x)
    assert load().count('class="warning-row level') == 13
