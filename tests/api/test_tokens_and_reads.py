"""GET /api/v1/cases/{number}, token scope, revocation, rate limit, and the token's storage."""

import re

import pytest
from django.contrib.auth import get_user_model

from api import ratelimit, services
from api.models import ApiToken
from audit.models import Action, AuditEntry
from cases.models import Status, Tier
from tests.api.conftest import work_order
from tests.conftest import VILLAGE_A, VILLAGE_C

URL = "/api/v1/cases"
pytestmark = pytest.mark.django_db


def test_read_returns_status_tier_holder_deadline_outcome_and_no_personal_data(
        api_client, token_x, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.RESOLVED)
    response = api_client(token_x).get(f"{URL}/{case.number}")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["tier"], body["outcome"]) == ("resolved", "town", "success")
    assert body["holder"]["division"] == case.holder_division.name
    assert body["work_order_id"] is None and body["resolved_at"].endswith("+08:00")  # the county's clock
    text = response.content.decode()
    for party in case.parties.all():
        for value in (party.name, party.phone, party.address, party.id_number):
            assert not value or value not in text
    assert case.description not in text and case.title not in text and "达成调解协议" not in text
    assert not re.search(r"1[3-9]\d{9}", text)


def test_a_town_x_token_gets_404_for_a_case_of_town_y(api_client, token_x, token_y, make_case, secretary_c):
    case = make_case(secretary_c, VILLAGE_C)
    assert api_client(token_x).get(f"{URL}/{case.number}").status_code == 404
    assert api_client(token_x).get(f"{URL}/JX-2026-999999").status_code == 404
    assert api_client(token_y).get(f"{URL}/{case.number}").status_code == 200
    denied = AuditEntry.objects.filter(action=Action.ACCESS_DENIED, object_label=case.number).get()
    assert "（404）" in denied.detail


def test_a_county_system_reads_every_town(api_client, make_system, make_token, make_case, secretary_c):
    from tests.conftest import COUNTY

    token = make_token(make_system(COUNTY, code="hotline", name="县12345热线"))[1]
    assert api_client(token).get(f"{URL}/{make_case(secretary_c, VILLAGE_C).number}").status_code == 200


def test_a_revoked_token_gets_401(api_client, system_x, make_token):
    row, token = make_token(system_x)
    client = api_client(token)
    assert client.post(URL, work_order()).status_code == 201
    assert services.revoke_token(actor=None, token=row) is True
    assert services.revoke_token(actor=None, token=row) is False
    response = client.post(URL, work_order("WO-9"))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert "令牌" in response.json()["detail"]
    assert client.get(f"{URL}/JX-2026-000001").status_code == 401
    last = AuditEntry.objects.filter(action=Action.ACCESS_DENIED).order_by("-id").first()
    assert row.key_prefix in last.detail and "（401）" in last.detail


def test_no_token_a_wrong_token_and_a_wrong_scheme_get_401(api_client, token_x):
    assert api_client().get(f"{URL}/JX-2026-000001").status_code == 401
    assert api_client("jxapi_" + "x" * 43).get(f"{URL}/JX-2026-000001").status_code == 401
    client = api_client()
    assert client.client.get(f"{URL}/JX-2026-000001", HTTP_AUTHORIZATION=f"Token {token_x}").status_code == 401


def test_a_token_without_the_read_scope_gets_403_and_without_create_403(api_client, system_x, make_token,
                                                                         make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    writer = make_token(system_x, can_read=False)[1]
    reader = make_token(system_x, can_create=False)[1]
    response = api_client(writer).get(f"{URL}/{case.number}")
    assert response.status_code == 403 and "查询案件" in response.json()["detail"]
    assert api_client(reader).post(URL, work_order()).status_code == 403
    assert api_client(reader).get(f"{URL}/{case.number}").status_code == 200
    assert api_client(writer).post(URL, work_order()).status_code == 201


def test_the_rate_limit_gives_429_with_retry_after(api_client, system_x, make_token):
    row, token = make_token(system_x, rate_per_minute=3)
    client = api_client(token)
    codes = [client.get(f"{URL}/JX-2026-000001").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    response = client.get(f"{URL}/JX-2026-000001")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    assert "每分钟最多3次" in response.json()["detail"]
    other = make_token(system_x)[1]  # per token: another token of the same system is not held back
    assert api_client(other).get(f"{URL}/JX-2026-000001").status_code == 404


def test_the_rate_window_resets_after_a_minute(system_x, make_token):
    row, _ = make_token(system_x, rate_per_minute=1)
    assert ratelimit.retry_after(row, now=120.0) is None
    assert ratelimit.retry_after(row, now=150.5) == 30  # ceil(180 - 150.5)
    assert ratelimit.retry_after(row, now=180.0) is None


def test_a_token_is_stored_only_as_a_keyed_hash(system_x, make_token):
    row, token = make_token(system_x)
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert token not in str(stored) and token[-20:] not in str(stored)
    assert len(stored["key_hash"]) == 64 and stored["key_prefix"] == token[:10]


def test_the_service_account_cannot_sign_in(system_x):
    from django.contrib.auth.backends import ModelBackend

    user = get_user_model().objects.get(pk=system_x.user_id)
    assert not user.is_active and not user.has_usable_password()
    assert not hasattr(user, "membership")
    assert ModelBackend().user_can_authenticate(user) is False
