"""The citizen's public status page /q/<查询码>/ (issue 13 #4, docs/citizen.md): no login, no personal data, a
rate limit per client address, every look-up audited (without the code), a friendly 404, codes that are random,
unambiguous, stored only encrypted and hashed."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CitizenCode, Dispute, Status
from cases.services import citizen
from tests.conftest import VILLAGE_A

ID_APPLICANT = "370829198506150038"  # valid check digits (core.validators.id_check_char)
ID_RESPONDENT = "11010519491231002X"
MOBILE, LANDLINE = "13812345678", "0537-6812345"
ADDRESS = "嘉祥街道刘山村东街88号"
DESCRIPTION = "王五家西墙倒塌砸坏赵六家的三轮车，双方对赔偿数额争执不下。"
TITLE = "王五与赵六财产损害赔偿纠纷"
PARTIES = [
    {"role": "applicant", "name": "王五", "sex": "M", "id_number": ID_APPLICANT, "phone": MOBILE, "address": ADDRESS},
    {"role": "respondent", "name": "赵六", "sex": "F", "id_number": ID_RESPONDENT, "phone": LANDLINE,
     "address": ADDRESS},
]
ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE_PATTERN = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()  # the per-address counters live in the cache
    yield
    cache.clear()


def code_of(case) -> str:
    return CitizenCode.objects.get(dispute=case).code


def status_url(case) -> str:
    return reverse("public:status", args=[code_of(case)])


def leaks(body: str, case) -> list[str]:
    """What of the case's personal data and content the page holds: its parties' actual values, the title and
    description, the village, and anything shaped like an 18-digit ID number or an 11-digit mobile."""
    found = [v for p in case.parties.all() for v in (p.name, p.id_number, p.phone, p.address, p.id_number.lower())
             if v and v in body]
    found += [v for v in (case.title, case.description, case.village.name, case.village.short_name, "东街")
              if v in body]
    found += [m.group() for m in ID_PATTERN.finditer(body)]
    found += [m.group() for m in MOBILE_PATTERN.finditer(body)]
    found += [v for v in (LANDLINE, LANDLINE.replace("-", "")) if v in body]
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.LOGGED, Status.IN_PROGRESS, Status.CLOSED, Status.REJECTED])
def test_the_public_page_shows_status_and_dates_and_no_personal_data(client, make_case, secretary_a, status):
    case = make_case(secretary_a, VILLAGE_A, status=status, parties=PARTIES, title=TITLE, description=DESCRIPTION)
    response = client.get(status_url(case))  # anonymous: outside the login wall
    assert response.status_code == 200
    body = response.content.decode()
    assert leaks(body, case) == []
    case = Dispute.objects.get(pk=case.pk)
    assert case.get_status_display() in body and case.number in body
    assert "嘉祥街道" in body  # the town is shown, the village is not
    assert f"{timezone.localtime(case.created_at):%Y}年" in body and "登记日期" in body  # Beijing's year (New Year's Eve UTC)


@pytest.mark.django_db
def test_the_leak_scan_finds_what_a_staff_page_shows(client, make_case, secretary_a):
    """The scan above means something: on the holder's own case page it finds the names, title and description."""
    case = make_case(secretary_a, VILLAGE_A, parties=PARTIES, title=TITLE, description=DESCRIPTION)
    client.force_login(secretary_a)
    body = client.get(case.get_absolute_url()).content.decode()
    assert {"王五", "赵六", TITLE, DESCRIPTION} <= set(leaks(body, case))


@pytest.mark.django_db
def test_the_public_page_needs_no_login_and_is_never_cached_or_indexed(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    response = client.get(status_url(case))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow" and response["Referrer-Policy"] == "same-origin"
    assert client.get(reverse("public:start")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["ABCD-EFGH-JKMN", "0000000000OO", "x", "A" * 200])
def test_an_unknown_code_is_a_friendly_chinese_404_and_is_audited(client, db, typed):
    response = client.get(reverse("public:status", args=[typed]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "未找到该查询码" in body and "请核对回执上的查询码" in body
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.outcome) == ("access_denied", "failure")
    assert typed not in entry.path and typed not in entry.detail and entry.ip == "127.0.0.1"


@pytest.mark.django_db
def test_every_lookup_is_audited_without_the_code(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    code = code_of(case)
    before = AuditEntry.objects.count()
    client.get(status_url(case), REMOTE_ADDR="10.1.2.3")
    client.get(status_url(case), REMOTE_ADDR="10.1.2.3")
    rows = list(AuditEntry.objects.order_by("id")[before:])
    assert len(rows) == 2
    for row in rows:
        assert (row.action, row.outcome, row.object_label, row.ip) == ("export", "success", case.number, "10.1.2.3")
        assert row.object_type == "cases.dispute" and row.object_id == str(case.pk)
        assert code not in row.path and code not in row.detail and row.path == "/q/（查询码略）/"
        assert row.user_id is None


@pytest.mark.django_db
def test_the_rate_limit_per_address_answers_429_in_chinese(client, make_case, secretary_a, settings):
    settings.CITIZEN_LOOKUPS_PER_WINDOW = 3
    case = make_case(secretary_a, VILLAGE_A)
    url = status_url(case)
    assert [client.get(url, REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(url, REMOTE_ADDR="10.0.0.7")
    assert limited.status_code == 429
    assert "查询过于频繁" in limited.content.decode() and int(limited["Retry-After"]) > 0
    assert AuditEntry.objects.filter(action="access_denied", ip="10.0.0.7", detail__contains="429").count() == 1
    # Guessing codes counts too; another address has its own budget.
    assert client.get(reverse("public:status", args=["ABCDEFGHJKMN"]), REMOTE_ADDR="10.0.0.7").status_code == 429
    assert client.get(url, REMOTE_ADDR="10.0.0.8").status_code == 200


@pytest.mark.django_db
def test_the_window_passes_and_the_budget_returns(make_case, secretary_a, settings):
    import datetime

    from django.utils import timezone

    settings.CITIZEN_LOOKUPS_PER_WINDOW, settings.CITIZEN_WINDOW_SECONDS = 2, 600
    now = timezone.now()
    citizen.throttle("10.0.0.9", "lookup", now=now)
    citizen.throttle("10.0.0.9", "lookup", now=now)
    with pytest.raises(citizen.TooManyLookups):
        citizen.throttle("10.0.0.9", "lookup", now=now)
    citizen.throttle("10.0.0.9", "lookup", now=now + datetime.timedelta(seconds=601))


@pytest.mark.django_db
def test_the_start_page_takes_a_typed_code_in_any_spelling(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    code = code_of(case)
    typed = citizen.format_code(code).lower().replace("-", " - ")
    response = client.get(reverse("public:start"), {"code": typed})
    assert response.status_code == 302 and response["Location"] == reverse("public:status", args=[code])
    bad = client.get(reverse("public:start"), {"code": "12345"})
    assert bad.status_code == 400 and "查询码为12位" in bad.content.decode() and 'id="error-summary"' in bad.content.decode()


@pytest.mark.django_db
def test_codes_are_random_unambiguous_and_stored_only_encrypted_and_hashed(make_case, secretary_a):
    cases = [make_case(secretary_a, VILLAGE_A) for _ in range(5)]
    codes = [code_of(c) for c in cases]
    assert len(set(codes)) == 5
    for code in codes:
        assert len(code) == 12 and set(code) <= set(citizen.ALPHABET)
        assert not set(code) & set("01ILO")
    with connection.cursor() as cursor:
        cursor.execute("SELECT code, code_hash FROM cases_citizencode")
        raw = cursor.fetchall()
    for stored, hashed in raw:
        assert all(code not in stored and code not in hashed for code in codes)
        assert len(hashed) == 64
    assert citizen.find_by_code(codes[0]) == cases[0]
    assert citizen.find_by_code(codes[0].lower()) == cases[0]
    assert citizen.find_by_code(codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")) is None


def test_new_codes_cover_the_alphabet():
    drawn = "".join(citizen.new_code() for _ in range(300))
    assert set(drawn) == set(citizen.ALPHABET)
    assert len(citizen.ALPHABET) ** citizen.CODE_LENGTH > 2 ** 58
