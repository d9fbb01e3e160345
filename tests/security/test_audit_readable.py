"""The auditor's list reads as names (issue 13 #5): division names instead of codes, case numbers and object kinds
instead of `cases.dispute#220`, with a query count that does not grow with the page."""

import pytest
from django.urls import reverse

import audit
from audit.models import Action, AuditEntry
from org.models import Division
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_C


def test_entries_about_a_case_show_its_number_and_the_division_name(client, auditor, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A)
    AuditEntry(action=Action.CASE_WRITE, user_id=secretary_a.pk, username="sec_a", role="village_secretary",
               division_code=VILLAGE_A, object_type="cases.dispute", object_id=str(case.pk)).save()  # no label
    client.force_login(auditor)
    text = client.get(reverse("audit:list")).content.decode()
    assert f"矛盾纠纷 {case.number}" in text
    assert f"cases.dispute#{case.pk}" not in text and "cases.dispute" not in text
    assert Division.objects.get(code=VILLAGE_A).name in text
    assert f"· {VILLAGE_A}<" not in text  # the code is only the name's tooltip


def test_a_division_as_the_object_shows_its_name(client, auditor, town_x):
    audit.record(None, action=Action.EXPORT, obj=Division.objects.get(code=TOWN_X), user=town_x, label="",
                 detail="导出统计")
    client.force_login(auditor)
    assert "行政区划 嘉祥街道" in client.get(reverse("audit:list")).content.decode()


def test_the_readable_list_costs_the_same_queries_for_many_rows(client, auditor, secretary_a, make_case,
                                                                django_assert_max_num_queries):
    cases = [make_case(secretary_a, VILLAGE_A) for _ in range(3)]
    codes = [VILLAGE_A, VILLAGE_C, TOWN_X]
    AuditEntry.objects.bulk_create([
        AuditEntry(action=Action.CASE_WRITE, username=f"u{n}", role="village_secretary",
                   division_code=codes[n % 3], object_type="cases.dispute", object_id=str(cases[n % 3].pk))
        for n in range(60)])
    client.force_login(auditor)
    with django_assert_max_num_queries(6):  # session, user, membership, rows, divisions, case numbers
        text = client.get(reverse("audit:list")).content.decode()
    assert text.count(f"矛盾纠纷 {cases[0].number}") >= 15


@pytest.mark.parametrize("object_type, object_id, label, shown", [
    ("auth.user", "7", "sec_a", "用户 sec_a"),
    ("cases.party", "9", "JX-2026-000009", "当事人 JX-2026-000009"),
    ("gone.model", "3", "", "gone.model 编号 3"),
])
def test_object_kinds_are_named(db, object_type, object_id, label, shown):
    from audit.selectors import readable

    row = AuditEntry(action=Action.EXPORT, object_type=object_type, object_id=object_id, object_label=label)
    assert readable([row])[0].object_text == shown
