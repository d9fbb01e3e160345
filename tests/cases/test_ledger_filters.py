"""The ledger's statistics filters (issue 10): forged extremes are answered, never a 500."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("query", [
    "?logged_to=9999-12-31", "?logged_from=0001-01-01", "?resolved_to=9999-12-31&resolved_from=0001-01-01",
    "?unit=9223372036854799999", "?leader=-5", "?warning=purple", "?trigger=x", "?reopened=maybe",
    "?status=counted&outcome=success&division=370829001000",
])
def test_extreme_filter_values_are_answered(client, county_user, query):
    client.force_login(county_user)
    response = client.get(reverse("cases:list") + query)
    assert response.status_code == 200
    assert "共" in response.content.decode()
