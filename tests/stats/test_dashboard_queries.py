"""The dashboard's query count does not grow with data: a budget asserted with 5,000 cases (issue 10)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Dispute

BUDGET = 30  # session, user, membership, menu badge, scope, ~20 figure queries; independent of the number of cases


def dashboard_queries(client, query=""):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("stats:dashboard") + query)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_dashboard_query_count_is_fixed_with_5000_cases(client, county_user, town_x):
    client.force_login(county_user)
    empty = dashboard_queries(client, "?period=year")
    call_command("seed_benchmark", cases=5000, seed=11, batch=2500, weeks=40, stdout=io.StringIO())
    assert Dispute.objects.count() >= 5000
    for query in ("?period=year", "?period=month", "?period=year&division=370829001000"):
        full = dashboard_queries(client, query)
        assert full <= BUDGET and full <= empty + 2, query
    client.force_login(town_x)
    assert dashboard_queries(client, "?period=year") <= BUDGET
