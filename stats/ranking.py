"""互学互比 (issue 11 #3): the towns of the county ranked by a score built from the figures of stats.figures.

    score = Σ weight × rate        (rates in %, weights `meetings.ScoreWeight`, editable in the admin)

* 化解率, 按时办结率: `figures.resolution_rate` / `figures.on_time_rate` of `figures.summarize_by(cases, period,
  "village__parent_id")` — the dashboard's own figures, never recomputed another way;
* 例会召开率: meetings held ÷ meetings expected (the town's and its villages', every week overlapping the period),
  from `meetings.selectors.weekly_meeting_counts` — the dashboard's compliance counts;
* 抽查满意率: of the 督导组's phone-backs of the town's samples (periods overlapping P) that reached a party, the
  share satisfied (`figures.rate`).
A missing rate (nothing to divide by) counts as 0 in the score and is shown as "—".
"""

import datetime
import io
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import xlsxwriter
from django.db.models import Count, Q

from cases.models import Tier
from cases.selectors import cases_visible_to
from meetings.oversight import ScoreKey, ScoreWeight, SpotCheckItem
from meetings.selectors import weekly_meeting_counts
from org.models import Division, Level
from org.selectors import membership_of

from . import figures
from .periods import Period

KEYS = [ScoreKey.RESOLUTION, ScoreKey.ON_TIME, ScoreKey.MEETINGS, ScoreKey.SATISFACTION]
NOTES = {
    ScoreKey.RESOLUTION: "化解数 ÷ 收集研判数",
    ScoreKey.ON_TIME: "首次化解未超期 ÷ 已办结",
    ScoreKey.MEETINGS: "镇村例会召开次数 ÷ 应召开次数（期间内各周）",
    ScoreKey.SATISFACTION: "回访满意 ÷ 回访接通（督导组抽查）",
}
DEFAULT_WEIGHTS = {ScoreKey.RESOLUTION: Decimal("0.4"), ScoreKey.ON_TIME: Decimal("0.3"),
                   ScoreKey.MEETINGS: Decimal("0.2"), ScoreKey.SATISFACTION: Decimal("0.1")}
TWO_PLACES = Decimal("0.01")


def weights() -> dict:
    """{key: Decimal weight}: the admin's rows; a key without a row falls back to its default."""
    stored = dict(ScoreWeight.objects.values_list("key", "weight"))
    return {key: stored.get(key, DEFAULT_WEIGHTS[key]) for key in KEYS}


def formula(w: dict) -> str:
    """The formula as printed: 得分 = 化解率×0.4 + 按时办结率×0.3 + …"""
    terms = " + ".join(f"{ScoreKey(k).label}×{_plain(w[k])}" for k in KEYS)
    return f"得分 = {terms}（各率按百分数计，无数据的率记0分，显示为“—”）"


def _plain(d: Decimal) -> str:
    return format(Decimal(d).normalize(), "f")


def score(rates: dict, w: dict) -> Decimal:
    total = sum((w[k] * (rates[k] if rates[k] is not None else 0) for k in KEYS), Decimal(0))
    return Decimal(total).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass
class Row:
    rank: int
    town: Division
    rates: dict
    counts: dict
    score: Decimal

    @property
    def cells(self) -> list[dict]:
        """The rates in column order, for the template: [{key, rate, count}]."""
        return [{"key": k, "rate": self.rates[k], "count": self.counts[k]} for k in KEYS]


@dataclass
class Ranking:
    period: Period
    weights: dict
    formula: str
    rows: list = field(default_factory=list)
    columns: list = field(default_factory=list)


def _mondays(period: Period) -> list[datetime.date]:
    return period.weeks(limit=10_000)


def meeting_rates(towns, period: Period) -> dict:
    """{town code: (held, expected, rate)}: weekly_meeting_counts per town (two queries each)."""
    mondays = _mondays(period)
    weeks = {(m.isocalendar().year, m.isocalendar().week) for m in mondays}
    result = {}
    for town in towns:
        held, expected = weekly_meeting_counts(town, mondays[0], mondays[-1] + datetime.timedelta(days=6))
        n = sum(v for (y, w, tier), v in held.items() if (y, w) in weeks and tier in (Tier.TOWN, Tier.VILLAGE))
        total = len(mondays) * (expected.get(Tier.TOWN, 0) + expected.get(Tier.VILLAGE, 0))
        result[town.code] = (n, total, figures.rate(n, total))
    return result


def satisfaction_rates(period: Period) -> dict:
    """{town code: (satisfied, reached)} of the phone-backs of samples whose period overlaps P (one query)."""
    rows = (SpotCheckItem.objects.filter(sample__period_start__lte=period.end, sample__period_end__gte=period.start)
            .order_by().values("sample__town_id")
            .annotate(n_reached=Count("pk", filter=Q(reached=True)),
                      n_satisfied=Count("pk", filter=Q(reached=True, satisfied=True))))
    return {r["sample__town_id"]: (r["n_satisfied"], r["n_reached"]) for r in rows}


def build(user, period: Period, *, now=None) -> Ranking:
    """The towns of the user's county, best score first (ties: town code)."""
    w = weights()
    county = membership_of(user).division
    towns = list(Division.objects.filter(parent_id=county.code, level=Level.TOWNSHIP).order_by("code"))
    grouped = figures.summarize_by(cases_visible_to(user), period, "village__parent_id", now)
    meetings = meeting_rates(towns, period)
    satisfaction = satisfaction_rates(period)
    ranking = Ranking(period=period, weights=w, formula=formula(w),
                      columns=[(k, ScoreKey(k).label, _plain(w[k]), NOTES[k]) for k in KEYS])
    rows = []
    for town in towns:
        row = grouped.get(town.code) or figures.with_rates(dict.fromkeys(figures.COHORT_FIGURES, 0))
        held, expected, meeting_rate = meetings[town.code]
        satisfied, reached = satisfaction.get(town.code, (0, 0))
        rates = {
            ScoreKey.RESOLUTION: figures.resolution_rate(row),
            ScoreKey.ON_TIME: figures.on_time_rate(row),
            ScoreKey.MEETINGS: meeting_rate,
            ScoreKey.SATISFACTION: figures.rate(satisfied, reached),
        }
        counts = {
            ScoreKey.RESOLUTION: f"{row['resolved']}/{row['collected']}",
            ScoreKey.ON_TIME: f"{row['on_time']}/{row['finished']}",
            ScoreKey.MEETINGS: f"{held}/{expected}",
            ScoreKey.SATISFACTION: f"{satisfied}/{reached}",
        }
        rows.append(Row(rank=0, town=town, rates=rates, counts=counts, score=score(rates, w)))
    rows.sort(key=lambda r: (-r.score, r.town.code))
    for i, row in enumerate(rows, start=1):
        row.rank = i
    ranking.rows = rows
    return ranking


def workbook(ranking: Ranking) -> bytes:
    """The ranking as .xlsx (XlsxWriter): the formula on top, one row per town, rates as numbers ("—" if none)."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    sheet = book.add_worksheet("互学互比")
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    head = book.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1, "text_wrap": True})
    cell = book.add_format({"border": 1})
    pct = book.add_format({"border": 1, "num_format": "0.0"})
    points = book.add_format({"border": 1, "num_format": "0.00"})
    sheet.write(0, 0, "镇街互学互比排名", title)
    sheet.write(1, 0, f"统计期间：{ranking.period.label}")
    sheet.write(2, 0, ranking.formula, bold)
    headers = ["名次", "镇街"]
    for _key, label, weight, _note in ranking.columns:
        headers += [f"{label}（%）", f"{label}分子/分母", f"权重{weight}"]
    headers.append("得分")
    for c, text in enumerate(headers):
        sheet.write(4, c, text, head)
    for r, row in enumerate(ranking.rows, start=5):
        sheet.write_number(r, 0, row.rank, cell)
        sheet.write(r, 1, row.town.name, cell)
        c = 2
        for key, _label, weight, _note in ranking.columns:
            rate = row.rates[key]
            if rate is None:
                sheet.write(r, c, "—", cell)
            else:
                sheet.write_number(r, c, float(rate), pct)
            sheet.write(r, c + 1, row.counts[key], cell)
            sheet.write_number(r, c + 2, float(Decimal(weight)), cell)
            c += 3
        sheet.write_number(r, c, float(row.score), points)
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 14)
    sheet.set_column(2, len(headers), 11)
    book.close()
    return buf.getvalue()
