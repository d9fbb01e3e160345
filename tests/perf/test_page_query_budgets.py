"""Every list page named in issue 14 costs an exact, pinned number of queries, the same with a handful of rows as
with many (acceptance: "query counts are pinned in tests for every page named").

Each page is fetched once per role (the town leader `town_x`, the county centre `county_user`, the village secretary
`secretary_a`; the 纪委 user `discipline_x` for the supervision list) inside `django_assert_num_queries(N)`, in a
world of `SMALL` and of `LARGE` rows of every kind the page lists: cases in every state of the ledger's filters,
parties sharing a name and a phone, pending referrals, warnings, supervisions, 待办 items and an open weekly meeting
whose agenda holds every open town case. The same N must hold in both worlds, and the page must really show more
rows in the larger one (`ROWS`), so a per-row query (an N+1) fails here. A role the page refuses is pinned too: its
status (403, or 404 for a meeting outside the user's jurisdiction) and the queries of the refusal.

The pins are exact on purpose: a page that gains a query (a new badge, a lost select_related) fails here and the
pin is changed in the same commit that explains why. What the queries are, per page, is written beside each pin.

tests/cases/test_query_counts.py compares the ledger's count at 50 and 500 cases against a budget (≤ 9) for a few
filter combinations and the village home page; tests/cases/test_detail_query_budget.py pins the case detail page
(not repeated here); tests/meetings/test_agenda.py and tests/stats/test_dashboard_queries.py hold budgets for the
agenda and the dashboard. This module pins the exact counts of all of them per role, at two sizes.

Rows are made fast: a few cases through the services (`make_case`), the rest copied with bulk_create (the town
column, the search text and the per-village tally are kept by the database's triggers, cases/denorm.py).
"""

import copy
import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Dispute,
    EarlyWarning,
    Party,
    Referral,
    ReferralKind,
    Status,
    Supervision,
    Tier,
    WarningTarget,
)
from cases.services.numbering import reserve_numbers
from notify.models import Notification
from org.models import Role
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row
from tests.meetings import open_meeting

SMALL, LARGE = 5, 60
SMALL_FOR_PAGE_2 = 10  # the smallest world in which every role's ledger has a second page (page size 25)
NAME = "欧阳德胜"  # the applicant of every case: a keyword matching every row
PHONE = "13912345678"  # and the applicant's phone
DAY = datetime.timedelta(days=1)
NUMBER = re.compile(r"JX-\d{4}-\d{6}")


# --- the world -----------------------------------------------------------------------------------------------------


def copies(template, n, **fields):
    """n copies of `template` with real case numbers and two parties each (the applicant NAME with PHONE), in
    three queries; `fields` override the copies' columns."""
    if n <= 0:
        return []
    original = Dispute.objects.get(pk=template.pk)
    rows = []
    for number in reserve_numbers(timezone.localdate().year, n):
        row = copy.copy(original)
        row.pk, row.number, row.search_text = None, number, ""
        for k, v in fields.items():
            setattr(row, k, v)
        rows.append(row)
    created = Dispute.objects.bulk_create(rows)
    Party.objects.bulk_create([p for d in created for p in (
        Party(dispute=d, role="applicant", name=NAME, sex="M", phone=PHONE),
        Party(dispute=d, role="respondent", name=f"李{d.pk}", sex="F"))])
    return created


@pytest.fixture
def discipline_x(make_user):
    return make_user(Role.DISCIPLINE, TOWN_X, username="discipline_x")


@pytest.fixture
def world(make_case, secretary_a, secretary_b, secretary_c, town_x, county_user, discipline_x):
    """build(n): n rows of every kind (of village A, B and C; town X's agenda; town Y for the county)."""

    def build(n):
        now = timezone.now()
        parties = [party_row(NAME, phone=PHONE), party_row("李四", "respondent")]
        logged = make_case(secretary_a, VILLAGE_A, parties=parties)
        handled = make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS, risk="red", category="land",
                            parties=parties)
        town = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, parties=parties)
        referred = make_case(secretary_b, VILLAGE_B, parties=parties)
        services.refer_up(actor=secretary_b, dispute=referred, reason="村级调解未果")  # in town X's inbox
        other_town = make_case(secretary_c, VILLAGE_C, parties=parties)
        w = {
            "logged": [logged, *copies(logged, n - 1)],  # village A, 已登记, blue, housing
            "handled": [handled, *copies(handled, n - 1)],  # village A, 调处中, red, land
            "overdue": copies(handled, n, deadline=now - DAY, risk="orange", category="neighbour"),
            "town": [town, *copies(town, n - 1)],  # town X's 调处中 town cases: the agenda's items
            "referred": [referred, *copies(referred, n - 1)],  # village B, 已提请 to town X
            "to_county": copies(town, n, status=Status.REFERRED),  # town X, 已提请 to the county
            "other_town": [other_town, *copies(other_town, n - 1)],  # village C, town Y: the county's only
        }
        Referral.objects.bulk_create(
            [Referral(dispute=d, kind=ReferralKind.REFER, from_tier=Tier.VILLAGE, from_division_id=VILLAGE_B,
                      to_tier=Tier.TOWN, to_division_id=TOWN_X, reason="调解未果", created_by=secretary_b)
             for d in w["referred"][1:]]
            + [Referral(dispute=d, kind=ReferralKind.REFER, from_tier=Tier.TOWN, from_division_id=TOWN_X,
                        to_tier=Tier.COUNTY, to_division_id=COUNTY, reason="调解未果", created_by=town_x)
               for d in w["to_county"]])
        warning = {"level": "orange", "triggers": ["intensify"], "reasons": "情绪激化",
                   "reassess_on": timezone.localdate(), "respond_by": now + DAY}
        EarlyWarning.objects.bulk_create(
            [EarlyWarning(dispute=d, submitted_to=WarningTarget.TOWN_JOINT, tier=Tier.VILLAGE, division_id=VILLAGE_A,
                          raised_by=secretary_a, recipient_tier=Tier.TOWN, recipient_division_id=TOWN_X, **warning)
             for d in w["handled"]]
            + [EarlyWarning(dispute=d, submitted_to=WarningTarget.COUNTY, tier=Tier.TOWN, division_id=TOWN_X,
                            raised_by=town_x, recipient_tier=Tier.COUNTY, recipient_division_id=COUNTY, **warning)
               for d in w["town"]])
        Supervision.objects.bulk_create([
            Supervision(dispute=d, missed_deadline=now - DAY, due_at=now + 5 * DAY, division_id=TOWN_X)
            for d in w["overdue"]])
        Notification.objects.bulk_create([
            Notification(recipient=u, kind="referral", dispute=d, key=f"t{u.pk}-{d.pk}", text=f"待签收 {d.number}",
                         url=d.get_absolute_url())
            for u in (town_x, county_user, secretary_a, discipline_x) for d in w["logged"]])
        w["meeting"] = open_meeting(town_x)
        return w

    return build


# --- the pins --------------------------------------------------------------------------------------------------------

# Every request begins with the session, the user and the membership (3) and the page's frame ends with the
# 待办 badge's count (1): "4 +" below. A refusal costs those 4 and its audit entry (a 403), plus the lookup of what
# the user may not see (a 404). The counts are the same on SQLite and PostgreSQL (both run): no per-vendor pins.
LEDGER = 4 + 4  # the tallied or capped total, the page's cases, their parties; town and county: the 区划 choices
LEDGER_VILLAGE = 4 + 3  # a village has no 区划 drop-down

ledger = {"town_x": (200, LEDGER), "county_user": (200, LEDGER), "secretary_a": (200, LEDGER_VILLAGE)}


def url(name, query=""):
    return lambda w: reverse(name) + query


PAGES = {
    # name: (url of the world, {role: (status, queries)}, (rows shown at least: small world, large world))
    "ledger": (url("cases:list"), ledger, (SMALL, 25)),
    "ledger ?status=in_progress": (url("cases:list", "?status=in_progress"), ledger, (SMALL, 25)),
    "ledger ?status=open": (url("cases:list", "?status=open"), ledger, (SMALL, 25)),
    "ledger ?risk=red": (url("cases:list", "?risk=red"), ledger, (SMALL, 25)),
    "ledger ?category=land": (url("cases:list", "?category=land"), ledger, (SMALL, 25)),
    "ledger ?clock=overdue": (url("cases:list", "?clock=overdue"), ledger, (SMALL, 25)),
    "ledger ?page=2": (url("cases:list", "?page=2"), ledger, (1, 25)),
    "ledger ?q=<party name>": (url("cases:list", f"?q={NAME}"), ledger, (SMALL, 25)),
    "ledger ?q=<case number>": (lambda w: reverse("cases:list") + f"?q={w['logged'][-1].number}", ledger, (1, 1)),
    # the tally's cards (1) and the newest cases (1)
    "home": (url("home"), {r: (200, 4 + 2) for r in ledger}, (SMALL, 5)),
    "stats dashboard": (url("stats:dashboard"), {
        "town_x": (200, 4 + 18), "county_user": (200, 4 + 18), "secretary_a": (200, 4 + 17)}, (0, 0)),
    # the meeting, its attendance, last week's meeting, the agenda (cases, referrals, warnings, 四定, rules, parties'
    # villages, warnings' targets, the calendar), reviews, overrides; the convener: the people for the forms
    "meeting agenda": (lambda w: reverse("meetings:detail", args=[w["meeting"].pk]), {
        "town_x": (200, 4 + 14), "county_user": (200, 4 + 13), "secretary_a": (404, 4 + 2)}, (SMALL, LARGE)),
    "待办": (url("notify:inbox"), {r: (200, 4 + 2) for r in ledger}, (SMALL, 25)),  # the count, the page
    # the count per level, the count, the page
    "warnings list": (url("warnings:list"), {r: (200, 4 + 3) for r in ledger}, (SMALL, 25)),
    "warnings inbox": (url("warnings:inbox"), {
        "town_x": (200, 4 + 2), "county_user": (200, 4 + 2), "secretary_a": (403, 4 + 1)}, (SMALL, 25)),
    "referral inbox": (url("cases:inbox"), {
        "town_x": (200, 4 + 2), "county_user": (200, 4 + 2), "secretary_a": (403, 4 + 1)}, (SMALL, 25)),
    "supervision list": (url("supervision:list"), {
        "town_x": (403, 4 + 1), "county_user": (403, 4 + 1), "secretary_a": (403, 4 + 1),
        "discipline_x": (200, 4 + 3)}, (SMALL, 25)),
}


def shown(response) -> set[str]:
    return set(NUMBER.findall(response.content.decode()))


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["small", "large"])
@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_costs_the_same_pinned_queries_with_few_and_many_rows(page, size, world, client, request,
                                                                     django_assert_num_queries):
    url_of, pins, rows = PAGES[page]
    n = (SMALL_FOR_PAGE_2 if page.endswith("page=2") else SMALL) if size == "small" else LARGE
    w = world(n)
    target = url_of(w)
    for role, (status, queries) in pins.items():
        client.force_login(request.getfixturevalue(role))
        with django_assert_num_queries(queries, info=f"{page} as {role}, {n} rows of each kind"):
            response = client.get(target)
        assert response.status_code == status, role
        if status == 200:  # the larger world really is on the page: the same N covers more rows
            assert len(shown(response)) >= rows[size == "large"], role


# 按电话查找: the POST (session, user, membership; in a savepoint: the user's row locked, the hourly budget's two
# counts, the parties with that phone's keyed hash, the look-up and its audit entry; in another: the session saved
# with the search's token; each savepoint is 2 statements), then the ledger the redirect names (`?phone=<token>`, the same pins as the ledger's).
PHONE_POST = 3 + 11
PHONE_PINS = {"town_x": (PHONE_POST, LEDGER), "county_user": (PHONE_POST, LEDGER),
              "secretary_a": (PHONE_POST, LEDGER_VILLAGE)}


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["small", "large"])
def test_the_phone_search_and_its_ledger_cost_the_same_pinned_queries_with_few_and_many_rows(
        size, world, client, request, django_assert_num_queries):
    world(SMALL if size == "small" else LARGE)
    for role, (post_queries, ledger_queries) in PHONE_PINS.items():
        client.force_login(request.getfixturevalue(role))
        with django_assert_num_queries(post_queries, info=f"按电话查找 POST as {role}"):
            response = client.post(reverse("cases:phone_search"), {"phone": PHONE, "reason": "核实来电"})
        assert response.status_code == 302, role
        location = response["Location"]
        assert "?phone=" in location and PHONE not in location
        with django_assert_num_queries(ledger_queries, info=f"ledger ?phone=<token> as {role}"):
            response = client.get(location)
        assert response.status_code == 200, role
        assert len(shown(response)) >= (SMALL if size == "small" else 25), role
