"""Plans checked in tests (issue 14, point 3): for each hot query, on a seeded table of 60,000 cases, EXPLAIN
shows the intended index is used: no sequential scan over cases or parties, no sort of a whole jurisdiction.

The queries are the ones the pages really run: each page is fetched through the test client, every SELECT it ran
on cases or parties is captured and explained (EXPLAIN ANALYZE, so row counts are real). Run with -s to see the
plans. PostgreSQL only (the planner is what is tested); the planner is left as configured (no enable_seqscan).

The seed (one module-scoped transaction, rolled back at the end) is shaped like a county after two years: 12% of
the cases in 嘉祥街道 (town X; 7,200, so its page 200 exists), 3% in 刘山村 (village A, 1,800), the rest spread over
the other 420 villages, registered in time order (as a live system inserts them) over two years, old cases mostly
finished, a few overdue cases still open (most already marked by the sweep), two
parties per case with names from a pool, and three cases with a rare full name and a known phone.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cases.models import OPEN_STATUSES, ClockMarkKind, Dispute, Party
from cases.services.supervision import CANDIDATE_FIELDS, _unmarked
from org.models import Membership, Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, restore_database

from .plan_helpers import WHOLE_JURISDICTION, capture, case_selects, explain_all, index_names, problems, rows_read

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="query plans are PostgreSQL's"),
]

N = 60_000
STEP_MINUTES = 17  # 60,000 × 17 min ≈ two years of registrations, the newest a few minutes ago
RARE_NAME = "上官婉"  # a full name of three characters on three cases only
RARE_CASES = (12_345, 33_333, 55_555)
PHONE = "13912345678"  # given to the rare name's applicants by the phone test
SEEDED = ("cases_dispute", "cases_party", "cases_clockmark", "cases_casetally")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英",
         "华", "平", "建国", "桂兰", "玉梅", "志强", "海燕", "红霞", "文", "刚", "鹏", "霞"]
TITLES = ["宅基地边界纠纷", "婚姻家庭纠纷", "邻里排水纠纷", "土地承包纠纷", "劳务工资纠纷", "交通事故赔偿纠纷",
          "物业服务纠纷", "房屋买卖合同纠纷"]
CATEGORIES = ["marriage_family", "neighbour", "housing", "contract", "business", "damages", "land", "expropriation",
              "environment", "labour", "consumer", "medical", "traffic", "property_mgmt", "other"]


def _run(cursor, sql, params=None):
    """Run seed SQL written with a plain `%` for modulo (doubled here for the driver's parameter style)."""
    cursor.execute(sql.replace(" % ", " %% ") if params else sql, params)


def _seed(creator_id: int):
    recent = N - (90 * 24 * 60) // STEP_MINUTES  # cases registered in the last 90 days: g > recent
    with connection.cursor() as c:
        _run(c, f"""
        CREATE TEMP TABLE seed_case ON COMMIT DROP AS
        WITH v AS (
          SELECT array_agg(code ORDER BY code) FILTER (WHERE parent_id = %(town)s AND code <> %(village)s) AS tx,
                 array_agg(code ORDER BY code) FILTER (WHERE parent_id <> %(town)s) AS other
          FROM org_division WHERE level = 'village'
        )
        SELECT g,
               CASE WHEN g % 100 < 3 THEN %(village)s
                    WHEN g % 100 < 12 THEN v.tx[1 + (g / 100) % cardinality(v.tx)]
                    ELSE v.other[1 + (g / 7) % cardinality(v.other)] END AS village,
               now() - ((%(n)s - g) * interval '{STEP_MINUTES} minutes') AS at,
               CASE WHEN g > %(recent)s THEN (ARRAY['logged','in_progress','in_progress','referred','resolved',
                                                    'closed','closed','rejected'])[1 + g % 8]
                    WHEN g % 50 = 0 THEN 'in_progress'
                    WHEN g % 25 = 1 THEN 'rejected'
                    WHEN g % 2 = 0 THEN 'resolved' ELSE 'closed' END AS status,
               CASE WHEN g % 20 = 0 THEN 'red' WHEN g % 20 <= 2 THEN 'orange'
                    WHEN g % 20 <= 6 THEN 'yellow' ELSE 'blue' END AS risk,
               CASE WHEN g IN %(rare)s THEN %(rare_name)s
                    ELSE substr(%(surnames)s, 1 + g % 20, 1) || (%(given)s::text[])[1 + (g / 20) % 30] END AS a_name,
               substr(%(surnames)s, 1 + (g / 3) % 20, 1) || (%(given)s::text[])[1 + (g / 7) % 30] AS b_name
        FROM generate_series(1, %(n)s) g, v
        """, {"town": TOWN_X, "village": VILLAGE_A, "n": N, "recent": recent, "rare": RARE_CASES,
              "rare_name": RARE_NAME, "surnames": SURNAMES, "given": GIVEN})
        _run(c, """
        INSERT INTO cases_dispute (number, title, category, source, risk, people_involved, arose_on, place,
            description, status, tier, deadline, created_at, updated_at, version, created_by_id, holder_division_id,
            village_id, town_id, outcome, outcome_note, reopen_count, resolved_at, first_resolved_at,
            first_resolved_on_time, closed_at, search_text)
        SELECT 'JX-' || to_char(s.at, 'YYYY') || '-' || lpad(s.g::text, 6, '0'),
               s.a_name || '与' || s.b_name || (%(titles)s::text[])[1 + s.g % 8],
               (%(categories)s::text[])[1 + s.g % 15], 'screening', s.risk, 2, (s.at - interval '1 day')::date,
               '村东', '', s.status, CASE WHEN s.status = 'referred' OR s.g % 10 = 7 THEN 'town' ELSE 'village' END,
               s.at + interval '7 days', s.at, s.at, 1, %(creator)s,
               CASE WHEN s.status = 'referred' OR s.g % 10 = 7 THEN d.parent_id ELSE s.village END,
               s.village, d.parent_id,
               CASE WHEN s.status IN ('resolved', 'closed') THEN 'success' ELSE '' END, '', 0,
               CASE WHEN s.status IN ('resolved', 'closed') THEN s.at + interval '5 days' END,
               CASE WHEN s.status IN ('resolved', 'closed') THEN s.at + interval '5 days' END,
               CASE WHEN s.status IN ('resolved', 'closed') THEN true END,
               CASE WHEN s.status = 'closed' THEN s.at + interval '6 days' END,
               lower('JX-' || to_char(s.at, 'YYYY') || '-' || lpad(s.g::text, 6, '0') || ' ' || s.a_name || '与'
                     || s.b_name || (%(titles)s::text[])[1 + s.g % 8] || ' ' || s.a_name || ' ' || s.b_name)
        FROM seed_case s JOIN org_division d ON d.code = s.village ORDER BY s.g
        """, {"titles": TITLES, "categories": CATEGORIES, "creator": creator_id})
        # The search text above already holds the party names: the party triggers need not recompute it.
        # (ALTER TABLE needs the deferred foreign-key checks of the rows above run first.)
        c.execute("SET CONSTRAINTS ALL IMMEDIATE")
        c.execute("ALTER TABLE cases_party DISABLE TRIGGER cases_party_search_ins")
        _run(c, """
        INSERT INTO cases_party (role, name, sex, id_number, phone, address, dispute_id, village_id, id_hash,
                                 phone_hash)
        SELECT r.role, CASE WHEN r.role = 'applicant' THEN s.a_name ELSE s.b_name END, 'M', '', '', '', d.id,
               s.village, '',
               md5(s.g::text || r.role)
        FROM seed_case s JOIN cases_dispute d ON d.number = 'JX-' || to_char(s.at, 'YYYY') || '-' || lpad(s.g::text, 6, '0')
        CROSS JOIN (VALUES ('applicant'), ('respondent')) r(role)
        """)
        c.execute("ALTER TABLE cases_party ENABLE TRIGGER cases_party_search_ins")
        c.execute("SET CONSTRAINTS ALL DEFERRED")
        # The sweep has marked the overdue open cases already, but for one in seven (new since its last run).
        c.execute("""
        INSERT INTO cases_clockmark (kind, deadline, created_at, dispute_id)
        SELECT 'overdue', deadline, deadline, id FROM cases_dispute
        WHERE status IN ('logged', 'in_progress', 'referred') AND deadline < now() AND id % 7 <> 0
        """)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, db_snapshot):
    """60,000 cases and their users, committed and VACUUMed (the visibility map of a live table, which index-only
    scans depend on: a transaction cannot VACUUM), then the database restored as the session left it."""
    with django_db_blocker.unblock():
        try:
            with transaction.atomic():
                User = get_user_model()
                users = {}
                for name, role, code, unit in [("town_x", Role.TOWN_LEADER, TOWN_X, None),
                                               ("sec_a", Role.VILLAGE_SECRETARY, VILLAGE_A, None),
                                               ("county", Role.COUNTY_CENTRE, COUNTY, "嘉祥县社会治理协调中心")]:
                    users[name] = User.objects.create_user(username=f"plan_{name}", first_name=name)
                    Membership.objects.create(user=users[name], division_id=code, role=role,
                                              unit=Unit.objects.get(name=unit) if unit else None)
                _seed(users["county"].pk)
            with connection.cursor() as c:
                for table in SEEDED:
                    c.execute(f"VACUUM ANALYZE {table}")
            yield users
        finally:
            restore_database(db_snapshot)


def page_plans(client, user, url, title):
    client.force_login(user)
    response, captured = capture(lambda: client.get(url))
    assert response.status_code == 200, url
    return explain_all(case_selects(captured), title=f"{user.username} GET {url}")


def rows_query(plans):
    """The ledger's page query: the rows whose ids the LIMITed subquery picked (core.pagination.paginate)."""
    picked = [(sql, plan) for sql, plan in plans if " IN (SELECT " in sql and " LIMIT " in sql
              and sql.startswith('SELECT "cases_dispute"."id", "cases_dispute"."number"')]
    assert len(picked) == 1, [sql[:200] for sql, _ in plans]
    return picked[0]


def top_level_from(sql: str) -> str:
    """What follows the statement's own FROM (not a subquery's)."""
    depth = 0
    for i, ch in enumerate(sql):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and sql.startswith(" FROM ", i):
            return sql[i + 6:]
    return ""


def assert_clean(plans):
    bad = {sql[:300]: p for sql, plan in plans if (p := problems(plan))}
    assert not bad, bad


LEDGER = reverse("cases:list")
CREATED_INDEXES = {"dispute_created", "dispute_town_created", "dispute_village_created", "dispute_tier_created"}
RESOLVED_INDEXES = {"dispute_first_resolved"}


@pytest.mark.parametrize(("who", "query", "index"), [
    ("town_x", "", "dispute_town_created"),
    ("town_x", "?page=200", "dispute_town_created"),
    ("sec_a", "", "dispute_village_created"),
    ("county", "", "dispute_created"),
    ("county", "?page=200", "dispute_created"),
    ("town_x", "?risk=red", "dispute_town_created"),
    ("town_x", "?status=in_progress", "dispute_town_open"),  # 调处中 is an open status: the smaller index
    ("town_x", "?status=open", "dispute_town_open"),
    ("county", "?status=open", "dispute_open_created"),
    ("town_x", "?category=land", "dispute_town_created"),
    ("county", "?risk=red", "dispute_created"),
    ("town_x", "?clock=overdue", "dispute_town_open"),
    ("county", "?clock=overdue", "dispute_open_created"),
    ("county", f"?q={RARE_NAME}", "dispute_search_trgm"),
    ("town_x", f"?q={RARE_NAME}", "dispute_search_trgm"),
    ("county", "?q={number}", "cases_dispute_number_e6bad649_like"),  # the number's own (varchar_pattern_ops) index, by prefix
    # A one-character keyword has no trigrams: a common one walks the town's index to the first page. (At the
    # county the count's LIMIT 501 reads the table from its start and stops after a few thousand rows.)
    ("town_x", "?q=王", "dispute_town_created"),
])
def test_ledger_page_reads_its_index(client, world, who, query, index):
    if "{number}" in query:  # a case number as typed (upper case), of a case registered two thirds of the way in
        query = query.format(number=Dispute.objects.get(number__endswith=f"-{RARE_CASES[1]:06d}").number)
    plans = page_plans(client, world[who], LEDGER + query, f"ledger {query or 'page 1'}")
    assert_clean(plans)
    sql, plan = rows_query(plans)
    assert index in index_names(plan), sql


def test_phone_search_reads_the_phone_hash_index(client, world):
    """按电话查找: the POST finds the parties by their keyed hash, the ledger's ?phone=<token> filters by it."""
    user = world["town_x"]
    client.force_login(user)
    response = client.post(reverse("cases:phone_search"), {"phone": PHONE, "reason": "当事人来电核实", "query": ""})
    assert response.status_code == 302, response.content.decode()[:500]
    hashes = next(iter(client.session["ledger_phone_searches"].values()))["hashes"]
    # The rare name's applicants have the phone (one is in town X); the other 120,000 parties another.
    Party.objects.filter(dispute__number__regex=r"-0(12345|33333|55555)$", role="applicant").update(
        phone_hash=hashes[0])
    plans = page_plans(client, user, response["Location"], "phone token")
    assert_clean(plans)
    sql, plan = rows_query(plans)
    assert "party_phone_hash" in index_names(plan), sql
    lookup, captured = capture(lambda: client.post(reverse("cases:phone_search"),
                                                   {"phone": PHONE, "reason": "再次核实", "query": ""}))
    found = explain_all(case_selects(captured), title="phone look-up (POST)")
    assert_clean(found)
    assert any("party_phone_hash" in index_names(plan) for _, plan in found)


def test_home_counts_come_from_the_tally(client, world):
    """工作台: the three cards are sums over cases_casetally; only the five newest cases are read from the cases."""
    for who in ("town_x", "sec_a", "county"):
        client.force_login(world[who])
        response, captured = capture(lambda: client.get(reverse("home")))
        assert response.status_code == 200
        assert any('"cases_casetally"' in q["sql"] for q in captured)
        plans = explain_all(case_selects(captured), title=f"{who} home")
        assert not [sql for sql, _ in plans if "COUNT(" in sql.upper()], "a count over the cases"
        assert_clean(plans)
        assert len(plans) == 1 and index_names(plans[0][1]) & CREATED_INDEXES, plans[0][0]


def _sql(qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as c:
        return c.mogrify(sql, params).decode()


@pytest.mark.usefixtures("world")
def test_sweep_scans_read_the_open_deadline_index():
    """The sweep's case scans (cases.services.supervision.sweep), built exactly as it builds them."""
    now = timezone.now()
    open_cases = Dispute.objects.filter(status__in=OPEN_STATUSES, deadline__isnull=False)
    overdue = open_cases.filter(deadline__lt=now).filter(_unmarked(ClockMarkKind.OVERDUE)).only(*CANDIDATE_FIELDS)
    horizon = now + datetime.timedelta(days=3)
    soon = (open_cases.filter(deadline__gte=now, deadline__lte=horizon).filter(_unmarked(ClockMarkKind.DUE_SOON))
            .only(*CANDIDATE_FIELDS))
    for qs in (overdue, soon):
        (sql, plan), = explain_all([_sql(qs)], title="sweep")
        assert not problems(plan), problems(plan)
        assert "dispute_open_deadline" in index_names(plan), sql




@pytest.mark.parametrize("who", ["town_x", "county"])
def test_dashboard_cohorts_read_a_created_at_index(client, world, who):
    """统计: every query on the cases is clean; a period's cohort (created_at range) is read from an index on
    created_at, the flow 本期化解 (first_resolved_at range) from one on first_resolved_at."""
    today = timezone.localdate()  # the last 31 days, whatever today's date (本月 is two days long on the 2nd)
    period = f"?from={today - datetime.timedelta(days=30):%Y-%m-%d}&to={today:%Y-%m-%d}"
    plans = page_plans(client, world[who], reverse("stats:dashboard") + period, "dashboard, 31 days")
    on_cases = [(sql, plan) for sql, plan in plans if top_level_from(sql).startswith('"cases_dispute"')]
    cohorts = [(sql, plan) for sql, plan in on_cases if '"created_at" >= ' in sql]
    flows = [(sql, plan) for sql, plan in on_cases if '"first_resolved_at" >= ' in sql]
    assert cohorts and flows
    assert_clean(cohorts + flows)
    assert not [sql for sql, plan in cohorts if not index_names(plan) & CREATED_INDEXES]
    assert not [sql for sql, plan in flows if not index_names(plan) & (RESOLVED_INDEXES | CREATED_INDEXES)]


@pytest.mark.parametrize("who", ["town_x", "county"])
def test_dashboard_has_no_sequential_scan_over_cases(client, world, who):
    today = timezone.localdate()
    period = f"?from={today - datetime.timedelta(days=30):%Y-%m-%d}&to={today:%Y-%m-%d}"
    assert_clean(page_plans(client, world[who], reverse("stats:dashboard") + period, "dashboard, 31 days"))


def test_meeting_agenda_reads_indexes_only(client, world):
    """The town's weekly meeting: the agenda's cases (open town cases, pending referrals, open warnings, reviews)
    come from indexes, never from a scan of every case."""
    from tests.meetings import open_meeting

    meeting = open_meeting(world["town_x"])
    plans = page_plans(client, world["town_x"], reverse("meetings:detail", args=[meeting.pk]), "agenda")
    assert_clean(plans)
    # Nor a walk of the town's 7,200 cases filtered down to the agenda's few hundred: each scan of the cases reads
    # about what it returns (meetings.agenda.candidates; 75,927 rows read for 300 at 1,000,000 cases without it).
    walks = {sql[:300]: read for sql, plan in plans if (read := rows_read(plan)) > WHOLE_JURISDICTION}
    assert not walks, walks


def test_export_walks_the_towns_ledger_index(client, world):
    """导出Excel of a town's whole ledger (7,200 cases here): the ledger's order read from the town's index, the
    parties by their case index, chunk by chunk — no scan of the county's cases, no sort of the town."""
    client.force_login(world["town_x"])
    response, captured = capture(lambda: client.get(reverse("cases:export")))
    assert response.status_code == 200
    plans = explain_all(case_selects(captured), title="town_x GET export")
    assert_clean(plans)
    assert "dispute_town_created" in set().union(*(index_names(plan) for _, plan in plans))


def test_search_text_keeps_a_large_statistics_sample():
    """cases 0025: the planner's guess for a one-character keyword needs more than the default 100-entry histogram
    (with it, 王 was once estimated at 7 of a town's 76,227 cases and the whole town read and sorted)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT attstattarget FROM pg_attribute WHERE attrelid = 'cases_dispute'::regclass "
                       "AND attname = 'search_text'")
        assert cursor.fetchone()[0] >= 1000
