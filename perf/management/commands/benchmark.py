"""Time every hot page against the configured database beside a bare ceiling page, as real users see them.

    manage.py benchmark [--repeat 15] [--user USERNAME] [--only TEXT] [--explain] [--no-export]
    manage.py benchmark --export [--user USERNAME]
    manage.py benchmark --sweep

The ceiling (issue 14, perf.views.ceiling): one primary-key index query for 50 cases rendered in a bare 7-column
table, through the same middleware, requested by the same client. For every page the ceiling and the page are
requested alternately (`--repeat` times each, after one warm-up), so both see the same machine load; the table
prints per page: HTTP status, SQL queries (counted on the warm-up), median and p95 wall time, the median CPU time
of this process, the ceiling's median measured alongside, the ratio page/ceiling, the target and whether it is met
(docs/performance.md). Pages: the ledger (page 1, each common filter incl. 已逾期, page 200, the clamp at 5000,
keyword by party name, by case number, by a common surname, and by phone through 按电话查找), the home page, case
detail, the dashboard (本月, 上月, 本季度), the weekly meeting's agenda (the largest open one in the user's town),
待办, the warning list and inbox, the referral inbox; then the 50,000-row export in a fresh process (its peak RSS
is the whole process's) unless --no-export.

Requests go through django.test.Client (force_login, every middleware, templates rendered) as HTTPS requests to
Host 127.0.0.1. When django-otp is installed the bench accounts get a confirmed TOTP device and their session is
marked verified, as after a real 2FA login. Run with DEBUG=false for production-like timings.

--export measures the ledger's Excel export alone (50,000 rows in ≤ 15 s and ≤ 150 MB peak RSS): the county
centre's (or --user's) unfiltered ledger, first EXPORT_ROWS rows in the ledger's order, written by the same
`cases.exports.write_ledger` as the 导出Excel link into a temporary file.

--sweep runs sweep_deadlines once in a child process and prints its wall time and peak RSS (≤ 60 s and ≤ 300 MB
at 1,000,000 cases with 100,000 open). It really sweeps (yellow and red cards, supervisions): a benchmark database
only.

Creates or updates bench_town / bench_county / bench_village (BENCHMARK ONLY accounts, no usable password).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.http.request import validate_host
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from cases import policy
from cases.exports import write_ledger
from cases.filters import DisputeFilter
from cases.models import Dispute, Party
from cases.selectors import case_export_rows, cases_visible_to
from meetings import agenda
from meetings.models import Meeting, MeetingStatus
from org.jurisdiction import COUNTY_CODE
from org.models import Division, Membership, Role, Unit
from org.selectors import membership_of
from perf.scenarios import p95, pad, peak_rss_mb, scenarios, width

TOWN_CODE = "370829001000"  # 嘉祥街道
FALLBACK_VILLAGE = "370829001209"  # 刘山村 (used when there are no cases yet)
CENTRE_UNIT_NAME = "嘉祥县社会治理协调中心"
CEILING_URL = "/_bench/ceiling/"  # perf.urls, only inside this command
CLAMP_TEXT = "页码过深"  # the list template's message for a clamped page number
EXPORT_ROWS = 50_000  # issue 14: the ledger export of 50,000 rows ...
EXPORT_SECONDS, EXPORT_MB = 15, 150  # ... in at most 15 s and 150 MB peak RSS
DASHBOARD_MS = 300  # the dashboard: ≤ 300 ms uncached (a time, not a ratio)
DETAIL_QUERIES = 8  # case detail: ≤ 8 queries however long the history
SWEEP_SECONDS, SWEEP_MB = 60, 300  # sweep_deadlines over 1,000,000 cases with 100,000 open


class Command(BaseCommand):
    help = "测量纠纷台账列表、筛选、搜索、深分页和详情页的耗时与SQL条数（基准测试用）。"

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=15, help="每个页面计时请求次数（默认15，与上限页交替）")
        parser.add_argument("--user", help="只测该用户（须已有归属与角色）；默认测镇街、县中心、村书记三个基准账号")
        parser.add_argument("--only", help="只测名称含此文字的页面（如“台账”“统计”）")
        parser.add_argument("--explain", action="store_true", help="打印第一个用户列表页主查询的执行计划")
        parser.add_argument("--no-export", action="store_true", help="不在最后另起进程测量导出")
        parser.add_argument("--sweep", action="store_true",
                            help="只测量 sweep_deadlines（另起进程）的耗时和内存峰值；会真实写入提醒和督办，请在基准库上运行")
        parser.add_argument("--export", action="store_true",
                            help=f"只测量台账导出Excel（{EXPORT_ROWS}行，县中心或 --user 的台账）的耗时和进程内存峰值")

    def handle(self, *args, repeat, user, explain, verbosity, export=False, only=None, no_export=False, sweep=False,
               **options):
        if not 1 <= repeat <= 10_000:
            raise CommandError(f"--repeat 应在 1 到 10000 之间（收到 {repeat}）。")
        if not Division.objects.filter(code=TOWN_CODE).exists():
            raise CommandError("尚未导入区划，请先运行 manage.py load_divisions（以及 seed_benchmark 生成数据）。")
        if sweep:
            return self.measure_sweep()
        users = [self.named_user(user)] if user else self.bench_users()
        if export:
            return self.measure_export(*(users[0] if user else users[1]))  # bench_county reads the whole county
        host = self.host()
        total = Dispute.objects.count()
        self.stdout.write(
            f"数据库 {connection.vendor}，纠纷共 {total} 条；每页计时 {repeat} 次，与上限页（主键索引取50条、7列表格、"
            f"同样的中间件）交替请求，另有1次预热并统计SQL；Host {host}；DEBUG={settings.DEBUG}"
        )
        if settings.DEBUG:
            self.stdout.write(self.style.WARNING(
                "注意：DEBUG=True 时每条SQL都会记录日志，耗时偏高；请以 DEBUG=false 运行以得到接近生产的数据。"
            ))

        results, warnings, explained = [], [], False
        with override_settings(ROOT_URLCONF="perf.urls"):
            for u, label in users:
                visible = cases_visible_to(u)
                client = Client(HTTP_HOST=host, SERVER_NAME=host)
                client.force_login(u)
                self.pass_second_factor(client, u, create=not user)
                ctx = self.context(client, u, visible)
                self.stdout.write(f"· {label}：可见纠纷 {ctx['visible']} 条")
                for sc in scenarios(ctx):
                    if only and only not in sc.name:
                        continue
                    row, queries = self.measure(client, sc.url, repeat)
                    if row["status"] == 403:  # e.g. 待签收 for a village secretary: not this role's page
                        self.stdout.write(f"  （{sc.name}：该角色无此页，跳过）")
                        continue
                    row.update(user=label, name=sc.name)
                    warnings += [f"{label} · {sc.name}：{w}" for w in self.assess(row, queries, sc)]
                    results.append(row)
                    if verbosity >= 2:
                        for q in queries:
                            self.stdout.write(f"    [{q['time']}s] {q['sql']}")
                    if explain and not explained and sc.name == "台账第1页":
                        self.explain(label, sc.name, queries)
                explained = explained or explain

        self.print_table(results)
        ceilings = [r["ceiling"] for r in results if r.get("ceiling")]
        if ceilings:
            self.stdout.write(f"上限页中位数（全部页面的伴随测量）：{statistics.median(ceilings):.1f} ms；"
                              f"达标 {sum(r['met'] is True for r in results)} 页，"
                              f"超标 {sum(r['met'] is False for r in results)} 页，"
                              f"无目标 {sum(r['met'] is None for r in results)} 页。")
        for w in warnings:
            self.stdout.write(self.style.WARNING(f"WARNING: {w}"))
        if not warnings:
            self.stdout.write(self.style.SUCCESS("无警告：所有页面均达标，无 DISTINCT 查询，深页码已截断。"))
        if not no_export and not only:
            self.export_in_fresh_process()

    def context(self, client, user, visible) -> dict:
        """What the scenarios need for this user: the newest case (detail, its number as a keyword), a party's full
        name, a phone token from a real 按电话查找 (when the role may look numbers up), the largest open meeting
        of the user's division, whether the user has a dashboard."""
        ctx = {"visible": visible.count()}
        newest = visible.order_by("-created_at", "-id").values_list("pk", "number").first()
        if newest:
            ctx["number"] = newest[1]
            party = Party.objects.filter(dispute_id=newest[0]).order_by("id").first()
            if party is not None:
                ctx["name"] = party.name
                if party.phone and policy.can_lookup_pii(user):
                    response = client.post(reverse("cases:phone_search"),
                                           {"phone": party.phone, "reason": "基准测试：核实来电当事人是否已有登记"},
                                           secure=True)
                    ctx["phone_token"] = parse_qs(urlsplit(response.headers.get("Location", "")).query).get(
                        "phone", [None])[0]
        m = membership_of(user)
        ctx["dashboard"] = policy.can_view_dashboard(user)
        meeting = self.largest_open_meeting(m)
        if meeting:
            ctx["meeting"], ctx["agenda_size"] = meeting
        return ctx

    @staticmethod
    def largest_open_meeting(m):
        """(meeting id, agenda items) of the user's division's open meeting with the most items, or None."""
        if m is None:
            return None
        best = None
        for meeting in Meeting.objects.filter(division_id=m.division_id, status=MeetingStatus.OPEN).order_by("-id")[:5]:
            size = len(agenda.assemble(meeting).items)
            if best is None or size > best[1]:
                best = (meeting.pk, size)
        return best

    def measure_sweep(self):
        """sweep_deadlines in a child process: wall time and the child's peak RSS (RUSAGE_CHILDREN), with the open
        and overdue cases it had to look at."""
        from cases.models import OPEN_STATUSES
        from cases.rules.deadlines import overdue_q

        open_cases = Dispute.objects.filter(status__in=OPEN_STATUSES).count()
        overdue = Dispute.objects.filter(overdue_q()).count()
        self.stdout.write(f"数据库 {connection.vendor}；纠纷 {Dispute.objects.count()} 条，其中未办结 {open_cases} 条、"
                          f"已逾期 {overdue} 条；DEBUG={settings.DEBUG}")
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        # Twice: the first run marks whatever the seed left unmarked; the second is the steady state of a sweep
        # every five minutes (only what changed since). Each in its own child, so each peak RSS is its own.
        for label in ("第一次", "第二次（稳态）"):
            code = ("import resource, subprocess, sys, time; t0 = time.perf_counter(); "
                    "r = subprocess.run([sys.executable, sys.argv[1], 'sweep_deadlines', '-v', '0']); "
                    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                    "print(time.perf_counter() - t0, u.ru_utime + u.ru_stime, u.ru_maxrss, r.returncode)")
            done = subprocess.run([sys.executable, "-c", code, manage], capture_output=True, text=True, check=False)
            try:
                elapsed, cpu, maxrss, returncode = done.stdout.split()[-4:]
                elapsed, cpu, peak = float(elapsed), float(cpu), int(maxrss) / (1024 * 1024 if sys.platform == "darwin"
                                                                               else 1024)
            except ValueError:
                raise CommandError(f"sweep_deadlines 测量失败：{done.stdout[-300:]} {done.stderr[-800:]}") from None
            if returncode != "0":
                raise CommandError(f"sweep_deadlines 失败（退出码 {returncode}）：{done.stderr[-800:]}")
            ok_time, ok_mem = elapsed <= SWEEP_SECONDS, peak <= SWEEP_MB
            self.stdout.write(f"{label}：耗时 {elapsed:.1f} 秒（CPU {cpu:.1f} 秒，目标 ≤ {SWEEP_SECONDS} 秒，"
                              f"{'达标' if ok_time else '超标'}）；进程峰值内存 {peak:.0f} MB（目标 ≤ {SWEEP_MB} MB，"
                              f"{'达标' if ok_mem else '超标'}）")

    def export_in_fresh_process(self):
        """The export in its own process, so its peak RSS is the export's alone."""
        self.stdout.write("\n--- 导出（另起进程测量峰值内存）---")
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        done = subprocess.run([sys.executable, manage, "benchmark", "--export"], capture_output=True, text=True,
                              env={**os.environ}, check=False)
        self.stdout.write(done.stdout.rstrip())
        if done.returncode:
            self.stdout.write(self.style.WARNING(f"WARNING: 导出测量失败（退出码 {done.returncode}）：{done.stderr[-500:]}"))

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
        """Warm up (and count SQL), then request the ceiling and the page alternately `repeat` times each."""
        row = {"url": url, "queries": None, "median": None, "p95": None, "cpu": None, "ceiling": None,
               "ratio": None, "clamped": False, "met": None}
        try:
            client.get(CEILING_URL, secure=True)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url, secure=True)
            # Copy now: captured_queries is a view on connection.queries, which the next request resets.
            queries = list(ctx.captured_queries)
            row["status"] = response.status_code
            row["queries"] = len(queries)
            row["clamped"] = CLAMP_TEXT in response.content.decode(errors="replace")
            if response.status_code == 403:
                return row, queries  # not this role's page: nothing to time
            times, cpu, ceiling = [], [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                client.get(CEILING_URL, secure=True)
                ceiling.append((time.perf_counter() - t0) * 1000)
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
        row["ceiling"] = statistics.median(ceiling)
        row["ratio"] = row["median"] / row["ceiling"] if row["ceiling"] else None
        return row, queries

    @staticmethod
    def assess(row, queries, sc) -> list[str]:
        """Fill row["notes"], row["target"] and row["met"]; return the warnings for this page."""
        notes, warnings = [], []
        if row["status"] != 200:
            notes.append(f"HTTP {row['status']}")
            warnings.append(f"HTTP {row['status']}{'：' + row['error'] if row.get('error') else ''}（{row['url']}）")
        if sc.clamped:
            if row["clamped"]:
                notes.append("已截断")
            else:
                notes.append("未截断!")
                warnings.append(f"页码未被截断，也没有“{CLAMP_TEXT}”提示（{row['url']}）")
        met = None
        if row["median"] is not None:
            if sc.dashboard:
                row["target"] = f"≤{DASHBOARD_MS}ms"
                met = row["median"] <= DASHBOARD_MS
            elif sc.target is not None:
                row["target"] = f"≤{sc.target:g}×"
                met = row["ratio"] is not None and row["ratio"] <= sc.target
            if sc.name == "案件详情" and row["queries"] is not None:
                row["target"] += f"，≤{DETAIL_QUERIES}条SQL"
                met = met and row["queries"] <= DETAIL_QUERIES
            if met is False:
                warnings.append(f"未达标：中位数 {row['median']:.1f} ms，上限页 {row['ceiling']:.1f} ms，"
                                f"{row['ratio']:.1f}×，SQL {row['queries']} 条（目标 {row['target']}）")
        row["met"] = met
        # DISTINCT over the case list is the trap (a join that multiplies rows); the dashboard's one DISTINCT counts
        # warned cases on the small warnings table (stats.figures.warnings_by_level) and is meant.
        for q in ([] if sc.dashboard else queries):
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
        heads = ["用户", "页面", "HTTP", "SQL数", "中位数ms", "p95 ms", "CPU中位ms", "上限页ms", "倍数", "目标", "结果",
                 "备注"]

        def num(value, fmt="{:.1f}"):
            return "—" if value is None else fmt.format(value)

        cells = [
            [r["user"], r["name"], str(r["status"]), num(r["queries"], "{}"), num(r["median"]), num(r["p95"]),
             num(r["cpu"]), num(r["ceiling"]), num(r["ratio"], "{:.2f}×"), r.get("target", "—"),
             {True: "达标", False: "超标", None: "—"}[r["met"]], r["notes"]]
            for r in results
        ]
        sizes = [max(width(h), *(width(c[i]) for c in cells)) for i, h in enumerate(heads)]
        right = {2, 3, 4, 5, 6, 7, 8}

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
