"""Bulk-seed many realistic fictitious disputes for load testing (BENCHMARK ONLY; never on a production database).

    manage.py seed_benchmark [--cases 100000] [--seed 829] [--batch 5000] [--weeks 16]

Every batch is one transaction: numbers reserved with one `reserve_numbers` call (per year), disputes, their 2–3
parties and one "logged" timeline event per case inserted with `bulk_create`; then the disputes' timestamps that
`auto_now`/`auto_now_add` overwrote at insert are put back with one set-based UPDATE per chunk of rows
(`WITH v(...) AS (VALUES ...) UPDATE ... FROM v`, valid on PostgreSQL and SQLite ≥ 3.33). Timeline events are dated
at insert instead: the timeline refuses UPDATE on PostgreSQL (cases/migrations/0013).

Not idempotent: every run adds `--cases` more disputes, so use a throwaway database. Requires `load_divisions`
(and, for county cases held by a unit, `seed_reference`). All people are fictitious (cases.demo_data).
"""

import contextlib
import datetime
import itertools
import random
import time

from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from cases import denorm
from cases.demo_data import ADDRESS_SUFFIX, RISK_WEIGHTS, SOURCE_WEIGHTS, TEMPLATES, id_number, mobile, person_name
from cases.management.commands.seed_demo import OUTCOMES
from cases.models import OPEN_STATUSES, CaseEvent, Dispute, EventKind, Outcome, Party, Risk, Status, Tier
from cases.services.numbering import reserve_numbers
from core import crypto
from core.fields import encrypted_fields, row_aad
from org.jurisdiction import COUNTY_CODE, subtree_q
from org.models import Division, Level, Unit
from perf import backlog
from perf import meetings as perf_meetings
from perf.copy import SPENT
from perf.seeding import CopyWriter, Pipeline

CREATOR_USERNAME = "bench_creator"
CENTRE_UNIT_NAME = "县涉土纠纷人民调解委员会"
MAX_CASES = 5_000_000
MAX_BATCH = 100_000
VACUUM_TABLES = ["cases_dispute", "cases_party", "cases_caseevent", "cases_referral", "cases_assignment", "cases_duty",
                 "cases_warning", "cases_supervision", "cases_casetally", "meetings_review", "meetings_meeting",
                 "org_person", "cases_clockmark"]
AGENDA_NATURAL = 240  # at most this many of the benchmark meeting's items are the town's own open cases
RESULTS = [(Outcome.SUCCESS, 80), (Outcome.PARTIAL, 15), (Outcome.WITHDRAWN, 5)]


def cumulative(pairs):
    return [p for p, _ in pairs], list(itertools.accumulate(w for _, w in pairs))


OPEN_RECENT = datetime.timedelta(weeks=8)  # cases registered in the last eight weeks keep the demo's open share ...
OLD_OPEN_SHARE = 0.13  # ... older ones stay open this often (the rest were resolved or closed)

class Command(BaseCommand):
    help = "批量生成大量基准测试用纠纷（仅供性能测试，人员信息均为虚构；每次执行都会追加，请使用专用数据库）。"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000, help=f"生成纠纷条数（1–{MAX_CASES}，默认100000）")
        parser.add_argument("--seed", type=int, default=829, help="随机种子（默认829）")
        parser.add_argument("--batch", type=int, default=5000,
                            help=f"每批条数，每批一个事务（1–{MAX_BATCH}，默认5000）")
        parser.add_argument("--weeks", type=int, default=16, help="登记时间分布在最近多少周内（1–520，默认16）")

    def handle(self, *args, cases, seed, batch, weeks, **options):
        if not 1 <= cases <= MAX_CASES:
            raise CommandError(f"--cases 应在 1 到 {MAX_CASES} 之间（收到 {cases}）。")
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch 应在 1 到 {MAX_BATCH} 之间（收到 {batch}）。")
        if not 1 <= weeks <= 520:
            raise CommandError(f"--weeks 应在 1 到 520 之间（收到 {weeks}）。")
        county = Division.objects.filter(code=COUNTY_CODE).first()
        villages = list(
            Division.objects.filter(subtree_q("code", (COUNTY_CODE, Level.COUNTY)), level=Level.VILLAGE).select_related("parent")
        )
        if county is None or not villages:
            raise CommandError("尚未导入区划（未找到嘉祥县及其村/社区），请先运行 manage.py load_divisions。")

        rng = random.Random(seed)
        pg = connection.vendor == "postgresql"
        try:
            generator = Generator(
                rng, county=county, villages=villages, creator=self.creator(), now=timezone.now(),
                centre_unit=Unit.objects.filter(name=CENTRE_UNIT_NAME).first(),  # present once seed_reference ran
                people=min(max(cases // 2, 1000), 50_000),
            )
            if pg:
                towns = list(Division.objects.filter(code__in={v.parent_id for v in villages}).order_by("code"))
                people, units = perf_meetings.directory(rng, [*towns, county])
                generator.copy_writer = CopyWriter(county_id=county.pk, creator_id=generator.creator.pk,
                                                   now=generator.now, directory=people, units=units, rng=rng)
                generator.plan_agenda(cases)
        except ImproperlyConfigured as exc:  # e.g. the key for encrypted party fields is not set
            raise CommandError(str(exc)) from exc
        span = datetime.timedelta(weeks=weeks)
        start = generator.now - span
        self.stdout.write(
            f"开始生成基准纠纷 {cases} 条：{len(villages)} 个村/社区，最近 {weeks} 周，每批 {batch} 条，"
            f"数据库 {connection.vendor}。"
        )
        if connection.vendor == "sqlite":
            # A bigger page cache for this connection only: the party-name and number indexes outgrow the 2 MB
            # default after a few tens of thousands of cases and every batch then pays for page misses.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -131072")
        t0, c0 = time.perf_counter(), time.process_time()
        totals = {"disputes": 0, "parties": 0, "events": 0}
        # With DEBUG on, Django logs every statement (on SQLite re-quoting all parameters with an extra query),
        # which would nearly double the cost of the inserts; nobody reads that log here.
        pipeline = None
        if pg and not connection.in_atomic_block:
            # A trigram GIN index grows slowly row by row: built once at the end instead (denorm.install).
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS dispute_search_trgm")
            pipeline = Pipeline()
            generator.copy_writer.sink = pipeline.put
        with override_settings(DEBUG=False), contextlib.ExitStack() as stack:
            if pipeline is not None:
                stack.callback(pipeline.close)
            for lo in range(0, cases, batch):
                hi = min(cases, lo + batch)
                # Batch k covers the k-th slice of the time span, so case numbers rise with registration time.
                created = sorted(start + span * ((lo + rng.random() * (hi - lo)) / cases) for _ in range(hi - lo))
                try:
                    batch_counts = generator.write_batch(created)
                except ImproperlyConfigured as exc:  # e.g. the key for encrypted party fields is not set
                    raise CommandError(str(exc)) from exc
                for key, n in batch_counts.items():
                    totals[key] = totals.get(key, 0) + n
                self.stdout.write(
                    f"  已写入 {hi}/{cases} 条（{hi * 100 // cases}%），用时 {time.perf_counter() - t0:.1f} 秒"
                )

        if pipeline is not None:
            t1 = time.perf_counter()
            denorm.install()  # re-creates the trigram index dropped above (and leaves the triggers as they were)
            self.stdout.write(f"已重建关键词索引，用时 {time.perf_counter() - t1:.1f} 秒。")
        elapsed = max(time.perf_counter() - t0, 1e-6)
        cpu = time.process_time() - c0
        meeting = None
        if pg:
            with override_settings(DEBUG=False), transaction.atomic():
                towns = list(Division.objects.filter(code__in={v.parent_id for v in villages}).order_by("code"))
                made = perf_meetings.weekly_meetings(rng, towns, convener=generator.creator, now=generator.now)
                meeting, items = perf_meetings.benchmark_meeting(now=generator.now)
                made["notifications"] = perf_meetings.inbox(now=generator.now)
                made.update(backlog.mark_as_swept(generator.now))  # as if swept daily until yesterday
            self.stdout.write("工作记录：" + "，".join(f"{k} {v}" for k, v in {**totals, **made}.items()))
            self.stdout.write("COPY 用时（秒）：" + "，".join(f"{t} {s:.1f}" for t, s in SPENT.items()))
            self.vacuum_analyze()
        rows = sum(totals.values())
        self.stdout.write(self.style.SUCCESS(
            f"完成：纠纷 {totals['disputes']} 条、当事人 {totals['parties']} 条、案件动态 {totals['events']} 条，"
            f"共 {rows} 行；用时 {elapsed:.1f} 秒，{totals['disputes'] / elapsed:.0f} 条纠纷/秒，"
            f"{rows / elapsed:.0f} 行/秒；本进程CPU {cpu:.1f} 秒。"
        ))
        if meeting is not None:
            self.stdout.write(f"基准例会（嘉祥街道本周，{items}项议程）：id={meeting.pk}，"
                              f"{meeting.get_absolute_url()}")

    def vacuum_analyze(self):
        """What autovacuum would do a little later. The timestamp UPDATEs leave one dead row version per row, and
        until VACUUM has run the visibility map is empty (no index-only scans) and the planner has no statistics,
        so a benchmark straight after seeding would measure plans production never sees."""
        t0 = time.perf_counter()
        # VACUUM cannot run inside a transaction (e.g. a test case); ANALYZE alone still gives the statistics.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            for table in VACUUM_TABLES:
                cursor.execute(f"{verb} {connection.ops.quote_name(table)}")
        self.stdout.write(f"已执行 {verb}（清理旧行版本、更新统计信息），用时 {time.perf_counter() - t0:.1f} 秒。")

    def creator(self):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=CREATOR_USERNAME, defaults={"first_name": "基准测试登记人"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user


class Generator:
    """Builds and writes batches. Same shape as `demo_data.dispute_fields`, but people come from a pool generated
    once (names, ID numbers and phones cost ~30 µs each; drawing from a pool costs nothing)."""

    def __init__(self, rng, *, county, villages, creator, now, centre_unit, people):
        self.rng, self.county, self.villages, self.creator, self.now = rng, county, villages, creator, now
        self.centre_unit = centre_unit
        self.people = []
        for _ in range(people):
            sex = rng.choice("MF")
            id_no, phone = id_number(rng, sex), mobile(rng)
            # The blind-index hashes depend on the value only: once per person (the COPY path writes them).
            self.people.append((person_name(rng), sex, id_no, phone, crypto.id_hash(id_no), crypto.id_hash(phone)))
        # Uneven but stable load per village: a few busy villages, most quiet, all 453 get cases at 100k.
        self.village_cum = list(itertools.accumulate(rng.lognormvariate(0, 0.7) for _ in villages))
        self.outcomes, self.outcome_cum = [o[:2] for o in OUTCOMES], list(itertools.accumulate(o[2] for o in OUTCOMES))
        self.risks, self.risk_cum = cumulative(RISK_WEIGHTS)
        self.sources, self.source_cum = cumulative(SOURCE_WEIGHTS)
        self.results, self.result_cum = cumulative(RESULTS)
        self.copy_writer = None
        self.agenda_town, self.agenda_left, self.agenda_share = None, 0, 0.0

    def plan_agenda(self, cases):
        """Thin the benchmark town's open town cases and waiting referrals to about AGENDA_NATURAL in all, evenly
        over time (perf.meetings.benchmark_meeting fills its agenda up to exactly 300 with reviews)."""
        village_w = [b - a for a, b in zip([0, *self.village_cum], self.village_cum)]
        outcome_w = [b - a for a, b in zip([0, *self.outcome_cum], self.outcome_cum)]
        share = sum(w for v, w in zip(self.villages, village_w) if v.parent_id == perf_meetings.BENCH_TOWN)
        eligible = sum(w for (status, tier), w in zip(self.outcomes, outcome_w) if self.on_town_agenda(status, tier))
        share, eligible = share / self.village_cum[-1], eligible / self.outcome_cum[-1]
        expected = cases * share * eligible
        self.agenda_town, self.agenda_left = perf_meetings.BENCH_TOWN, AGENDA_NATURAL
        self.agenda_share = min(1.0, 0.8 * AGENDA_NATURAL / expected) if expected else 1.0

    def party(self, role, village_name):
        person = self.rng.choice(self.people)
        name, sex, id_no, phone = person[:4]
        address = self.rng.choice(ADDRESS_SUFFIX).format(v=village_name, n=self.rng.randrange(1, 300))
        return {"role": role, "name": name, "sex": sex, "id_number": id_no, "phone": phone, "address": address,
                "person": person}

    def draw(self, created: list[datetime.datetime]) -> list[dict]:
        """The batch's cases as plain dicts (every column, parties under "parties"), for either writer."""
        rng, n = self.rng, len(created)
        villages = rng.choices(self.villages, cum_weights=self.village_cum, k=n)
        outcomes = rng.choices(self.outcomes, cum_weights=self.outcome_cum, k=n)
        risks = rng.choices(self.risks, cum_weights=self.risk_cum, k=n)
        sources = rng.choices(self.sources, cum_weights=self.source_cum, k=n)
        numbers = self.numbers(created)
        cases = []
        for number, at, village, (status, tier), risk, source in zip(numbers, created, villages, outcomes, risks,
                                                                      sources):
            short = village.short_name
            if status in OPEN_STATUSES and self.now - at > OPEN_RECENT and rng.random() > OLD_OPEN_SHARE:
                # Old cases are mostly done (a county's open work is its recent weeks plus a tail of hard cases):
                # at 1,000,000 cases over three years about 100,000 stay open, as issue 14's sweep target assumes.
                status = Status.CLOSED if rng.random() < 0.6 else Status.RESOLVED
            if village.parent_id == self.agenda_town and self.on_town_agenda(status, tier):
                status, tier = self.agenda_slot(status, tier)
            ps = [self.party("applicant", short), self.party("respondent", short)]
            if rng.random() < 0.15:
                ps.append(self.party("third", short))
            category, title, description = rng.choice(TEMPLATES)
            names = {"a": ps[0]["name"], "b": ps[1]["name"], "v": short}
            serious = risk in (Risk.RED, Risk.ORANGE)
            done = status in (Status.RESOLVED, Status.CLOSED)
            updated = at if status == Status.LOGGED else min(at + datetime.timedelta(hours=rng.uniform(1, 240)),
                                                              self.now)
            deadline = at + datetime.timedelta(days=21 if tier == Tier.COUNTY else 7)
            cases.append({
                "number": number, "title": title.format(**names)[:100], "category": category, "subcategory_id": None,
                "source": source, "risk": risk,
                "people_involved": rng.choice([3, 5, 6, 8, 12] if serious else [2, 2, 2, 3, 4]),
                "arose_on": timezone.localtime(at).date() - datetime.timedelta(days=rng.randrange(0, 10)),
                "village_id": village.pk, "place": short, "description": description.format(**names),
                "status": status, "tier": tier,
                "holder_division_id": {Tier.VILLAGE: village.pk, Tier.TOWN: village.parent_id,
                                       Tier.COUNTY: self.county.pk}[tier],
                "holder_unit_id": (self.centre_unit.pk if self.centre_unit and tier == Tier.COUNTY
                                   and rng.random() < 0.5 else None),
                "deadline": deadline, "created_by_id": self.creator.pk, "created_at": at, "updated_at": updated,
                "version": 1,
                "outcome": rng.choices(self.results, cum_weights=self.result_cum)[0] if done else "",
                "outcome_note": "", "resolved_at": updated if done else None,
                "reopen_count": 0,
                "first_resolved_at": updated if done else None,
                "first_resolved_on_time": (updated <= deadline) if done else None,
                "closed_at": updated if status in (Status.CLOSED, Status.REJECTED) else None,
                "town_id": village.parent_id, "village_name": village.name, "parties": ps,
            })
        return cases

    # The benchmark town's meeting shows exactly AGENDA_ITEMS cases (perf.meetings): its open town cases and the
    # referrals waiting for it are thinned to at most AGENDA_NATURAL (the rest stay at the village), and the
    # meeting's reviews fill the agenda up.
    def on_town_agenda(self, status, tier):
        return (tier == Tier.TOWN and status in OPEN_STATUSES) or (tier == Tier.VILLAGE and status == Status.REFERRED)

    def agenda_slot(self, status, tier):
        if self.agenda_left > 0 and self.rng.random() < self.agenda_share:
            self.agenda_left -= 1
            return status, tier
        return Status.IN_PROGRESS, Tier.VILLAGE

    @transaction.atomic
    def write_batch(self, created: list[datetime.datetime]) -> dict:
        cases = self.draw(created)
        if self.copy_writer is not None:
            return self.copy_writer.write(cases)
        return self.write_orm(cases)

    def write_orm(self, cases: list[dict]) -> dict:
        """bulk_create (SQLite and other databases): disputes, parties and one "logged" event per case."""
        skip = {"parties", "village_name", "search_text"}
        disputes = [Dispute(**{k: v for k, v in c.items() if k not in skip}) for c in cases]
        Dispute.objects.bulk_create(disputes)
        set_columns(Dispute._meta.db_table, ["created_at", "updated_at"],
                    [(d.pk, c["created_at"], c["updated_at"]) for d, c in zip(disputes, cases)])
        party_rows = [Party(dispute_id=d.pk, **{k: v for k, v in p.items() if k != "person"})
                      for d, c in zip(disputes, cases) for p in c["parties"]]
        Party.objects.bulk_create(party_rows)
        # bulk_create stored field-bound ciphertexts (no primary key yet): bind them to their rows (docs/pii.md).
        fields = encrypted_fields(Party)
        set_columns(Party._meta.db_table, [f.column for f in fields],
                    [(p.pk, *(crypto.encrypt_bound(v, aad=row_aad(Party, f.name, p.pk)) if (v := getattr(p, f.attname))
                              else "" for f in fields)) for p in party_rows])
        events = [
            CaseEvent(dispute_id=d.pk, actor_id=self.creator.pk, kind=EventKind.LOGGED, new_value=Status.LOGGED.label,
                      note=f"（基准测试数据）登记于{c['village_name']}，当事人{len(c['parties'])}人："
                      + "、".join(p["name"] for p in c["parties"]))
            for d, c in zip(disputes, cases)
        ]
        for e, c in zip(events, cases):
            e.at = c["created_at"]
        with given_timestamps(CaseEvent, "at"):  # the timeline refuses UPDATE (PostgreSQL): dated at insert
            CaseEvent.objects.bulk_create(events)
        return {"disputes": len(cases), "parties": len(party_rows), "events": len(events)}

    def numbers(self, created):
        """One `reserve_numbers` call per year in the batch (a sorted batch straddles New Year at most once)."""
        numbers = []
        for year, group in itertools.groupby(created, key=lambda at: timezone.localtime(at).year):
            numbers += reserve_numbers(year, len(list(group)))
        return numbers


@contextlib.contextmanager
def given_timestamps(model, name):
    """`bulk_create` keeps the values given for the `auto_now_add` field `name` (instead of stamping now)."""
    field = model._meta.get_field(name)
    field.auto_now_add = False
    try:
        yield
    finally:
        field.auto_now_add = True


def set_columns(table: str, columns: list[str], rows: list[tuple]) -> None:
    """UPDATE `columns` of `table` from rows of (pk, value, ...): one set-based statement per chunk of rows.

    `WITH v(...) AS (VALUES ...) UPDATE t SET ... FROM v WHERE t.id = v.pk` runs as-is on PostgreSQL and on
    SQLite ≥ 3.33 (UPDATE … FROM): a join, instead of one UPDATE per row or bulk_update's CASE over every id.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    width = len(columns) + 1
    chunk = max(1, (connection.features.max_query_params or 30_000) // width)
    names = ", ".join(["pk", *(f"c{i}" for i in range(len(columns)))])
    sets = ", ".join(f"{qn(col)} = v.c{i}" for i, col in enumerate(columns))
    placeholder = "(" + ", ".join(["%s"] * width) + ")"
    def adapt(value):
        return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime.datetime) else value
    with connection.cursor() as cursor:
        for lo in range(0, len(rows), chunk):
            part = rows[lo : lo + chunk]
            sql = (f"WITH v({names}) AS (VALUES {', '.join([placeholder] * len(part))}) "
                   f"UPDATE {qn(table)} SET {sets} FROM v WHERE {qn(table)}.{qn('id')} = v.pk")
            cursor.execute(sql, [x for pk, *values in part for x in (pk, *map(adapt, values))])
