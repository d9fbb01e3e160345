"""Registering a dispute: good input saves a case with its parties; bad input shows Chinese errors, saves nothing."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import CaseEvent, Dispute, Party
from tests.conftest import VILLAGE_A, VILLAGE_C

URL = reverse("cases:create")


# Party ID numbers agree with the chosen 性别 (17th digit odd = 男): the form refuses a contradiction (issue 11.5).
def post_data(village=VILLAGE_A, parties=None, **overrides):
    data = {
        "title": "王某与赵某排水纠纷", "category": "neighbour", "subcategory": "", "source": "screening",
        "risk": "yellow", "people_involved": "2", "arose_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "village": village, "place": "村后街", "description": "雨水排向邻居院内，双方争吵。",
    }
    data.update(overrides)
    parties = parties if parties is not None else [
        {"role": "applicant", "name": "王德胜", "sex": "M", "id_number": "110105194912310011", "phone": "13812345678"},
        {"role": "respondent", "name": "赵玉兰", "sex": "F", "id_number": "", "phone": "0537-6812345"},
    ]
    data.update({"parties-TOTAL_FORMS": str(len(parties)), "parties-INITIAL_FORMS": "0",
                 "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000"})
    for i, p in enumerate(parties):
        for k, v in p.items():
            data[f"parties-{i}-{k}"] = v
        data.setdefault(f"parties-{i}-address", "")
    return data


@pytest.mark.django_db
def test_secretary_registers_a_dispute_with_two_parties(client, secretary_a):
    client.force_login(secretary_a)
    assert client.get(URL).status_code == 200
    response = client.post(URL, post_data())
    case = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.number.startswith(f"JX-{timezone.localdate().year}-")
    assert case.village_id == VILLAGE_A and case.holder_division_id == VILLAGE_A and case.tier == "village"
    assert list(case.parties.values_list("name", flat=True)) == ["王德胜", "赵玉兰"]
    assert CaseEvent.objects.filter(dispute=case, kind="logged").count() == 1
    page = client.get(case.get_absolute_url()).content.decode()
    assert "1101**********0011" in page and "110105194912310011" not in page
    assert "138****5678" in page and "13812345678" not in page


@pytest.mark.django_db
def test_case_numbers_are_unique_and_sequential(client, secretary_a):
    client.force_login(secretary_a)
    client.post(URL, post_data())
    # The same parties again: the likely-duplicate hint comes first, 仍要登记 registers it (issue 11.5).
    client.post(URL, post_data(title="第二起", confirm_duplicate=Dispute.objects.get().number))
    a, b = Dispute.objects.order_by("id").values_list("number", flat=True)
    assert int(b[-6:]) == int(a[-6:]) + 1


BAD_INPUTS = {
    "wrong ID checksum": ({}, [{"role": "applicant", "name": "王某", "sex": "M", "id_number": "110105194912310021"}],
                          "校验位不正确"),
    "malformed phone": ({}, [{"role": "applicant", "name": "王某", "sex": "M", "phone": "1381234"}], "11位手机号"),
    # Two days ahead, not one: the table is built at collection, and a run that crosses midnight in Beijing would
    # otherwise post today's date (CI once did, at 00:00 Asia/Shanghai).
    "date in the future": ({"arose_on": (timezone.localdate() + datetime.timedelta(days=2)).isoformat()}, None,
                           "不能晚于今天"),
    "no party": ({}, [], "至少填写一名当事人"),
    "only an empty party row": ({}, [{"role": "applicant", "name": "", "sex": ""}], "至少填写一名当事人"),
    "over-long title": ({"title": "纠" * 101}, None, "不超过 100 字符"),
    "over-long description": ({"description": "纠" * 4001}, None, "不超过 4000 字符"),
    "village outside the jurisdiction": ({"village": VILLAGE_C}, None, "选择一个有效的选项"),
    "not a date": ({"arose_on": "2026-02-30"}, None, "有效的日期"),
    "people involved zero": ({"people_involved": "0"}, None, "大于或等于1"),
    "people involved text": ({"people_involved": "很多"}, None, "整数"),
    "unknown category": ({"category": "aliens"}, None, "选择一个有效的选项"),
    "duplicate ID number": ({}, [
        {"role": "applicant", "name": "甲", "sex": "M", "id_number": "110105194912310011"},
        {"role": "respondent", "name": "乙", "sex": "M", "id_number": "110105194912310011"},
    ], "不能重复"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_gives_chinese_errors_and_saves_nothing(client, secretary_a, case):
    overrides, parties, message = case
    client.force_login(secretary_a)
    response = client.post(URL, post_data(parties=parties, **overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "尚未保存" in response.content.decode() or message in response.content.decode()
    assert Dispute.objects.count() == 0 and Party.objects.count() == 0 and CaseEvent.objects.count() == 0


@pytest.mark.django_db
def test_garbage_management_form_is_not_a_500(client, secretary_a):
    client.force_login(secretary_a)
    data = post_data()
    data["parties-TOTAL_FORMS"] = "abc"
    response = client.post(URL, data)
    assert response.status_code == 200
    assert Dispute.objects.count() == 0


@pytest.mark.django_db
def test_add_party_without_javascript_keeps_input_and_adds_a_row(client, secretary_a):
    client.force_login(secretary_a)
    data = post_data()
    data["add_party"] = "1"
    response = client.post(URL, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="parties-2-name"' in body and 'value="王德胜"' in body
    assert Dispute.objects.count() == 0


@pytest.mark.django_db
def test_deleted_party_row_is_not_saved(client, secretary_a):
    client.force_login(secretary_a)
    data = post_data()
    data["parties-1-DELETE"] = "on"
    client.post(URL, data)
    assert list(Dispute.objects.get().parties.values_list("name", flat=True)) == ["王德胜"]


@pytest.mark.django_db
def test_read_only_roles_cannot_register(client, county_user, auditor):
    for user in (county_user, auditor):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, post_data()).status_code == 403
    assert Dispute.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
