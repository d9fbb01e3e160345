"""The ledger's statistics filters (issue 10): forged extremes are answered, never a 500."""

import pytest
from django.urls import reverse

from tests.conftest import TOWN_X, TOWN_Y


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


@pytest.mark.django_db
def test_each_filter_form_keeps_its_own_fields(town_x, town_y, secretary_a):
    """The filter's form skips Django's deep copy of its fields (DisputeFilter.get_form_class): one request's
    choices, values and errors never reach another's, nor the class's own filters."""
    from django.http import QueryDict

    from cases.filters import DisputeFilter
    from cases.selectors import case_list
    from org.models import Division

    def options(f):
        return [value for value, _ in f.form.fields["division"].widget.choices if value]

    x = DisputeFilter.for_user(QueryDict("risk=purple"), town_x, case_list(town_x))
    y = DisputeFilter.for_user(QueryDict("risk=red"), town_y, case_list(town_y))
    village = DisputeFilter.for_user(QueryDict(), secretary_a, case_list(secretary_a))
    villages_x = set(Division.objects.filter(parent_id=TOWN_X).values_list("code", flat=True))
    villages_y = set(Division.objects.filter(parent_id=TOWN_Y).values_list("code", flat=True))
    assert set(options(x)) == villages_x and set(options(y)) == villages_y
    assert "risk" in x.form.errors and y.form.is_valid() and village.form.is_valid()
    assert "division" not in village.form.fields  # a village secretary has no division filter
    assert x.form.fields["risk"] is not y.form.fields["risk"]
    assert DisputeFilter.base_filters["division"].queryset.model is Division
    assert not DisputeFilter.base_filters["division"].queryset.exists()  # the class's own stays empty
