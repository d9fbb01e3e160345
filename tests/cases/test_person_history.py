"""A person's history (issue 12 #7): from a party on a case, every case with the same ID number (keyed hash) that
the viewer may see, across villages and towns, with the person's role, status, outcome and dates; paginated, its
query count pinned, the ID number never in full, each view audited."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from cases import selectors
from cases.models import Dispute, Party, Status, Tier
from core.validators import id_check_char
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

PERSON = "37082919700305001" + id_check_char("37082919700305001")  # 男, 1970-03-05
OTHER = "37082919880808002" + id_check_char("37082919880808002")


def url(case, party):
    return reverse("cases:person_history", args=[case.number, party.pk])


def person_on(case, number=PERSON):
    return case.parties.get(id_hash__in=selectors.person_hashes(Party(id_number=number)))


@pytest.fixture
def spread(make_case, secretary_a, secretary_b, secretary_c):
    """The same person on cases of village A (twice: 申请人, then 被申请人, resolved), village B (same town X) and
    village C (town Y); a case of village A without them."""
    a1 = make_case(secretary_a, VILLAGE_A, title="王某宅基地纠纷",
                   parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent", id_number=OTHER)])
    a2 = make_case(secretary_a, VILLAGE_A, title="王某借贷纠纷", status=Status.RESOLVED,
                   parties=[party_row("赵六"), party_row("王德胜", "respondent", id_number=PERSON)])
    b = make_case(secretary_b, VILLAGE_B, title="唐庄邻里纠纷", parties=[party_row("王德胜", id_number=PERSON)])
    c = make_case(secretary_c, VILLAGE_C, title="纸坊土地纠纷", parties=[party_row("王德胜", id_number=PERSON)])
    unrelated = make_case(secretary_a, VILLAGE_A, title="无关纠纷", parties=[party_row("孙七", id_number=OTHER)])
    return {"a1": a1, "a2": a2, "b": b, "c": c, "unrelated": unrelated}


@pytest.mark.django_db
def test_the_county_sees_the_person_across_villages_and_towns_with_role_status_and_outcome(client, county_user,
                                                                                            spread):
    client.force_login(county_user)
    response = client.get(url(spread["a1"], person_on(spread["a1"])))
    html = response.content.decode()
    assert response.status_code == 200
    for key in ("a1", "a2", "b", "c"):
        assert spread[key].number in html
    assert spread["unrelated"].number not in html
    assert "共 4 件" in html
    a2_row = html[html.index(spread["a2"].number):]
    a2_row = a2_row[:a2_row.index("</li>")]
    assert "已化解" in a2_row and "身份：被申请人" in a2_row and "结果：调解成功" in a2_row and "化解 " in a2_row
    assert "纸坊镇" in html and "嘉祥街道" in html
    assert PERSON not in html and "3708**********" in html  # masked only
    assert 'class="tag">本案<' in html


@pytest.mark.django_db
def test_a_town_user_sees_none_of_another_towns_cases(client, town_x, spread):
    client.force_login(town_x)
    html = client.get(url(spread["a1"], person_on(spread["a1"]))).content.decode()
    assert spread["a1"].number in html and spread["a2"].number in html and spread["b"].number in html
    assert spread["c"].number not in html and "纸坊" not in html
    assert "共 3 件" in html


@pytest.mark.django_db
def test_a_village_secretary_sees_only_their_village(client, secretary_a, spread):
    client.force_login(secretary_a)
    html = client.get(url(spread["a1"], person_on(spread["a1"]))).content.decode()
    assert spread["a2"].number in html
    assert spread["b"].number not in html and spread["c"].number not in html
    assert [c.number for c in selectors.person_history(secretary_a, person_on(spread["a1"]))] == [
        spread["a2"].number, spread["a1"].number]  # newest first


@pytest.mark.django_db
def test_outsiders_get_404_and_a_party_of_another_case_too(client, town_y, secretary_a, spread):
    client.force_login(town_y)
    assert client.get(url(spread["a1"], person_on(spread["a1"]))).status_code == 404  # another town's case
    client.force_login(secretary_a)
    assert client.get(url(spread["a1"], person_on(spread["c"]))).status_code == 404  # party not on this case
    assert client.post(url(spread["a1"], person_on(spread["a1"]))).status_code == 405
    assert not AuditEntry.objects.filter(action="pii_view").exists()


@pytest.mark.django_db
def test_each_view_is_audited_without_the_number(client, town_x, spread):
    client.force_login(town_x)
    party = person_on(spread["a1"])
    client.get(url(spread["a1"], party))
    entry = AuditEntry.objects.get(action="pii_view")
    assert entry.object_label == spread["a1"].number and entry.object_id == str(party.pk)
    assert "查看当事人历史" in entry.detail and "3件" in entry.detail and PERSON not in entry.detail


@pytest.mark.django_db
def test_a_party_without_an_id_number_has_no_history(client, secretary_a, spread):
    client.force_login(secretary_a)
    case = spread["a2"]
    anonymous = case.parties.get(name="赵六")
    html = client.get(url(case, anonymous)).content.decode()
    assert "该当事人未登记身份证号" in html and case.number in html
    assert not AuditEntry.objects.filter(action="pii_view").exists()
    detail = client.get(case.get_absolute_url()).content.decode()
    assert url(case, person_on(case)) in detail  # the link on the case page, for the party with an ID number
    assert url(case, anonymous) not in detail


@pytest.mark.django_db
def test_the_history_follows_the_id_number_under_an_old_key(settings, make_case, county_user, secretary_a):
    """Key rotation (docs/pii.md): a party saved under the old hash key is still the same person."""
    old = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=PERSON)])
    settings.FIELD_ENCRYPTION_OLD_KEYS = [settings.FIELD_ENCRYPTION_KEY]
    settings.FIELD_ENCRYPTION_KEY = "bmV3LXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmchISEhISE="  # another 32-byte test key
    new = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=PERSON)])
    assert person_on(new).id_hash != Party.objects.get(dispute=old).id_hash
    assert {c.pk for c in selectors.person_history(county_user, person_on(new))} == {old.pk, new.pk}


def _clone(case, n, tag, number=PERSON, *, village=None):
    """n more cases with the person on each (rows only: the page needs rows and parties, not n service calls)."""
    rows = []
    for i in range(n):
        clone = Dispute.objects.get(pk=case.pk)
        clone.pk, clone.number = None, f"{case.number}-{tag}{i}"
        if village:
            clone.village_id = village
        rows.append(clone)
    created = Dispute.objects.bulk_create(rows)
    Party.objects.bulk_create([Party(dispute=d, **party_row("王德胜", id_number=number)) for d in created]
                              + [Party(dispute=d, **party_row("李四", "respondent")) for d in created])


def count_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries), ctx


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["", "?page=2"])
def test_the_query_count_does_not_grow_with_the_cases(client, make_case, town_x, secretary_a, page):
    first = make_case(secretary_a, VILLAGE_A, tier=Tier.VILLAGE,
                      parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent")])
    _clone(first, 40, "A")
    client.force_login(town_x)
    path = url(first, person_on(first)) + page
    small, _ = count_queries(client, path)
    _clone(first, 400, "B", village=VILLAGE_B)
    large, ctx = count_queries(client, path)
    assert small == large <= 14, [q["sql"] for q in ctx.captured_queries]
    html = client.get(url(first, person_on(first))).content.decode()
    assert "共 441 件" in html and "下一页" in html
