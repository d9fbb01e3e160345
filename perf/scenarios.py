"""The pages `manage.py benchmark` times, their targets, and the table's small helpers (BENCHMARK ONLY)."""

import datetime
import math
import resource
import sys
import unicodedata
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from cases.models import Category, Risk, Status

COMMON_SURNAME = "王"

# Targets (issue 14): the ratio to the ceiling measured alongside. LEDGER covers every ledger page and filter.
LEDGER, KEYWORD, HOME, DETAIL, AGENDA, OTHER = 1.5, 3.0, 1.5, 1.5, 3.0, None


class Scenario:
    """One page to time: `target` is the ratio to meet (None: printed, no target), `dashboard` judges by time."""

    def __init__(self, name, url, target, *, clamped=False, dashboard=False):
        self.name, self.url, self.target, self.clamped, self.dashboard = name, url, target, clamped, dashboard


def scenarios(ctx) -> list[Scenario]:
    """The pages for one user; `ctx` holds what some need (a case number, a party name, a phone token, a meeting)."""
    base = reverse("cases:list")

    def ledger(**params):
        return f"{base}?{urlencode(params)}" if params else base

    rows = [
        Scenario("台账第1页", base, LEDGER),
        Scenario("筛选 调处中", ledger(status=Status.IN_PROGRESS), LEDGER),
        Scenario("筛选 未办结", ledger(status="open"), LEDGER),
        Scenario("筛选 红色风险", ledger(risk=Risk.RED), LEDGER),
        Scenario("筛选 山林土地", ledger(category=Category.LAND), LEDGER),
        Scenario("筛选 已逾期", ledger(clock="overdue"), LEDGER),
        Scenario("筛选 调处中+红+山林土地",
                 ledger(status=Status.IN_PROGRESS, risk=Risk.RED, category=Category.LAND), LEDGER),
        Scenario("深分页 page=200", ledger(page=200), LEDGER),
        Scenario("越界 page=5000（应截断）", ledger(page=5000), LEDGER, clamped=True),
        Scenario(f"关键词 q={COMMON_SURNAME}", ledger(q=COMMON_SURNAME), KEYWORD),
    ]
    if ctx.get("name"):
        rows.append(Scenario("关键词 当事人姓名", ledger(q=ctx["name"]), KEYWORD))
    if ctx.get("number"):
        rows.append(Scenario("关键词 案件编号", ledger(q=ctx["number"]), KEYWORD))
    if ctx.get("phone_token"):
        rows.append(Scenario("按电话查找", ledger(phone=ctx["phone_token"]), KEYWORD))
    rows.append(Scenario("工作台（首页）", reverse("home"), HOME))
    if ctx.get("number"):
        rows.append(Scenario("案件详情", reverse("cases:detail", args=[ctx["number"]]), DETAIL))
    if ctx.get("dashboard"):
        dashboard = reverse("stats:dashboard")
        first = timezone.localdate().replace(day=1)
        last_month = {"from": (first - datetime.timedelta(days=1)).replace(day=1).isoformat(),
                      "to": (first - datetime.timedelta(days=1)).isoformat()}
        rows += [Scenario("统计 本月", dashboard, OTHER, dashboard=True),
                 Scenario("统计 上月（整月）", f"{dashboard}?{urlencode(last_month)}", OTHER, dashboard=True),
                 Scenario("统计 本季度", f"{dashboard}?period=quarter", OTHER, dashboard=True)]
    if ctx.get("meeting"):
        rows.append(Scenario(f"例会议程（{ctx['agenda_size']}项）", reverse("meetings:detail", args=[ctx["meeting"]]),
                             AGENDA))
    rows += [Scenario("待办", reverse("notify:inbox"), OTHER),
             Scenario("预警列表", reverse("warnings:list"), OTHER),
             Scenario("预警收件", reverse("warnings:inbox"), OTHER),
             Scenario("待签收", reverse("cases:inbox"), OTHER)]
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
