"""Time the case list and detail pages against the configured database, as real users see them.

    manage.py benchmark [--repeat 30] [--user USERNAME] [--explain]
    manage.py benchmark --export [--user USERNAME]

Requests go through django.test.Client (force_login, every middleware, templates rendered) as HTTPS requests to
Host 127.0.0.1, so neither SECURE_SSL_REDIRECT nor ALLOWED_HOSTS needs changing. When django-otp is installed the
bench accounts get a confirmed TOTP device and their session is marked verified, as after a real 2FA login.

Per page: HTTP status, SQL queries (captured on one warm-up request), median and p95 wall time over --repeat
requests, and the median CPU time of this process (Django, templates and, on SQLite, the database itself; not the
PostgreSQL server's share), which stays meaningful on a busy machine. WARNING lines for any SQL with
COUNT(DISTINCT or SELECT DISTINCT, a median over 200 ms, a too-deep page that is not clamped, or a status other
than 200. Run with DEBUG=false for production-like timings (with DEBUG every SQL statement is logged).

--export measures the ledger's Excel export instead (issue 10: 50,000 rows in ≤ 15 s and ≤ 150 MB): the county
centre's (or --user's) unfiltered ledger, first EXPORT_ROWS rows in the ledger's order, written by the same
`cases.exports.write_ledger` as the 导出Excel link into a temporary file. It prints the rows, wall and CPU seconds,
SQL statements, file size and the process's peak RSS (ru_maxrss) with the targets beside them. Run it in a fresh
process: the peak RSS is the whole process's, so nothing else is measured in the same run.

Creates or updates bench_town / bench_county / bench_village (BENCHMARK ONLY accounts, no usable password).
"""

import datetime
import math
import os
import resource
import statistics
import sys
import tempfile
import time
import unicodedata
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.http.request import validate_host
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.exports import write_ledger
from cases.filters import DisputeFilter
from cases.models import Category, Dispute, Risk, Status
from cases.selectors import case_export_rows, cases_visible_to
from org.jurisdiction import COUNTY_CODE
from org.models import Division, Membership, Role, Unit

TOWN_CODE = "370829001000"  # 嘉祥街道
FALLBACK_VILLAGE = "370829001209"  # 刘山村 (used when there are no cases yet)
CENTRE_UNIT_NAME = "嘉祥县社会治理协调中心"
COMMON_SURNAME = "王"
SLOW_MS = 200
# The county dashboard (issue 10): ≤ 300 ms uncached at 1,000,000 cases on PostgreSQL; its rows are judged by this.
DASHBOARD_MS = 300
DASHBOARD_MONTH = "统计 本月"
CLAMP_TEXT = "页码过深"  # the list template's message for a clamped page number
EXPORT_ROWS = 50_000  # issue 10: the ledger export of 50,000 rows ...
EXPORT_SECONDS, EXPORT_MB = 15, 150  # ... in at most 15 s and 150 MB peak RSS


def scenarios(detail_number):
    """(label, path, expect_clamped) for one user."""
    base = reverse("cases:list")
    filtered = urlencode({"status": Status.IN_PROGRESS, "risk": Risk.RED, "category": Category.LAND})
    rows = [
        ("列表第1页", base, False),
        ("筛选 调处中+红+山林土地", f"{base}?{filtered}", False),
        (f"关键词 q={COMMON_SURNAME}", f"{base}?{urlencode({'q': COMMON_SURNAME})}", False),
        ("深分页 page=200", f"{base}?page=200", False),
        ("越界 page=5000（应截断）", f"{base}?page=5000", True),
    ]
    if detail_number:
        rows.append(("案件详情", reverse("cases:detail", args=[detail_number]), False))
    dashboard = reverse("stats:dashboard")  # by URL name only: cases does not import stats
    # 本月 early in a month is a few days; the whole previous month is the honest monthly figure.
    first = timezone.localdate().replace(day=1)
    last_month = {"from": (first - datetime.timedelta(days=1)).replace(day=1).isoformat(),
                  "to": (first - datetime.timedelta(days=1)).isoformat()}
    rows += [(DASHBOARD_MONTH, dashboard, False), ("统计 上月（整月）", f"{dashboard}?{urlencode(last_month)}", False),
             ("统计 本季度", f"{dashboard}?period=quarter", False)]
    return rows


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int, right=False) -> str:
    fill = " " * max(0, size - width(text))
    return fill + text if right else text + fill


def peak_rss_mb() -> float:
    """The process's peak resident set size so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def p95(values):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Command(BaseCommand):
    help = "测量纠纷台账列表、筛选、搜索、深分页和详情页的耗时与SQL条数（基准测试用）。"

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30, help="每个页面计时请求次数（默认30）")
        parser.add_argument("--user", help="只测该用户（须已有归属与角色）；默认测镇街、县中心、村书记三个基准账号")
        parser.add_argument("--explain", action="store_true", help="打印第一个用户列表页主查询的执行计划")
        parser.add_argument("--export", action="store_true",
                            help=f"改为测量台账导出Excel（{EXPORT_ROWS}行，县中心或 --user 的台账）的耗时和进程内存峰值")

    def handle(self, *args, repeat, user, explain, verbosity, export=False, **options):
        if not 1 <= repeat <= 10_000:
            raise CommandError(f"--repeat 应在 1 到 10000 之间（收到 {repeat}）。")
        if not Division.objects.filter(code=TOWN_CODE).exists():
            raise CommandError("尚未导入区划，请先运行 manage.py load_divisions（以及 seed_benchmark 生成数据）。")
        users = [self.named_user(user)] if user else self.bench_users()
        if export:
            return self.measure_export(*(users[0] if user else users[1]))  # bench_county reads the whole county
        host = self.host()
        total = Dispute.objects.count()
        self.stdout.write(
            f"数据库 {connection.vendor}，纠纷共 {total} 条；每页计时 {repeat} 次（另有1次预热并统计SQL）；"
            f"Host {host}；DEBUG={settings.DEBUG}"
        )
        if settings.DEBUG:
            self.stdout.write(self.style.WARNING(
                "注意：DEBUG=True 时每条SQL都会记录日志，耗时偏高；请以 DEBUG=false 运行以得到接近生产的数据。"
            ))

        results, warnings, explained = [], [], False
        for u, label in users:
            visible = cases_visible_to(u)
            detail = visible.order_by("-created_at", "-id").values_list("number", flat=True).first()
            self.stdout.write(f"· {label}：可见纠纷 {visible.count()} 条")
            client = Client(HTTP_HOST=host, SERVER_NAME=host)
            client.force_login(u)
            self.pass_second_factor(client, u, create=not user)
            for name, url, expect_clamped in scenarios(detail):
                row, queries = self.measure(client, url, repeat)
                row.update(user=label, name=name)
                warnings += [f"{label} · {name}：{w}" for w in self.assess(row, queries, expect_clamped)]
                results.append(row)
                if verbosity >= 2:
                    for q in queries:
                        self.stdout.write(f"    [{q['time']}s] {q['sql']}")
                if explain and not explained and name != "案件详情":
                    self.explain(label, name, queries)
            explained = explained or explain

        self.print_table(results)
        for w in warnings:
            self.stdout.write(self.style.WARNING(f"WARNING: {w}"))
        if not warnings:
            self.stdout.write(self.style.SUCCESS(
                f"无警告：未发现 DISTINCT 查询，深页码已截断，列表与详情中位数均在 {SLOW_MS} ms 以内，"
                f"统计页在 {DASHBOARD_MS} ms 以内。"
            ))

    # --- users -------------------------------------------------------------------------------------------------

    def bench_users(self):
        busiest = (Dispute.objects.values("village_id").annotate(n=Count("id")).order_by("-n", "village_id")
                   .values_list("village_id", flat=True).first()) or FALLBACK_VILLAGE
        centre = Unit.objects.filter(name=CENTRE_UNIT_NAME, division_id=COUNTY_CODE).first()
        specs = [
            ("bench_town", TOWN_CODE, Role.TOWN_LEADER, None),
            ("bench_county", COUNTY_CODE, Role.COUNTY_CENTRE, centre),
            ("bench_village", busiest, Role.VILLAGE_SECRETARY, None),
        ]
        User = get_user_model()
        users = []
        for username, code, role, unit in specs:
            user, created = User.objects.get_or_create(username=username, defaults={"first_name": "基准测试"})
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            m, _ = Membership.objects.update_or_create(
                user=user, defaults={"division_id": code, "role": role, "unit": unit, "title": "基准测试"}
            )
            users.append((user, f"{username}（{m.get_role_display()}·{Division.objects.get(code=code).name}）"))
        return users

    def named_user(self, username):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"用户“{username}”不存在。")
        m = Membership.objects.select_related("division").filter(user=user).first()
        if m is None:
            raise CommandError(f"用户“{username}”没有归属与角色，无法访问纠纷台账。")
        return user, f"{username}（{m.get_role_display()}·{m.division.name}）"

    def pass_second_factor(self, client, user, *, create):
        """Mark the session as 2FA-verified (django-otp), as the real login does after the TOTP step.

        Bench accounts get a confirmed TOTP device if they have none; a named --user only uses an existing one."""
        if "django_otp" not in settings.INSTALLED_APPS or "django_otp.plugins.otp_totp" not in settings.INSTALLED_APPS:
            return
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None and create:
            device = TOTPDevice.objects.create(user=user, name="基准测试", confirmed=True)
        if device is not None:
            session = client.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    def host(self):
        for candidate in ["127.0.0.1", *settings.ALLOWED_HOSTS]:
            if candidate and not candidate.startswith((".", "*")) and validate_host(candidate, settings.ALLOWED_HOSTS):
                return candidate
        raise CommandError("ALLOWED_HOSTS 中没有可用于测试请求的具体主机名（例如 127.0.0.1）。")

    # --- measuring -----------------------------------------------------------------------------------------------

    def measure_export(self, user, label):
        """The 导出Excel path without HTTP: the ledger's filter (none) on the export selector, the ledger's order."""
        cases = DisputeFilter.for_user(QueryDict(), user, case_export_rows(user)).qs
        available = cases.order_by().values("pk")[: EXPORT_ROWS + 1].count()
        self.stdout.write(f"数据库 {connection.vendor}；导出 {label} 的台账（不加筛选）前 {EXPORT_ROWS} 行；"
                          f"DEBUG={settings.DEBUG}")
        if available < EXPORT_ROWS:
            self.stdout.write(self.style.WARNING(
                f"可见纠纷只有 {available} 条，不足 {EXPORT_ROWS} 条：只导出 {available} 行，结果不能与目标直接比较"
                f"（请先运行 seed_benchmark --cases {EXPORT_ROWS}）。"
            ))
        before = peak_rss_mb()
        with tempfile.TemporaryDirectory(prefix="ledger-export-") as tmp, CaptureQueriesContext(connection) as ctx:
            path = os.path.join(tmp, "ledger.xlsx")
            t0, c0 = time.perf_counter(), time.process_time()
            rows = write_ledger(cases[:EXPORT_ROWS], path, tmpdir=tmp)
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
            size = os.path.getsize(path) / 1024 / 1024
        peak = peak_rss_mb()
        seconds_ok, memory_ok = elapsed <= EXPORT_SECONDS, peak <= EXPORT_MB
        self.stdout.write("")
        self.stdout.write(f"导出行数     {rows}")
        self.stdout.write(f"耗时         {elapsed:.1f} 秒（CPU {cpu:.1f} 秒）  目标 ≤ {EXPORT_SECONDS} 秒  "
                          f"{'达标' if seconds_ok else '超标'}")
        self.stdout.write(f"进程峰值内存 {peak:.0f} MB（导出前峰值 {before:.0f} MB，增加 {peak - before:.0f} MB）  "
                          f"目标 ≤ {EXPORT_MB} MB  {'达标' if memory_ok else '超标'}")
        self.stdout.write(f"SQL条数      {len(ctx.captured_queries)}")
        self.stdout.write(f"文件大小     {size:.1f} MB")
        self.stdout.write("")
        for ok, what in ((seconds_ok, f"导出耗时超过 {EXPORT_SECONDS} 秒"), (memory_ok, f"进程峰值内存超过 {EXPORT_MB} MB")):
            if not ok:
                self.stdout.write(self.style.WARNING(f"WARNING: {what}"))
        if seconds_ok and memory_ok:
            self.stdout.write(self.style.SUCCESS(f"无警告：导出耗时与进程峰值内存均在目标以内（{rows} 行）。"))

    def measure(self, client, url, repeat):
        row = {"url": url, "queries": None, "median": None, "p95": None, "cpu": None, "clamped": False}
        try:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, secure=True)  # warm-up: caches, session, and the SQL count
            # Copy now: captured_queries is a view on connection.queries, which the next request resets.
            queries = list(ctx.captured_queries)
            row["status"] = response.status_code
            row["location"] = response.headers.get("Location", "")
            row["queries"] = len(queries)
            row["clamped"] = CLAMP_TEXT in response.content.decode(errors="replace")
            times, cpu = [], []
            for _ in range(repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                r = client.get(url, secure=True)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                if r.status_code != row["status"]:
                    row["status"] = r.status_code
        except Exception as exc:  # a crashing page is a result too; keep measuring the others
            row.update(status="ERR", error=repr(exc)[:300])
            return row, []
        row["median"], row["p95"], row["cpu"] = statistics.median(times), p95(times), statistics.median(cpu)
        return row, queries

    @staticmethod
    def assess(row, queries, expect_clamped) -> list[str]:
        """Fill row["notes"]; return the warnings for this page."""
        notes, warnings = [], []
        if row["status"] != 200:
            where = f" → {row['location']}" if row.get("location") else ""
            warnings.append(f"HTTP {row['status']}（{row['url']}{where}）{row.get('error', '')}")
        if expect_clamped and row["status"] == 200:
            if row["clamped"]:
                notes.append("已截断")
            else:
                notes.append("未截断!")
                warnings.append(f"页码未被截断，也没有“{CLAMP_TEXT}”提示（{row['url']}）")
        limit = DASHBOARD_MS if row["url"].startswith(reverse("stats:dashboard")) else SLOW_MS
        if row["median"] is not None and row["median"] > limit:
            notes.append(f">{limit}ms")
            warnings.append(f"中位数 {row['median']:.1f} ms，超过 {limit} ms")
        # DISTINCT over the case list is the trap (a join that multiplies rows); the dashboard's one DISTINCT counts
        # warned cases on the small warnings table (stats.figures.warnings_by_level) and is meant.
        for q in (queries if limit == SLOW_MS else []):
            sql = q["sql"].upper()
            if "COUNT(DISTINCT" in sql or "SELECT DISTINCT" in sql:
                warnings.append(f"SQL 含 DISTINCT：{q['sql'][:300]}")
        row["notes"] = " ".join(notes)
        return warnings

    def explain(self, label, name, queries):
        """EXPLAIN (ANALYZE on PostgreSQL) the page's count and row SELECTs on cases_dispute, as captured."""
        table = Dispute._meta.db_table
        for q in queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT") or table not in sql:
                continue
            if "LIMIT" not in sql.upper():
                continue
            prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
            if connection.vendor not in ("postgresql", "sqlite"):
                prefix = "EXPLAIN "
            self.stdout.write(f"\n--- 执行计划：{label} · {name} ---\n{sql}")
            try:
                with connection.cursor() as cursor:
                    cursor.execute(prefix + sql)
                    plan = cursor.fetchall()
            except Exception as exc:
                self.stdout.write(f"(无法执行 EXPLAIN：{exc})")
                continue
            for r in plan:
                self.stdout.write("  " + (str(r[-1]) if connection.vendor != "postgresql" else str(r[0])))

    def print_table(self, results):
        heads = ["用户", "页面", "HTTP", "SQL数", "中位数ms", "p95 ms", "CPU中位ms", "备注"]
        cells = [
            [r["user"], r["name"], str(r["status"]), "—" if r["queries"] is None else str(r["queries"]),
             *("—" if r[k] is None else f"{r[k]:.1f}" for k in ("median", "p95", "cpu")), r["notes"]]
            for r in results
        ]
        sizes = [max(width(h), *(width(c[i]) for c in cells)) for i, h in enumerate(heads)]
        right = {2, 3, 4, 5, 6}

        def line(values):
            while values and not values[-1]:  # no dangling separator when the notes are empty
                values = values[:-1]
            return " | ".join(pad(v, sizes[i], i in right) for i, v in enumerate(values)).rstrip()

        self.stdout.write("")
        self.stdout.write(line(heads))
        self.stdout.write("-+-".join("-" * s for s in sizes))
        for c in cells:
            self.stdout.write(line(c))
        self.stdout.write("")
