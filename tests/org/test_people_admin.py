"""人员库 in the Django admin (org/admin.py): only the 系统管理员 keeps it; phones masked in the list, editable in the
form; filters by level, town, unit and 在岗; the list's query count does not grow with the rows."""

import pytest
from django.urls import reverse

from org.models import Person, Unit
from tests.conftest import TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C


@pytest.fixture
def admin_client(client, sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    return client


@pytest.fixture
def people(db):
    police = Unit.objects.get(name="嘉祥街道派出所")
    return [
        Person.objects.create(name="王书记", post="党支部书记", division_id=VILLAGE_A, phone="13912345678"),
        Person.objects.create(name="李所长", post="所长", division_id=TOWN_X, unit=police, phone="0537-6812345"),
        Person.objects.create(name="赵退休", post="原主任", division_id=VILLAGE_C, active=False),
    ]


def test_the_list_masks_phones_and_names_account_and_post(admin_client, people):
    text = admin_client.get(reverse("admin:org_person_changelist")).content.decode()
    assert "王书记" in text and "党支部书记" in text and "嘉祥街道派出所" in text
    assert "139****5678" in text and "13912345678" not in text and "6812345" not in text
    assert "无账号" in text and "sysadmin" in text  # the administrator's own directory row, linked to its account
    assert "从 Excel 批量导入人员与账号" in text


@pytest.mark.parametrize("query, shown, hidden", [
    ("q=王", {"王书记"}, {"李所长", "赵退休"}),
    (f"town={TOWN_X}", {"王书记", "李所长"}, {"赵退休"}),
    (f"town={TOWN_Y}", {"赵退休"}, {"王书记", "李所长"}),
    ("division__level__exact=township", {"李所长"}, {"王书记", "赵退休"}),
    ("active__exact=0", {"赵退休"}, {"王书记", "李所长"}),
])
def test_search_and_filters(admin_client, people, query, shown, hidden):
    text = admin_client.get(reverse("admin:org_person_changelist") + "?" + query).content.decode()
    assert all(name in text for name in shown) and not any(name in text for name in hidden)


def test_the_unit_filter(admin_client, people):
    police = people[1].unit
    text = admin_client.get(reverse("admin:org_person_changelist") + f"?unit__id__exact={police.pk}").content.decode()
    assert "李所长" in text and "王书记" not in text


def test_the_form_edits_the_phone_and_refuses_a_bad_one_or_a_unit_of_another_division(admin_client, people):
    person = people[0]
    url = reverse("admin:org_person_change", args=[person.pk])
    assert "13912345678" in admin_client.get(url).content.decode()  # editable in full in the form
    data = {"name": "王书记", "post": "党支部书记", "division": VILLAGE_A, "unit": "", "phone": "138 0000 1111",
            "active": "on"}
    assert admin_client.post(url, data).status_code == 302
    person.refresh_from_db()
    assert person.phone == "13800001111"
    response = admin_client.post(url, {**data, "phone": "12345"})
    assert response.status_code == 200 and "请输入11位手机号" in response.content.decode()
    police = Unit.objects.get(name="纸坊镇派出所")
    response = admin_client.post(url, {**data, "unit": police.pk})
    assert "不属于" in response.content.decode()
    person.refresh_from_db()
    assert (person.phone, person.unit_id) == ("13800001111", None)


def test_only_the_administrator_sees_the_directory(client, make_user, people):
    from org.models import Role

    other = make_user(Role.AUDITOR, "370829000000", username="staff_auditor")
    other.is_staff = True  # cannot happen through the forms (accounts.duties), proven here anyway
    other.save()
    client.force_login(other)
    assert client.get(reverse("admin:org_person_changelist")).status_code == 403
    assert client.get(reverse("admin:org_person_change", args=[people[0].pk])).status_code == 403


def test_nobody_deletes_a_person(admin_client, people):
    assert admin_client.get(reverse("admin:org_person_delete", args=[people[0].pk])).status_code == 403


def test_the_list_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    Person.objects.bulk_create([Person(name=f"人员{n}", post="网格员", division_id=VILLAGE_A) for n in range(300)])
    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse("admin:org_person_changelist"))
    assert response.status_code == 200 and "人员1" in response.content.decode()
