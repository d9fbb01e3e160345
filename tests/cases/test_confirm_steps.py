"""What cannot be undone asks first (issue 9): 提请上级, 移交, 化解, 退回 and 结案 open a second page that says what
will happen and whose button reads 确认…; 办结督办 and removing an attendee need a tick (tested with their pages)."""

import pytest
from django.urls import reverse

from cases.models import Status, Tier
from tests.conftest import VILLAGE_A


@pytest.mark.django_db
@pytest.mark.parametrize("action, label, tier, status, who", [
    ("refer", "提请上级", Tier.VILLAGE, Status.IN_PROGRESS, "secretary_a"),
    ("resolve", "化解", Tier.VILLAGE, Status.IN_PROGRESS, "secretary_a"),
    ("transfer", "移交责任单位", Tier.COUNTY, Status.IN_PROGRESS, "county_user"),
    ("return", "退回", Tier.VILLAGE, Status.REFERRED, "town_x"),
])
def test_irreversible_actions_confirm_on_their_own_page(client, make_case, secretary_a, request, action, label,
                                                        tier, status, who):
    case = make_case(secretary_a, VILLAGE_A, tier=tier, status=status)
    client.force_login(request.getfixturevalue(who))
    body = client.get(reverse("cases:act", args=[case.number, action])).content.decode()
    assert f"确认{label}" in body and 'class="msg msg-warning confirm-line"' in body
