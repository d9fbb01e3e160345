"""The columns and rows the database keeps for speed (cases/denorm.py): the search text, the town and the tally
follow every write, whoever writes, and agree with a recount from the cases."""

import pytest
from django.db import connection
from django.db.models import Count
from django.urls import reverse

from cases import denorm, services
from cases.models import CaseTally, Dispute, Party, Status
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

pytestmark = pytest.mark.django_db


def tally():
    return {(t.village_id, t.status, t.risk): t.n for t in CaseTally.objects.all() if t.n}


def recount():
    return {(r["village_id"], r["status"], r["risk"]): r["n"]
            for r in Dispute.objects.values("village_id", "status", "risk").annotate(n=Count("id"))}


def text_of(case):
    return Dispute.objects.values_list("search_text", flat=True).get(pk=case.pk)


def test_search_text_holds_number_title_and_every_party_name(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, parties=[party_row("王小明"), party_row("赵大海", "respondent")])
    text = text_of(case)
    assert case.number.lower() in text and "宅基地边界纠纷" in text
    assert "王小明" in text and "赵大海" in text
    assert "13812345678" not in text  # never the phone (nor the ID number): those are found by the look-up page


def test_search_text_follows_party_renames_additions_and_removals(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, parties=[party_row("王小明"), party_row("赵大海", "respondent")])
    p = case.parties.get(name="赵大海")
    p.name = "钱多多"
    p.save()
    assert "钱多多" in text_of(case) and "赵大海" not in text_of(case)
    Party.objects.create(dispute=case, **party_row("孙悟空", "third"))
    assert "孙悟空" in text_of(case)
    if connection.vendor == "sqlite":  # PostgreSQL refuses deleting a party (migration 0013)
        Party.objects.filter(name="孙悟空").delete()
        assert "孙悟空" not in text_of(case)


def test_search_text_follows_a_title_edit(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    services.update_dispute(actor=secretary_a, dispute=case, version=case.version,
                            fields={"title": "两户因排水沟堵塞发生争执"}, risk=case.risk)
    assert "排水沟" in text_of(case) and "宅基地" not in text_of(case)


def test_ledger_keyword_finds_a_name_and_a_number_in_any_case(make_case, secretary_a, client):
    hit = make_case(secretary_a, VILLAGE_A, parties=[party_row("欧阳明月"), party_row("李四", "respondent")])
    other = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    page = client.get(reverse("cases:list"), {"q": "欧阳明"}).content.decode()
    assert hit.number in page and other.number not in page
    page = client.get(reverse("cases:list"), {"q": other.number.lower()}).content.decode()
    assert other.number in page and hit.number not in page


def test_town_is_the_villages_town(make_case, secretary_a, secretary_c):
    a = make_case(secretary_a, VILLAGE_A)
    c = make_case(secretary_c, VILLAGE_C)
    assert Dispute.objects.get(pk=a.pk).town_id == TOWN_X
    assert Dispute.objects.get(pk=c.pk).town_id == Dispute.objects.get(pk=c.pk).village.parent_id != TOWN_X


def test_tally_follows_registration_transitions_and_risk_changes(make_case, secretary_a, secretary_b, town_x):
    a = make_case(secretary_a, VILLAGE_A)
    make_case(secretary_b, VILLAGE_B, status=Status.RESOLVED)
    make_case(secretary_a, VILLAGE_A, tier="town", status=Status.IN_PROGRESS)
    assert tally() == recount() and sum(tally().values()) == 3
    services.update_dispute(actor=secretary_a, dispute=a, version=a.version, fields={}, risk="red",
                            risk_reason="双方多次发生肢体冲突")
    services.start_handling(actor=secretary_a, dispute=Dispute.objects.get(pk=a.pk))
    assert tally() == recount()
    assert tally()[(VILLAGE_A, Status.IN_PROGRESS, "red")] == 1


def test_tally_follows_bulk_updates(make_case, secretary_a):
    cases = [make_case(secretary_a, VILLAGE_A) for _ in range(3)]
    Dispute.objects.filter(pk__in=[c.pk for c in cases[:2]]).update(risk="orange")
    assert tally() == recount() and tally()[(VILLAGE_A, Status.LOGGED, "orange")] == 2


@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL refuses deleting cases (0007, 0013)")
def test_tally_follows_a_delete(make_case, secretary_a):
    make_case(secretary_a, VILLAGE_A)
    bare = Dispute.objects.create(  # what no service does (cases are never deleted); the tally follows even so
        number="JX-2026-999999", title="测试", category="housing", source="screening", arose_on="2026-11-30",
        village_id=VILLAGE_A, holder_division_id=VILLAGE_A, description="测试", created_by=secretary_a)
    assert sum(tally().values()) == 2
    bare.delete()
    assert tally() == recount() and sum(tally().values()) == 1


def test_rebuild_agrees_with_the_triggers(make_case, secretary_a, secretary_c):
    make_case(secretary_a, VILLAGE_A, parties=[party_row("王小明"), party_row("赵大海", "respondent")])
    make_case(secretary_c, VILLAGE_C, status=Status.IN_PROGRESS)
    kept_tally, kept_text = tally(), dict(Dispute.objects.values_list("pk", "search_text"))
    Dispute.objects.update(search_text="")
    CaseTally.objects.all().delete()
    denorm.rebuild()
    assert tally() == kept_tally == recount()
    assert dict(Dispute.objects.values_list("pk", "search_text")) == kept_text


def test_home_cards_and_ledger_total_come_from_the_tally(make_case, secretary_a, town_x, client,
                                                         django_assert_num_queries):
    for _ in range(3):
        make_case(secretary_a, VILLAGE_A)
    make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED)
    client.force_login(town_x)
    page = client.get(reverse("cases:list"), {"status": "open"}).content.decode()
    assert "共 3 条" in page
    # The tally, not the cases: a stale tally row shows in the total (which is how a test can tell).
    CaseTally.objects.filter(village_id=VILLAGE_A, status=Status.LOGGED).update(n=7)
    assert "共 7 条" in client.get(reverse("cases:list"), {"status": "open"}).content.decode()
    # A filter the tally does not count (a keyword) counts the cases.
    assert "共 3 条" in client.get(reverse("cases:list"), {"status": "open", "q": "宅基地"}).content.decode()
    home = client.get(reverse("home")).content.decode()
    assert "<b>7</b><span>未办结</span>" in home and "<b>8</b><span>全部纠纷</span>" in home


def test_a_bulk_insert_without_the_town_gets_it_from_the_database(secretary_a):
    """bulk_create bypasses save(): the insert trigger fills the town, so the town's ledger still shows the case."""
    Dispute.objects.bulk_create([Dispute(
        number="JX-2026-999998", title="批量导入的纠纷", category="housing", source="screening", arose_on="2026-11-30",
        village_id=VILLAGE_B, holder_division_id=VILLAGE_B, description="测试", created_by=secretary_a)])
    assert Dispute.objects.get(number="JX-2026-999998").town_id == TOWN_X


def test_a_filter_the_tally_cannot_count_is_counted_up_to_twenty_pages(settings, make_case, secretary_a, client):
    """A keyword's total is counted up to LEDGER_COUNT_PAGES pages ("共 N+ 条"), never over the whole town."""
    settings.CASE_LIST_PAGE_SIZE = 1  # 20 pages = 20 cases
    for _ in range(21):
        make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    assert "共 20+ 条" in client.get(reverse("cases:list"), {"q": "宅基地"}).content.decode()
    assert "共 21 条" in client.get(reverse("cases:list")).content.decode()  # the tally counts exactly
