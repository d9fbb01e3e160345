"""待办: each queue item makes exactly one notification per recipient in the change's transaction, and finishing the
work clears it; the page lists them newest first with a fixed number of queries; the menu shows the unread count."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cases import services
from notify.models import Notification, NotificationKind
from org.models import Role, Unit
from tests.conftest import TOWN_X, VILLAGE_A

pytestmark = pytest.mark.django_db


def open_items(user, kind=None):
    qs = Notification.objects.filter(recipient=user, done_at__isnull=True)
    return qs.filter(kind=kind) if kind else qs


@pytest.fixture
def staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


def test_a_referral_lands_with_every_town_official_once_and_signing_clears_it(make_case, secretary_a, town_x,
                                                                              staff_x, secretary_b):
    case = make_case(secretary_a, VILLAGE_A)
    services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    for user in (town_x, staff_x):
        (item,) = open_items(user)
        assert item.kind == NotificationKind.REFERRAL and case.number in item.text and item.dispute_id == case.pk
    assert not open_items(secretary_a).exists() and not open_items(secretary_b).exists()
    services.raise_warning(actor=town_x, dispute=case, level="yellow", triggers=["intensify"], reasons="情绪激动",
                           submitted_to="town_joint", reassess_on=timezone.localdate() + datetime.timedelta(days=3))
    assert open_items(town_x, NotificationKind.REFERRAL).count() == 1
    services.accept_referral(actor=town_x, dispute=case)
    assert not open_items(town_x, NotificationKind.REFERRAL).exists()
    assert not open_items(staff_x, NotificationKind.REFERRAL).exists()
    assert Notification.objects.filter(kind=NotificationKind.REFERRAL).exclude(done_at=None).count() == 2


def test_a_returned_referral_lands_with_the_village_until_it_acts(make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    services.return_referral(actor=town_x, dispute=case, reason="请村里先组织调解")
    (item,) = open_items(secretary_a)
    assert item.kind == NotificationKind.RETURNED and "请村里先组织调解" in item.text
    services.refer_up(actor=secretary_a, dispute=case, reason="已组织调解，仍未果")
    assert not open_items(secretary_a, NotificationKind.RETURNED).exists()


def test_a_rolled_back_change_leaves_no_notification(make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
        raise RuntimeError("the request failed after the service")
    assert not Notification.objects.exists()


def test_my_assignment_due_soon_lands_with_both_people_and_resolving_clears_it(make_case, secretary_a, town_x,
                                                                               staff_x):
    case = make_case(secretary_a, VILLAGE_A)
    services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    services.accept_referral(actor=town_x, dispute=case)
    services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_person=staff_x,
                            responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), measures="司法所牵头调解",
                            deadline=timezone.now() + datetime.timedelta(days=1))
    for user in (town_x, staff_x):
        assert open_items(user, NotificationKind.ASSIGNMENT_DUE).count() == 1
    services.record_duty(actor=staff_x, dispute=case, kind="feedback", on_date=timezone.localdate(), text="已调解")
    services.resolve(actor=town_x, dispute=case, outcome="success", note="达成协议")
    assert not open_items(town_x).exists() and not open_items(staff_x).exists()


def test_the_todo_page_lists_newest_first_marks_read_and_the_menu_counts_unread(
        client, make_case, secretary_a, town_x, django_assert_max_num_queries):
    cases = [make_case(secretary_a, VILLAGE_A, title=f"第{i}件") for i in range(12)]
    for case in cases:
        services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    client.force_login(town_x)
    with django_assert_max_num_queries(9):
        body = client.get(reverse("notify:inbox")).content.decode()
    assert body.index("第11件") < body.index("第0件")
    assert 'aria-label="12条未读"' in body
    item = open_items(town_x).get(dispute=cases[0])
    response = client.get(reverse("notify:open", args=[item.pk]))
    assert response.status_code == 302 and response["Location"] == cases[0].get_absolute_url()
    item.refresh_from_db()
    assert item.read_at is not None
    client.post(reverse("notify:read_all"))
    assert not open_items(town_x).filter(read_at=None).exists()
    assert "条未读" not in client.get(reverse("notify:inbox")).content.decode()


def test_another_users_item_is_not_found(client, make_case, secretary_a, town_x, secretary_b):
    case = make_case(secretary_a, VILLAGE_A)
    services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    item = open_items(town_x).get()
    client.force_login(secretary_b)
    assert client.get(reverse("notify:open", args=[item.pk])).status_code == 404
