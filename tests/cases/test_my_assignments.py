"""我的包案 (cases:mine): the active 四定 where the user is lead leader or responsible person."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Assignment, Dispute, Status, Tier
from cases.rules.deadlines import end_of_day
from org.models import Role, Unit
from org.people import person_for
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_C

UNIT = "嘉祥街道司法所"
BUDGET = 7  # session, user, membership, capped count, page rows, their 三包 duties (+1 slack)


def day(offset):
    return end_of_day(timezone.localdate() + datetime.timedelta(days=offset))


@pytest.fixture
def staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


@pytest.fixture
def town_case(make_case, secretary_a):
    def make(title, *, status=Status.IN_PROGRESS, village=VILLAGE_A):
        return make_case(secretary_a, village, tier=Tier.TOWN, status=status, title=title)
    return make


def assign(case, *, lead, person, deadline, active=True):
    return Assignment.objects.create(
        dispute=case, tier=Tier.TOWN, lead_leader=person_for(lead), responsible_person=person_for(person),
        deadline=deadline, active=active,
        responsible_unit=Unit.objects.get(name=UNIT), measures="调解", created_by=lead,
    )


def many(town_case, n, *, lead, person):
    """n cases with an active assignment each, cloned in bulk (the page only reads rows)."""
    first = town_case("批量纠纷")
    clones = []
    for i in range(n):
        clone = Dispute.objects.get(pk=first.pk)
        clone.pk, clone.number = None, f"{first.number}-{i}"
        clones.append(clone)
    unit = Unit.objects.get(name=UNIT)
    Assignment.objects.bulk_create([
        Assignment(dispute=d, tier=Tier.TOWN, lead_leader=person_for(lead), responsible_person=person_for(person),
                   responsible_unit=unit,
                   measures="调解", deadline=day(i % 9 - 4), created_by=lead)
        for i, d in enumerate(Dispute.objects.bulk_create(clones))
    ])


@pytest.mark.django_db
def test_lists_my_active_assignments_nearest_deadline_first_with_a_clock(client, town_case, town_x, staff_x):
    soon = town_case("五天后到期")
    assign(soon, lead=town_x, person=staff_x, deadline=day(5))
    overdue = town_case("已经逾期")
    assign(overdue, lead=staff_x, person=town_x, deadline=day(-2))
    today = town_case("今天到期的")
    assign(today, lead=town_x, person=staff_x, deadline=day(0))
    resolved = town_case("已化解待回访", status=Status.RESOLVED)
    assign(resolved, lead=town_x, person=staff_x, deadline=day(-10))
    others = town_case("别人的包案")
    assign(others, lead=town_x, person=town_x, deadline=day(1))
    stale = town_case("已失效的四定")
    assign(stale, lead=town_x, person=staff_x, deadline=day(1), active=False)
    closed = town_case("已结案的", status=Status.CLOSED)
    assign(closed, lead=town_x, person=staff_x, deadline=day(1))

    client.force_login(staff_x)
    body = client.get(reverse("cases:mine")).content.decode()
    titles = [t for t in ("已化解待回访", "已经逾期", "今天到期的", "五天后到期") if t in body]
    assert titles == ["已化解待回访", "已经逾期", "今天到期的", "五天后到期"]
    assert sorted(titles, key=body.index) == titles  # nearest deadline first
    for absent in ("别人的包案", "已失效的四定", "已结案的"):
        assert absent not in body
    assert "超期2天" in body and "今日到期" in body and "剩5天" in body
    assert "超期10天" not in body  # a resolved case is not on the clock any more
    assert 'status-resolved">已化解<' in body and 'status-in_progress">调处中<' in body
    row = body.split("已经逾期")[1].split("</li>")[0]
    assert "包案领导" in row and "责任人" not in row


@pytest.mark.django_db
def test_an_assignment_made_through_the_service_appears_for_both_people(client, make_case, secretary_a, town_x,
                                                                        staff_x):
    case = make_case(secretary_a, VILLAGE_A)
    case_services.refer_up(actor=secretary_a, dispute=case, reason="调不动")
    case = case_services.accept_referral(actor=town_x, dispute=case)
    case_services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_person=staff_x,
                            responsible_unit=Unit.objects.get(name=UNIT), measures="司法所牵头")
    for user, role in ((town_x, "包案领导"), (staff_x, "责任人")):
        client.force_login(user)
        body = client.get(reverse("cases:mine")).content.decode()
        assert case.number in body and role in body and "剩" in body


@pytest.mark.django_db
def test_only_cases_within_the_users_jurisdiction(client, town_case, town_x, staff_x):
    """A 四定 can only name people of the holding town; a row that says otherwise still reveals nothing."""
    elsewhere = town_case("纸坊镇的纠纷", village=VILLAGE_C)
    assign(elsewhere, lead=staff_x, person=staff_x, deadline=day(3))
    client.force_login(staff_x)
    assert "纸坊镇的纠纷" not in client.get(reverse("cases:mine")).content.decode()


@pytest.mark.django_db
def test_empty_state(client, staff_x):
    client.force_login(staff_x)
    response = client.get(reverse("cases:mine"))
    assert response.status_code == 200
    assert "目前没有您包案或负责的纠纷" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_goes_to_login(client):
    response = client.get(reverse("cases:mine"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_pagination(client, settings, town_case, town_x, staff_x):
    settings.CASE_LIST_PAGE_SIZE = 5
    many(town_case, 12, lead=town_x, person=staff_x)
    client.force_login(staff_x)
    first = client.get(reverse("cases:mine"))
    assert len(first.context["page"].rows) == 5 and "下一页" in first.content.decode()
    last = client.get(reverse("cases:mine") + "?page=3")
    assert len(last.context["page"].rows) == 2 and "上一页" in last.content.decode()
    deadlines = [a.deadline for a in first.context["page"].rows]
    assert deadlines == sorted(deadlines)


@pytest.mark.django_db
def test_query_count_is_fixed_however_many_rows(client, town_case, town_x, staff_x, django_assert_max_num_queries):
    client.force_login(staff_x)
    many(town_case, 3, lead=town_x, person=staff_x)
    with django_assert_max_num_queries(BUDGET) as small:
        client.get(reverse("cases:mine"))
    many(town_case, 80, lead=staff_x, person=staff_x)
    with django_assert_max_num_queries(BUDGET) as large:
        response = client.get(reverse("cases:mine"))
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(response.context["page"].rows) == 25
