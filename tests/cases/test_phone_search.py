"""按电话查找 in the ledger (issue 12 #7): exact, by the keyed hash `Party.phone_hash`; POST only with a reason,
audited and counted like 按身份证号/电话查找 (docs/pii.md); the ledger then shows exactly the cases with that phone
(none of an outsider's), with a chip showing the phone masked; the URL carries a session token, never the phone."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from cases import policy, services
from cases.filters import PHONE_SEARCH_TTL, PHONE_SEARCHES, DisputeFilter
from cases.models import Dispute, Party, PiiLookup, Tier
from cases.selectors import cases_visible_to
from org.models import Unit
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

SEARCH = reverse("cases:phone_search")
LEDGER = reverse("cases:list")
MOBILE, OTHER_MOBILE, LANDLINE = "13912345678", "13987654321", "0537-6812345"
REASON = "当事人来电，核实已有纠纷"


def search(client, phone, *, reason=REASON, query=""):
    return client.post(SEARCH, {"phone": phone, "reason": reason, "query": query})


def ledger_numbers(client, location) -> set[str]:
    html = client.get(location).content.decode()
    return {n for n in Dispute.objects.values_list("number", flat=True) if f'<span class="number">{n}</span>' in html}


@pytest.fixture
def phones(make_case, secretary_a, secretary_b, secretary_c):
    return {
        "a": make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", phone=MOBILE), party_row("李四")]),
        "b": make_case(secretary_b, VILLAGE_B, parties=[party_row("李四"), party_row("王德胜", "respondent",
                                                                                   phone=MOBILE)]),
        "other": make_case(secretary_a, VILLAGE_A, parties=[party_row("赵六", phone=OTHER_MOBILE)]),
        "c": make_case(secretary_c, VILLAGE_C, parties=[party_row("王德胜", phone=MOBILE)]),  # town Y
        "land": make_case(secretary_a, VILLAGE_A, parties=[party_row("孙七", phone=LANDLINE)]),
    }


@pytest.mark.django_db
def test_finds_exactly_the_cases_with_that_phone_and_none_of_another_towns(client, town_x, phones):
    client.force_login(town_x)
    response = search(client, "139 1234 5678")  # spaces are dropped (core.validators.normalize_phone)
    assert response.status_code == 302
    location = response["Location"]
    assert MOBILE not in location and "1391234" not in location
    assert ledger_numbers(client, location) == {phones["a"].number, phones["b"].number}
    html = client.get(location).content.decode()
    assert '<span class="chip">电话：139****5678</span>' in html and "共 2 条" in html
    assert MOBILE not in html
    lookup = PiiLookup.objects.get()
    assert (lookup.user, lookup.kind, lookup.hits, lookup.reason) == (town_x, "phone", 2, REASON)
    entry = AuditEntry.objects.get(action="pii_view")
    assert "按电话查找（命中2件）" in entry.detail and MOBILE not in entry.detail
    assert phones["c"].number not in entry.object_label


@pytest.mark.django_db
def test_a_village_sees_its_own_and_the_county_every_town(client, secretary_a, county_user, phones):
    client.force_login(secretary_a)
    assert ledger_numbers(client, search(client, MOBILE)["Location"]) == {phones["a"].number}
    client.force_login(county_user)
    assert ledger_numbers(client, search(client, MOBILE)["Location"]) == {
        phones["a"].number, phones["b"].number, phones["c"].number}


@pytest.mark.django_db
def test_a_landline_is_found_whichever_way_it_is_typed(client, town_x, phones):
    client.force_login(town_x)
    assert ledger_numbers(client, search(client, "05376812345")["Location"]) == {phones["land"].number}


@pytest.mark.django_db
def test_the_other_filters_are_kept_and_combine(client, town_x, phones):
    client.force_login(town_x)
    location = search(client, MOBILE, query=f"division={VILLAGE_B}&page=3&phone=old")["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query["division"] == [VILLAGE_B] and "page" not in query and query["phone"] != ["old"]
    assert ledger_numbers(client, location) == {phones["b"].number}


@pytest.mark.django_db
def test_a_token_of_another_session_or_an_expired_one_finds_nothing(client, town_x, county_user, phones):
    client.force_login(town_x)
    location = search(client, MOBILE)["Location"]
    client.force_login(county_user)  # a new session: the token means nothing there
    html = client.get(location).content.decode()
    assert "没有符合条件的纠纷" in html and "查找已失效，请重新查找" in html
    client.force_login(town_x)
    location = search(client, MOBILE)["Location"]
    session = client.session
    for kept in session[PHONE_SEARCHES].values():
        kept["at"] = time.time() - PHONE_SEARCH_TTL - 1
    session.save()
    assert ledger_numbers(client, location) == set()
    for forged in ("x" * 500, "%00", "<script>"):
        response = client.get(LEDGER, {"phone": forged})
        assert response.status_code == 200 and "共 0 条" in response.content.decode()
    assert client.get(LEDGER, {"phone": "a\x00b"}).status_code == 400  # refused before the view (NUL byte)


@pytest.mark.django_db
def test_a_unit_finds_the_cases_it_holds_not_those_it_reads_through_a_4ding(client, make_case, secretary_a,
                                                                          town_x, county_user, unit_user):
    land_unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    held = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, parties=[party_row("王德胜", phone=MOBILE)])
    services.transfer_to_unit(actor=county_user, dispute=held, unit=land_unit, reason="土地确权争议")
    assigned = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, parties=[party_row("王德胜", phone=MOBILE)])
    services.fix_assignment(actor=town_x, dispute=assigned, lead_leader=town_x, responsible_unit=land_unit,
                            responsible_person=unit_user, measures="实地勘界")
    visible = set(cases_visible_to(unit_user).values_list("pk", flat=True))
    assert {held.pk, assigned.pk} <= visible  # the unit reads both
    client.force_login(unit_user)
    assert ledger_numbers(client, search(client, MOBILE)["Location"]) == {held.number}
    # policy.lookup_scope says, case by case, what works_on_case says (one rule, two forms)
    for user in (unit_user, town_x, county_user, secretary_a):
        scoped = set(cases_visible_to(user).filter(policy.lookup_scope(user)).values_list("pk", flat=True))
        for case in cases_visible_to(user):
            assert (case.pk in scoped) == policy.works_on_case(user, case), (user, case.number)


@pytest.mark.django_db
def test_roles_that_may_not_look_numbers_up_get_403_and_their_filter_finds_nothing(client, make_user, phones,
                                                                                 town_x, rf):
    from org.models import Role
    from tests.conftest import COUNTY, TOWN_X

    for user in (make_user(Role.DISCIPLINE, TOWN_X), make_user(Role.SUPERVISOR, COUNTY)):
        client.force_login(user)
        assert client.get(SEARCH).status_code == 403 and search(client, MOBILE).status_code == 403
        assert "按电话查找" not in client.get(LEDGER).content.decode()
        hashes = services.pii.phone_hashes(MOBILE)
        forged = DisputeFilter({"phone": "t"}, queryset=cases_visible_to(user), user=user,
                               phone_searches={"t": {"hashes": hashes, "shown": "x", "at": time.time()}})
        assert not forged.qs.exists()
    assert not PiiLookup.objects.exists()


@pytest.mark.django_db
def test_bad_input_is_refused_at_the_field_and_nothing_is_searched(client, town_x, phones):
    client.force_login(town_x)
    response = search(client, "12345", reason="查")
    html = response.content.decode()
    assert response.status_code == 400 and "请修改以下2处：" in html
    assert "请输入11位手机号" in html and "请写明查找理由，至少4个字。" in html
    assert search(client, MOBILE, reason=f"核实 {MOBILE}").status_code == 400  # no number in the reason
    assert not PiiLookup.objects.exists() and not AuditEntry.objects.filter(action="pii_view").exists()
    assert client.get(SEARCH).status_code == 200


@pytest.mark.django_db
def test_over_the_hourly_budget_is_429(client, settings, town_x, phones):
    settings.PII_REVEALS_PER_HOUR = 1
    client.force_login(town_x)
    assert search(client, MOBILE).status_code == 302
    response = search(client, MOBILE)
    assert response.status_code == 429 and "合计已达1次上限" in response.content.decode()
    assert PiiLookup.objects.count() == 1


@pytest.mark.django_db
def test_the_export_follows_the_search_and_logs_the_phone_masked(client, town_x, phones):
    client.force_login(town_x)
    location = search(client, MOBILE)["Location"]
    response = client.get(reverse("cases:export") + "?" + urlsplit(location).query)
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = AuditEntry.objects.get(action="export")
    assert "电话=139****5678" in entry.detail and "共 2 条" in entry.detail


@pytest.mark.django_db
def test_the_ledger_with_a_phone_search_keeps_its_query_count(client, make_case, town_x, secretary_a):
    first = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", phone=MOBILE)])

    def clone(n, tag):
        rows = []
        for i in range(n):
            c = Dispute.objects.get(pk=first.pk)
            c.pk, c.number = None, f"{first.number}-{tag}{i}"
            rows.append(c)
        Party.objects.bulk_create([Party(dispute=d, **party_row("王德胜", phone=MOBILE))
                                   for d in Dispute.objects.bulk_create(rows)])

    clone(30, "A")
    client.force_login(town_x)
    location = search(client, MOBILE)["Location"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(location).status_code == 200
        return len(ctx.captured_queries), ctx

    small, _ = count()
    clone(400, "B")
    large, ctx = count()
    assert small == large <= 10, [q["sql"] for q in ctx.captured_queries]
    assert "共 431 条" in client.get(location).content.decode()
