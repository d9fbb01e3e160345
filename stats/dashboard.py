"""The dashboard's data: the figures of stats.figures for one user, period and division, each with the ledger link
that shows the same cases. A fixed number of queries whatever the data (tests/stats/test_dashboard_queries.py).

Scope: `cases_visible_to(user)`, narrowed to `division` (a town or village inside the user's own division; the
county centre starts at the county). Rows of the ranking table are the next level down: towns for the county,
villages for a town.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cases.filters import COUNTED, DONE, OPEN, OVERDUE
from cases.models import Category, Outcome, Source, Tier, WarningLevel, WarningTrigger
from cases.selectors import cases_visible_to
from meetings.selectors import Week, weekly_meeting_counts
from org.jurisdiction import subtree_q
from org.models import Division, Level
from org.selectors import membership_of

from . import figures
from .periods import Period, trend_weeks

CHILD_KEY = {Level.COUNTY: "village__parent_id", Level.TOWNSHIP: "village_id"}
CHILD_LEVEL = {Level.COUNTY: Level.TOWNSHIP, Level.TOWNSHIP: Level.VILLAGE}

# The cohort figures shown as cards and table columns, with the ledger filter that lists the same cases.
FIGURE_LABELS = {
    "collected": "收集研判数", "resolved": "化解数", "partial": "部分达成", "failed": "调解不成", "withdrawn": "撤回",
    "in_progress": "在办", "overdue": "逾期", "relapsed": "反复", "finished": "已办结", "on_time": "按时办结",
}
FIGURE_FILTERS = {
    "collected": {"status": COUNTED},
    "resolved": {"status": DONE, "outcome": Outcome.SUCCESS},
    "partial": {"status": DONE, "outcome": Outcome.PARTIAL},
    "failed": {"status": DONE, "outcome": Outcome.FAILED},
    "withdrawn": {"status": DONE, "outcome": Outcome.WITHDRAWN},
    "in_progress": {"status": OPEN},
    "overdue": {"status": OPEN, "clock": OVERDUE},
    "relapsed": {"status": COUNTED, "reopened": "yes"},
    "finished": {"status": DONE},
}


def ledger_url(**params) -> str:
    return reverse("cases:list") + "?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


def scope_of(user, code: str | None) -> Division:
    """The division the dashboard is about: the user's own, or one inside it (`?division=`); anything else 404."""
    m = membership_of(user)
    if m is None:
        raise Http404("未找到该区划。")
    own = m.division
    if not code or code == own.code:
        return own
    division = Division.objects.filter(subtree_q("code", own), code=code,
                                       level__in=[Level.TOWNSHIP, Level.VILLAGE]).first()
    if division is None:
        raise Http404("未找到该区划，或不在您的管辖范围内。")
    return division


@dataclass
class Card:
    key: str
    label: str
    value: object
    url: str | None = None
    previous: object = None
    year_ago: object = None
    is_rate: bool = False
    note: str = ""
    better: str = ""  # "up" when a rise is good news (化解数, 化解率), "down" when it is bad (逾期, 反复), "" neutral

    def tone(self, direction: str) -> str:
        """The colour of a change: "good", "bad" or "neutral" (more cases collected is neither)."""
        if not direction or direction == "same" or not self.better:
            return "neutral"
        return "good" if direction == self.better else "bad"

    @property
    def mom_tone(self):
        return self.tone(self.mom)

    @property
    def yoy_tone(self):
        return self.tone(self.yoy)

    @staticmethod
    def _arrow(now, then):
        if now is None or then is None:
            return ""
        return "up" if now > then else "down" if now < then else "same"

    @property
    def mom(self):
        """环比 direction: "up", "down", "same" or "" (no comparison)."""
        return self._arrow(self.value, self.previous)

    @property
    def yoy(self):
        return self._arrow(self.value, self.year_ago)

    def _change(self, then) -> str:
        if self.value is None or then is None:
            return "—"
        diff = self.value - then
        if not diff:
            return "持平"
        arrow = "↑" if diff > 0 else "↓"
        return f"{arrow}{abs(diff)}个百分点" if self.is_rate else f"{arrow}{abs(diff)}"

    @property
    def mom_text(self) -> str:
        """"↑3", "↓1.5个百分点", "持平" or "—" (a rate of an empty period has nothing to compare)."""
        return self._change(self.previous)

    @property
    def yoy_text(self) -> str:
        return self._change(self.year_ago)


@dataclass
class Dashboard:
    scope: Division
    period: Period
    previous: Period
    year_ago: Period
    now: datetime.datetime
    summary: dict
    summary_previous: dict
    summary_year_ago: dict
    flow_resolved: int
    cards: list = field(default_factory=list)
    warning_cards: list = field(default_factory=list)
    by_category: list = field(default_factory=list)
    by_source: list = field(default_factory=list)
    by_division: list = field(default_factory=list)
    child_level: str | None = None
    trend: list = field(default_factory=list)
    by_trigger: list = field(default_factory=list)
    overdue_units: list = field(default_factory=list)
    overdue_leaders: list = field(default_factory=list)
    compliance: list = field(default_factory=list)
    compliance_tiers: list = field(default_factory=list)
    citizen: dict = field(default_factory=dict)  # 群众评价 of the cohort (figures.citizen_ratings)
    mediation: dict = field(default_factory=dict)  # 人民调解 (figures.mediation_summary)
    mediators: list = field(default_factory=list)  # 调解员工作量 (figures.mediator_workload), the ten busiest

    # --- links ---------------------------------------------------------------------------------------------------

    def base_params(self, period: Period | None = None, division: str | None = None) -> dict:
        period = period or self.period
        params = {"logged_from": period.start.isoformat(), "logged_to": period.end.isoformat()}
        code = division or (self.scope.code if self.scope.level != Level.COUNTY else None)
        if code:
            params["division"] = code
        return params

    def link(self, figure: str, *, period=None, division=None, **extra) -> str | None:
        if figure not in FIGURE_FILTERS:
            return None
        return ledger_url(**self.base_params(period, division), **FIGURE_FILTERS[figure], **extra)

    def chart_data(self) -> dict:
        """What the charts draw (passed with json_script; the tables beside them show the same numbers)."""
        return {
            "trend": {"weeks": [row["label"] for row in self.trend],
                      "collected": [row["collected"] for row in self.trend],
                      "resolved": [row["resolved"] for row in self.trend]},
            "category": [{"name": row["label"], "value": row["collected"]} for row in self.by_category],
            "source": [{"name": row["label"], "value": row["collected"]} for row in self.by_source],
            "division": {"names": [row["label"] for row in self.by_division],
                         "collected": [row["collected"] for row in self.by_division],
                         "resolved": [row["resolved"] for row in self.by_division]},
        }


def _rows(dash: Dashboard, grouped: dict, choices, param: str) -> list[dict]:
    rows = []
    for value, label in choices:
        row = grouped.get(value)
        if row is None:
            continue
        rows.append({**row, "label": label, "value": value,
                     "links": {f: dash.link(f, **{param: value}) for f in FIGURE_FILTERS}})
    rows.sort(key=lambda r: (-r["collected"], r["label"]))
    return rows


def build(user, period: Period, division_code: str | None = None, *, now=None) -> Dashboard:
    now = now or timezone.now()
    scope = scope_of(user, division_code)
    cases = cases_visible_to(user)
    if scope.level != Level.COUNTY:
        cases = cases.filter(subtree_q("village__code", scope))
    previous, year_ago = period.previous(), period.year_ago()
    child_key = CHILD_KEY.get(scope.level)
    # Every case of the scope lies in exactly one child division, category and source: the summary and the three
    # breakdowns are sums of one grouped scan of the cohort (figures.summarize_cube).
    cube = figures.summarize_cube(cases, period, [k for k in (child_key, "category", "source") if k], now)
    grouped = figures.rollup(cube, child_key) if child_key else None
    dash = Dashboard(
        scope=scope, period=period, previous=previous, year_ago=year_ago, now=now,
        summary=figures.combine(cube),
        summary_previous=figures.summarize(cases, previous, now),
        summary_year_ago=figures.summarize(cases, year_ago, now),
        flow_resolved=figures.resolved_in_period(cases, period),
    )
    s, p, y = dash.summary, dash.summary_previous, dash.summary_year_ago
    up, down = "up", "down"
    for key, better in (("collected", ""), ("resolved", up)):
        dash.cards.append(Card(key, FIGURE_LABELS[key], s[key], dash.link(key), p[key], y[key], better=better))
    dash.cards.append(Card("resolution_rate", "化解率", s["resolution_rate"], None, p["resolution_rate"],
                           y["resolution_rate"], is_rate=True, note="化解数 ÷ 收集研判数", better=up))
    for key, better in (("in_progress", ""), ("overdue", down)):
        dash.cards.append(Card(key, FIGURE_LABELS[key], s[key], dash.link(key), p[key], y[key], better=better))
    dash.cards.append(Card("on_time_rate", "按时办结率", s["on_time_rate"], None, p["on_time_rate"],
                           y["on_time_rate"], is_rate=True, note="首次化解未超期 ÷ 已办结", better=up))
    dash.cards.append(Card("relapsed", FIGURE_LABELS["relapsed"], s["relapsed"], dash.link("relapsed"),
                           p["relapsed"], y["relapsed"], better=down))
    now_r, previous_r, year_ago_r = figures.citizen_ratings(cases, period, previous, year_ago)
    dash.citizen = now_r
    dash.cards.append(Card("citizen_satisfaction", "群众评价满意率", now_r["satisfaction_rate"], None,
                           previous_r["satisfaction_rate"], year_ago_r["satisfaction_rate"], is_rate=True,
                           note=f"（满意+基本满意）÷ 评价数，已评价{now_r['rated']}件", better=up))
    dash.cards.append(Card(
        "flow_resolved", "本期化解", dash.flow_resolved,
        ledger_url(resolved_from=period.start.isoformat(), resolved_to=period.end.isoformat(), status=DONE,
                   outcome=Outcome.SUCCESS, division=dash.base_params().get("division")),
        note="流量口径：本期内首次化解（调解成功）的案件，不论何时登记",
    ))

    levels = figures.warnings_by_level(cases, period)
    dash.warning_cards = [
        Card(level, label, levels[level], dash.link("collected", warning=level))
        for level, label in WarningLevel.choices
    ]
    triggers = figures.warnings_by_trigger(cases, period)
    dash.by_trigger = [
        {"label": label, "value": triggers[code], "url": dash.link("collected", trigger=code)}
        for code, label in WarningTrigger.choices
    ]

    dash.by_category = _rows(dash, figures.rollup(cube, "category"), Category.choices, "category")
    dash.by_source = _rows(dash, figures.rollup(cube, "source"), Source.choices, "source")

    if child_key:
        dash.child_level = CHILD_LEVEL[scope.level]
        children = Division.objects.filter(parent_id=scope.code, level=dash.child_level).order_by("code")
        for child in children:
            row = grouped.get(child.code) or figures.with_rates(dict.fromkeys(figures.COHORT_FIGURES, 0))
            dash.by_division.append({
                **row, "label": child.name, "code": child.code,
                "links": {f: dash.link(f, division=child.code) for f in FIGURE_FILTERS},
            })
        dash.by_division.sort(key=lambda r: (r["resolution_rate"] is None, -(r["resolution_rate"] or 0),
                                             -r["collected"], r["code"]))

    mondays = trend_weeks(period.end)
    trend_period = Period(mondays[0], mondays[-1] + datetime.timedelta(days=6))
    weekly = figures.weekly(cases, trend_period, now)
    for monday in mondays:
        week = Period(monday, monday + datetime.timedelta(days=6))
        row = weekly.get(monday) or figures.with_rates(dict.fromkeys(figures.COHORT_FIGURES, 0))
        iso = monday.isocalendar()
        dash.trend.append({**row, "monday": monday, "label": f"{monday:%m-%d}",
                           "title": f"{iso.year}年第{iso.week}周",
                           "links": {f: dash.link(f, period=week) for f in ("collected", "resolved")}})

    dash.overdue_units = [
        {"label": row["responsible_unit__name"], "n": row["n"],
         "url": dash.link("overdue", unit=row["responsible_unit_id"])}
        for row in figures.overdue_by_unit(cases, period, now)
    ]
    dash.overdue_leaders = [
        {"label": row["lead_leader__name"], "n": row["n"],
         "url": dash.link("overdue", leader=row["lead_leader_id"])}
        for row in figures.overdue_by_leader(cases, period, now)
    ]

    dash.mediation = figures.mediation_summary(cases, period)
    dash.mediators = figures.mediator_workload(cases, period)[:10]

    weeks = period.weeks()
    held, expected = weekly_meeting_counts(scope, weeks[0], weeks[-1] + datetime.timedelta(days=6))
    dash.compliance_tiers = [(tier, label) for tier, label in
                             ((Tier.TOWN, "镇街例会"), (Tier.VILLAGE, "村级例会"), (Tier.COUNTY, "县级例会"))
                             if expected.get(tier)]
    for monday in weeks:
        week = Week.of(monday)
        cells = []
        for tier, _label in dash.compliance_tiers:
            n, total = held.get((week.year, week.week, tier), 0), expected[tier]
            cells.append({"held": n, "expected": total, "rate": figures.rate(n, total)})
        dash.compliance.append({"week": week, "label": str(week), "cells": cells,
                                "url": reverse("meetings:compliance") + "?" + urlencode({"week": week.param})})
    return dash
