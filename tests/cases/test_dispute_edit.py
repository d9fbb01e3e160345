import json

import pytest
from django.urls import reverse

from cases.models import CaseEvent
from tests.conftest import VILLAGE_A


def edit_data(case, **overrides):
    data = {
        "title": case.title, "category": case.category, "subcategory": "", "source": case.source, "risk": case.risk,
        "people_involved": case.people_involved, "arose_on": case.arose_on.isoformat(), "place": case.place,
        "description": case.description, "risk_reason": "", "version": case.version,
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_edit_records_each_change_on_the_timeline(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    url = reverse("cases:edit", args=[case.number])
    response = client.post(url, edit_data(case, title="新标题", people_involved=6))
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "新标题" and case.people_involved == 6 and case.version == 2
    # One timeline row for the save; it stores the fields' codes and values, the page shows their labels.
    (edit,) = CaseEvent.objects.filter(dispute=case, kind="edited")
    assert edit.field == "basic"
    assert json.loads(edit.old_value) == {"title": "张三与李四宅基地边界纠纷", "people_involved": 2}
    assert json.loads(edit.new_value) == {"title": "新标题", "people_involved": 6}
    assert edit.changes == [("纠纷标题", "张三与李四宅基地边界纠纷", "新标题"), ("涉及人数", "2", "6")]
    assert "新标题" in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_risk_change_needs_a_reason_and_is_recorded(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    url = reverse("cases:edit", args=[case.number])
    response = client.post(url, edit_data(case, risk="red"))
    assert "必须填写理由" in response.content.decode()
    case.refresh_from_db()
    assert case.risk == "blue"
    client.post(url, edit_data(case, risk="red", risk_reason="双方家族多人聚集"))
    case.refresh_from_db()
    assert case.risk == "red"
    event = CaseEvent.objects.get(dispute=case, kind="risk_changed")
    assert (event.field, event.old_value, event.new_value, event.note) == ("risk", "blue", "red", "双方家族多人聚集")
    assert (event.old_display, event.new_display) == ("蓝·轻微", "红·重大")


@pytest.mark.django_db
def test_stale_edit_shows_the_conflict_page_and_both_edits_survive(client, make_case, secretary_a, make_user):
    case = make_case(secretary_a, VILLAGE_A)
    colleague = make_user("grid_worker", VILLAGE_A)
    url = reverse("cases:edit", args=[case.number])
    stale = edit_data(case, title="我的修改", description="我补充的情况")
    client.force_login(colleague)
    client.post(url, edit_data(case, title="同事先保存"))
    client.force_login(secretary_a)
    response = client.post(url, stale)
    body = response.content.decode()
    assert response.status_code == 409 and "修改冲突" in body
    assert "同事先保存" in body and "我的修改" in body and "我补充的情况" in body  # both versions side by side
    case.refresh_from_db()
    assert case.title == "同事先保存" and case.version == 2
    timeline = client.get(case.get_absolute_url()).content.decode()
    assert "同事先保存" in timeline  # the colleague's edit
    conflict = CaseEvent.objects.get(dispute=case, kind="edit_conflict")
    assert conflict.actor == secretary_a and "我的修改" in conflict.note and "我补充的情况" in conflict.note
    assert "我的修改" in timeline
    # The retry form carries the user's values on the current version: saving it now succeeds.
    retry = response.context["form"]
    assert retry.initial["title"] == "我的修改" and retry.initial["version"] == 2
    assert client.post(url, edit_data(case, title="我的修改", version=2)).status_code == 302
    case.refresh_from_db()
    assert case.title == "我的修改"


@pytest.mark.django_db
def test_bad_edit_input_shows_errors(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    response = client.post(reverse("cases:edit", args=[case.number]), edit_data(case, title="", version="x"))
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    case.refresh_from_db()
    assert case.version == 1
