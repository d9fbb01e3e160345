"""待签收 (cases:inbox): pending referrals addressed to the user's town, or to the county for the county centre."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Dispute, Referral, ReferralKind, Tier
from org.models import Division, Role
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, VILLAGE_C

BUDGET = 6  # session, user, membership, capped count, page rows (+1 slack)


def refer(case, actor, reason="村里调不动"):
    return case_services.refer_up(actor=actor, dispute=case, reason=reason)


def many_pending(make_case, secretary_a, n):
    """n cases of village A each waiting for town X (one pending referral per case), made in bulk."""
    first = make_case(secretary_a, VILLAGE_A)
    clones = []
    for i in range(n):
        clone = Dispute.objects.get(pk=first.pk)
        clone.pk, clone.number, clone.status = None, f"{first.number}-{i}", "referred"
        clones.append(clone)
    village, town = Division.objects.get(code=VILLAGE_A), Division.objects.get(code=TOWN_X)
    Referral.objects.bulk_create([
        Referral(dispute=d, kind=ReferralKind.REFER, from_tier=Tier.VILLAGE, from_division=village, to_tier=Tier.TOWN,
                 to_division=town, reason=f"理由{d.pk}", created_by=secretary_a)
        for d in Dispute.objects.bulk_create(clones)
    ])


@pytest.mark.django_db
def test_town_sees_referrals_from_its_villages_with_reason_and_waiting_time(client, make_case, secretary_a,
                                                                            secretary_c, town_x):
    waiting = make_case(secretary_a, VILLAGE_A, title="等待签收的纠纷")
    referral = refer(waiting, secretary_a, "双方分歧大，需镇街协调")
    Referral.objects.filter(pk=referral.pk).update(created_at=timezone.now() - datetime.timedelta(days=3, hours=2))
    accepted = make_case(secretary_a, VILLAGE_A, title="已经签收的纠纷")
    refer(accepted, secretary_a)
    case_services.accept_referral(actor=town_x, dispute=accepted)
    other_town = make_case(secretary_c, VILLAGE_C, title="纸坊镇的提请")
    refer(other_town, secretary_c)

    client.force_login(town_x)
    body = client.get(reverse("cases:inbox")).content.decode()
    assert "等待签收的纠纷" in body and "双方分歧大，需镇街协调" in body
    assert "来自 刘山村" in body and "已等待 3 天" in body
    assert reverse("cases:act", args=[waiting.number, "accept"]) in body
    assert reverse("cases:act", args=[waiting.number, "return"]) in body
    assert "已经签收的纠纷" not in body and "纸坊镇的提请" not in body


@pytest.mark.django_db
def test_county_sees_what_towns_referred_and_towns_do_not(client, make_case, secretary_a, town_x, make_user,
                                                          county_user):
    case = make_case(secretary_a, VILLAGE_A, title="提请到县的纠纷")
    refer(case, secretary_a)
    case_services.accept_referral(actor=town_x, dispute=case)
    refer(case, town_x, "涉及县直部门")

    client.force_login(county_user)
    body = client.get(reverse("cases:inbox")).content.decode()
    assert "提请到县的纠纷" in body and "来自 嘉祥街道" in body and "涉及县直部门" in body
    assert client.get(reverse("cases:act", args=[case.number, "accept"])).status_code == 200

    staff = make_user(Role.TOWN_STAFF, TOWN_X)  # town staff have an inbox too, but this one is the county's
    for user in (town_x, staff):
        client.force_login(user)
        response = client.get(reverse("cases:inbox"))
        assert response.status_code == 200 and "提请到县的纠纷" not in response.content.decode()


@pytest.mark.django_db
def test_after_accepting_the_referral_leaves_the_inbox(client, make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A, title="刚提请的纠纷")
    refer(case, secretary_a)
    client.force_login(town_x)
    assert "刚提请的纠纷" in client.get(reverse("cases:inbox")).content.decode()
    client.post(reverse("cases:act", args=[case.number, "accept"]), {"note": ""})
    assert "刚提请的纠纷" not in client.get(reverse("cases:inbox")).content.decode()


@pytest.mark.django_db
def test_empty_state(client, town_y):
    client.force_login(town_y)
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 200 and "没有待签收的提请" in response.content.decode()


@pytest.mark.django_db
def test_other_roles_get_403(client, secretary_a, unit_user, auditor, sysadmin, make_user):
    county_discipline = make_user(Role.DISCIPLINE, COUNTY)
    for user in (secretary_a, auditor, sysadmin, county_discipline):
        client.force_login(user)
        response = client.get(reverse("cases:inbox"))
        assert response.status_code == 403, user
        assert "只有镇街、县社会治理协调中心和责任单位的工作人员有待签收事项" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_goes_to_login(client):
    response = client.get(reverse("cases:inbox"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_oldest_first_and_paginated(client, settings, make_case, secretary_a, town_x):
    settings.CASE_LIST_PAGE_SIZE = 4
    many_pending(make_case, secretary_a, 9)
    client.force_login(town_x)
    first = client.get(reverse("cases:inbox"))
    rows = first.context["page"].rows
    assert len(rows) == 4 and "下一页" in first.content.decode()
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
    assert len(client.get(reverse("cases:inbox") + "?page=3").context["page"].rows) == 1


@pytest.mark.django_db
def test_query_count_is_fixed_however_many_rows(client, make_case, secretary_a, town_x,
                                                django_assert_max_num_queries):
    client.force_login(town_x)
    many_pending(make_case, secretary_a, 2)
    with django_assert_max_num_queries(BUDGET) as small:
        client.get(reverse("cases:inbox"))
    many_pending(make_case, secretary_a, 80)
    with django_assert_max_num_queries(BUDGET) as large:
        response = client.get(reverse("cases:inbox"))
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(response.context["page"].rows) == 25
