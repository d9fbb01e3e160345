"""List and detail pages cost a fixed number of queries, however many rows, parties or events there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.models import Dispute
from tests.conftest import VILLAGE_A, VILLAGE_B, party_row

LIST_BUDGET = 9  # session, user, membership, 待办 badge, capped count, page rows, parties prefetch, division choices + slack


def many_cases(make_case, actor, village, n):
    first = make_case(actor, village)
    # Clone rows cheaply: the list only needs rows and parties, not n service calls.
    rows = []
    for i in range(n - 1):
        clone = Dispute.objects.get(pk=first.pk)
        clone.pk = None
        clone.number = f"{first.number}-{i}"
        rows.append(clone)
    created = Dispute.objects.bulk_create(rows)
    from cases.models import Party
    Party.objects.bulk_create([Party(dispute=d, **party_row(f"当事人{d.pk}")) for d in created])
    return first


def count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?q=当事人&risk=blue", "?page=2", "?order=-deadline&division=370829001209"])
def test_list_query_count_is_the_same_with_50_and_500_cases(client, make_case, town_x, secretary_a, secretary_b,
                                                            query):
    client.force_login(town_x)
    many_cases(make_case, secretary_a, VILLAGE_A, 25)
    many_cases(make_case, secretary_b, VILLAGE_B, 25)
    small, _ = count_queries(client, reverse("cases:list") + query)
    many_cases(make_case, secretary_a, VILLAGE_A, 450)
    large, ctx = count_queries(client, reverse("cases:list") + query)
    assert small == large <= LIST_BUDGET, [q["sql"] for q in ctx.captured_queries]
    assert not any("DISTINCT" in q["sql"].upper() for q in ctx.captured_queries)


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_parties_or_events(client, make_case, secretary_a):
    client.force_login(secretary_a)
    case = make_case(secretary_a, VILLAGE_A)
    small, _ = count_queries(client, case.get_absolute_url())
    from cases.models import Party
    Party.objects.bulk_create([Party(dispute=case, **party_row(f"人{i}")) for i in range(30)])
    for i in range(20):
        case = services.update_dispute(actor=secretary_a, dispute=case, version=case.version,
                                       fields={"title": f"标题{i}"}, risk="blue")
    large, _ = count_queries(client, case.get_absolute_url())
    assert small == large


@pytest.mark.django_db
def test_home_dashboard_query_count_is_fixed(client, make_case, secretary_a):
    client.force_login(secretary_a)
    many_cases(make_case, secretary_a, VILLAGE_A, 10)
    small, _ = count_queries(client, reverse("home"))
    many_cases(make_case, secretary_a, VILLAGE_A, 200)
    large, _ = count_queries(client, reverse("home"))
    assert small == large


@pytest.mark.django_db
def test_deep_page_is_clamped_with_a_message(client, make_case, secretary_a, settings):
    settings.CASE_LIST_MAX_PAGES = 3
    client.force_login(secretary_a)
    many_cases(make_case, secretary_a, VILLAGE_A, 120)
    body = client.get(reverse("cases:list") + "?page=99").content.decode()
    assert "页码过深" in body and "第 3 页" in body
    assert client.get(reverse("cases:list") + "?page=abc").status_code == 200
