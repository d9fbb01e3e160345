"""Who sees which case: one selector feeds every list; one access helper loads every case (DESIGN.md §7)."""

import pytest
from django.urls import reverse

from cases.models import Dispute, Status, Tier
from cases.selectors import cases_visible_to
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C


@pytest.fixture
def three_villages(make_case, secretary_a, secretary_b, secretary_c):
    return {
        "a": make_case(secretary_a, VILLAGE_A, title="刘山村的纠纷"),
        "b": make_case(secretary_b, VILLAGE_B, title="唐庄村的纠纷"),
        "c": make_case(secretary_c, VILLAGE_C, title="东纸坊村的纠纷"),
    }


def case_urls(case):
    return [reverse("cases:detail", args=[case.number]), reverse("cases:edit", args=[case.number])]


@pytest.mark.django_db
def test_village_secretary_gets_404_on_every_url_of_another_village(client, secretary_a, three_villages):
    client.force_login(secretary_a)
    for key in ("b", "c"):
        for url in case_urls(three_villages[key]):
            assert client.get(url).status_code == 404, url
            assert client.post(url, {"title": "x"}).status_code in (404, 405), url
    for url in case_urls(three_villages["a"]):
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_edit_post_to_another_village_changes_nothing(client, secretary_a, three_villages):
    client.force_login(secretary_a)
    case_b = three_villages["b"]
    response = client.post(reverse("cases:edit", args=[case_b.number]), {"title": "改掉", "version": 1})
    assert response.status_code == 404
    case_b.refresh_from_db()
    assert case_b.title == "唐庄村的纠纷" and case_b.version == 1


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?q=纠纷", "?q=唐庄", "?status=logged", "?division=370829001212",
                                   "?division=370829001000", "?division=370829101000", "?q=JX-"])
def test_lists_and_filters_never_show_another_village(client, secretary_a, three_villages, query):
    client.force_login(secretary_a)
    body = client.get(reverse("cases:list") + query).content.decode()
    assert three_villages["b"].number not in body and three_villages["c"].number not in body
    if query in ("", "?q=纠纷", "?status=logged"):
        assert three_villages["a"].number in body


@pytest.mark.django_db
def test_town_user_sees_both_villages_and_not_the_other_town(client, town_x, three_villages):
    client.force_login(town_x)
    body = client.get(reverse("cases:list")).content.decode()
    assert three_villages["a"].number in body and three_villages["b"].number in body
    assert three_villages["c"].number not in body
    assert client.get(three_villages["c"].get_absolute_url()).status_code == 404
    assert client.get(three_villages["b"].get_absolute_url()).status_code == 200
    only_b = client.get(reverse("cases:list") + f"?division={VILLAGE_B}").content.decode()
    assert three_villages["b"].number in only_b and three_villages["a"].number not in only_b


@pytest.mark.django_db
def test_division_filter_offers_only_divisions_inside_the_jurisdiction(client, town_x, three_villages):
    client.force_login(town_x)
    f = client.get(reverse("cases:list")).context["filter"]
    codes = set(f.filters["division"].queryset.values_list("code", flat=True))
    assert VILLAGE_A in codes and VILLAGE_B in codes and VILLAGE_C not in codes
    assert all(code.startswith("370829001") for code in codes)


@pytest.mark.django_db
def test_the_county_centre_reads_every_case_of_the_county(client, county_user, make_case, secretary_a, three_villages):
    escalated = make_case(secretary_a, VILLAGE_A, title="上报到县的纠纷", tier=Tier.COUNTY, status=Status.IN_PROGRESS)
    everything = Dispute.objects.all()  # every case of the test database lies in 嘉祥县
    assert cases_visible_to(county_user).count() == everything.count() == 4
    client.force_login(county_user)
    body = client.get(reverse("cases:list")).content.decode()
    assert "共 4 条" in body
    village_case = three_villages["a"]
    assert client.get(village_case.get_absolute_url()).status_code == 200
    # It reads, but acts only where the workflow gives it a position: not on a case its village holds …
    assert client.get(reverse("cases:act", args=[village_case.number, "start"])).status_code == 403
    assert client.get(reverse("cases:edit", args=[village_case.number])).status_code == 403
    # … and on the county's own case it works but does not edit the village's basic record.
    assert client.get(escalated.get_absolute_url()).status_code == 200
    assert client.get(reverse("cases:edit", args=[escalated.number])).status_code == 403


@pytest.mark.django_db
def test_administrator_and_auditor_see_no_case_content(client, sysadmin, auditor, three_villages):
    for user in (sysadmin, auditor):
        assert not cases_visible_to(user).exists()
        client.force_login(user)
        assert client.get(three_villages["a"].get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_user_without_membership_sees_nothing(client, django_user_model, three_villages):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get(reverse("cases:list")).status_code == 200
    assert not cases_visible_to(user).exists()
    assert client.get(three_villages["a"].get_absolute_url()).status_code == 404
    assert "尚未分配岗位" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_unknown_case_number_is_404(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(reverse("cases:detail", args=["JX-2026-999999"])).status_code == 404
    assert Dispute.objects.count() == 0
