"""POST /api/v1/cases: idempotent by work-order id, validated by the registration form, within the token's town."""

import json

import pytest

from api.models import WorkOrder
from audit.models import Action, AuditEntry
from cases.models import CaseEvent, Dispute, EventKind, Source, Status, Tier
from core.validators import id_check_char
from tests.api.conftest import VILLAGE_IN_Y, work_order
from tests.conftest import VILLAGE_A

URL = "/api/v1/cases"
pytestmark = pytest.mark.django_db


def test_a_work_order_becomes_a_case_registered_by_the_systems_service_account(api_client, token_x, system_x):
    response = api_client(token_x).post(URL, work_order())
    assert response.status_code == 201, response.content
    body = response.json()
    case = Dispute.objects.get(number=body["number"])
    assert body["work_order_id"] == "WO-2026-0001"
    assert (body["status"], body["tier"], body["holder"]["division_code"]) == ("logged", "village", VILLAGE_A)
    assert case.created_by == system_x.user and not system_x.user.is_active
    assert case.source == Source.HOTLINE and case.status == Status.LOGGED and case.tier == Tier.VILLAGE
    assert case.parties.count() == 2
    # Registered by the case service: its 登记 timeline row, as for a case typed in by hand.
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.LOGGED, actor=system_x.user).count() == 1


def test_the_same_work_order_id_twice_creates_one_case(api_client, token_x):
    client = api_client(token_x)
    first = client.post(URL, work_order())
    second = client.post(URL, work_order(title="重复推送的同一工单"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert Dispute.objects.count() == 1 and WorkOrder.objects.count() == 1


def test_the_same_id_from_another_system_is_another_work_order(api_client, token_x, make_system, make_token):
    other = make_token(make_system(code="hotline", name="县12345热线"))[1]
    a = api_client(token_x).post(URL, work_order())
    b = api_client(other).post(URL, work_order())
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]


def test_a_lost_race_on_one_work_order_returns_the_winners_case(api_client, token_x, system_x, monkeypatch):
    """Two POSTs of one id at once: the second's insert hits the unique constraint; its case rolls back."""
    from api import services

    winner = api_client(token_x).post(URL, work_order()).json()["number"]
    real = services.existing_case
    calls = []

    def stale_first_look(**kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(**kwargs)  # the loser looked before the winner committed

    monkeypatch.setattr(services, "existing_case", stale_first_look)
    response = api_client(token_x).post(URL, work_order())
    assert response.status_code == 200 and response.json()["number"] == winner
    assert Dispute.objects.count() == 1


def _bad_id_number():
    body = "37082919800101001"
    wrong = "0" if id_check_char(body) != "0" else "1"
    return body + wrong


def test_a_bad_id_number_is_422_with_the_field_path_and_a_chinese_message(api_client, token_x):
    order = work_order()
    order["parties"][0]["id_number"] = _bad_id_number()
    response = api_client(token_x).post(URL, order)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["parties[0].id_number"]
    assert "身份证" in errors[0]["message"] or "校验" in errors[0]["message"]
    assert Dispute.objects.count() == 0 and WorkOrder.objects.count() == 0


def test_the_forms_own_rules_apply_future_date_phone_and_no_party(api_client, token_x):
    order = work_order(arose_on="2999-01-01", parties=[])
    response = api_client(token_x).post(URL, order)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields["arose_on"] == "发生日期不能晚于今天。"
    assert fields["parties"] == "请至少填写一名当事人。"
    order = work_order()
    order["parties"][1]["phone"] = "12345"
    fields = {e["field"] for e in api_client(token_x).post(URL, order).json()["errors"]}
    assert fields == {"parties[1].phone"}


def test_shape_errors_are_chinese_with_paths_too(api_client, token_x):
    order = work_order(people_involved="很多")
    del order["title"]
    order["parties"][0].pop("name")
    response = api_client(token_x).post(URL, order)
    assert response.status_code == 422
    fields = {e["field"]: e["message"] for e in response.json()["errors"]}
    assert fields == {"title": "此字段为必填项。", "people_involved": "应为整数。", "parties[0].name": "此字段为必填项。"}


def test_not_json_is_400_in_chinese(api_client, token_x):
    response = api_client(token_x).client.post(URL, "{not json", content_type="application/json",
                                               HTTP_AUTHORIZATION=f"Bearer {token_x}")
    assert response.status_code == 400 and response.json()["detail"] == "请求体不是有效的JSON。"


def test_a_town_x_token_cannot_create_a_case_in_town_y(api_client, token_x):
    response = api_client(token_x).post(URL, work_order(village=VILLAGE_IN_Y))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "village", "message": f"“{VILLAGE_IN_Y}”不是本系统辖区内的村/社区区划代码。"}]
    assert Dispute.objects.count() == 0


def test_every_call_is_audited_with_token_operation_case_and_result(api_client, token_x, system_x):
    client = api_client(token_x)
    number = client.post(URL, work_order()).json()["number"]
    client.post(URL, work_order())
    bad = work_order("WO-2")
    bad["parties"][0]["id_number"] = _bad_id_number()
    client.post(URL, bad)
    client.get(f"{URL}/{number}")
    rows = list(AuditEntry.objects.filter(detail__startswith="外部接口").order_by("id"))
    assert [(r.action, r.outcome, r.object_label) for r in rows] == [
        (Action.CASE_WRITE, "success", number), (Action.CASE_WRITE, "success", number),
        (Action.CASE_WRITE, "failure", ""), (Action.EXPORT, "success", number)]
    assert all(system_x.name in r.detail and r.username == system_x.user.username for r in rows)
    assert "登记案件" in rows[0].detail and "（201）" in rows[0].detail and "（200）" in rows[1].detail
    assert "（422）" in rows[2].detail and "查询案件" in rows[3].detail
    assert all(token_x not in r.detail for r in AuditEntry.objects.all())


def test_the_api_needs_no_csrf_token_and_sets_no_session(api_client, token_x):
    client = api_client(token_x)
    client.client = type(client.client)(enforce_csrf_checks=True, raise_request_exception=False)
    response = client.post(URL, work_order())
    assert response.status_code == 201
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_a_lone_surrogate_is_400_not_a_500_at_the_insert(api_client, token_x):
    raw = json.dumps(work_order(), ensure_ascii=False).replace("王某与赵某", "\\ud800")  # valid JSON, not storable as UTF-8
    response = api_client(token_x).client.post(URL, raw, content_type="application/json",
                                               HTTP_AUTHORIZATION=f"Bearer {token_x}")
    assert response.status_code == 400 and Dispute.objects.count() == 0
