"""Every figure of DESIGN.md §8, defined once. The dashboard, its export, the ledger links and the reports use these.

A figure is computed in SQL: a cohort is a queryset, each count is an aggregate with `filter=`, a breakdown is one
GROUP BY. `cases` handed in is always `cases.selectors.cases_visible_to(user)` (possibly narrowed to a division), so
nobody counts what they may not see. Rates are Decimals with one decimal place, or None when the denominator is 0
(shown as "—", never 0 % and never a division error).

Two kinds of figure, never mixed:
* cohort figures describe the cases registered in the period (what happened to them since, as of now);
* flow figures (本期化解) count events whose time falls in the period, and are labelled 本期….
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.models import (
    OPEN_STATUSES,
    SATISFIED_VALUES,
    Agreement,
    AgreementForm,
    Assignment,
    CitizenRating,
    ConfirmationResult,
    EarlyWarning,
    MediationSession,
    Mediator,
    MediatorKind,
    Outcome,
    Performance,
    Satisfaction,
    Status,
    Visit,
    WarningLevel,
    WarningTrigger,
)
from cases.rules.deadlines import overdue_q

DONE = (Status.RESOLVED, Status.CLOSED)  # cases with a result (已化解, 已结案)


def cohort(cases: QuerySet, period) -> QuerySet:
    """cohort(P): cases registered in P (`created_at`, local date, start and end included), except 不予受理."""
    lo, hi = period.bounds()
    return cases.filter(created_at__gte=lo, created_at__lt=hi).exclude(status=Status.REJECTED)


# --- Cohort counts: each an aggregate expression over cohort(P) -------------------------------------------------


def collected():
    """收集研判数 = |cohort(P)|."""
    return Count("pk")


def resolved():
    """化解数 = cohort cases now 已化解 or 已结案 with outcome 调解成功. A reopened case counts at most once (it is one
    row), and only while it stands resolved: a relapse is never a second success."""
    return Count("pk", filter=Q(status__in=DONE, outcome=Outcome.SUCCESS))


def partial():
    """部分达成 = cohort cases now 已化解/已结案 with outcome 部分达成 (not counted in 化解数)."""
    return Count("pk", filter=Q(status__in=DONE, outcome=Outcome.PARTIAL))


def failed():
    """调解不成 = cohort cases now 已化解/已结案 with outcome 调解不成（已告知其他途径）."""
    return Count("pk", filter=Q(status__in=DONE, outcome=Outcome.FAILED))


def withdrawn():
    """撤回 = cohort cases now 已化解/已结案 with outcome 当事人撤回."""
    return Count("pk", filter=Q(status__in=DONE, outcome=Outcome.WITHDRAWN))


def in_progress():
    """在办 = cohort cases now open (已登记, 调处中, 已提请)."""
    return Count("pk", filter=Q(status__in=OPEN_STATUSES))


def overdue(now=None):
    """逾期 = cohort cases open and past their deadline now (rules.deadlines.overdue_q, the clocks' definition)."""
    return Count("pk", filter=overdue_q(now))


def relapsed():
    """反复 = cohort cases reopened at least once."""
    return Count("pk", filter=Q(reopen_count__gt=0))


def finished():
    """按时办结率's denominator: cohort cases now 已化解 or 已结案 (any outcome)."""
    return Count("pk", filter=Q(status__in=DONE))


def finished_on_time():
    """按时办结率's numerator: of those, the cases whose first resolution came no later than the deadline in force at
    that moment (an approved extension counts; `Dispute.first_resolved_on_time`, set once by the services)."""
    return Count("pk", filter=Q(status__in=DONE, first_resolved_on_time=True))


def cohort_expressions(now=None) -> dict:
    """The cohort counts by name, for one `.aggregate()` or one `.values(key).annotate()`."""
    return {
        "collected": collected(), "resolved": resolved(), "partial": partial(), "failed": failed(),
        "withdrawn": withdrawn(), "in_progress": in_progress(), "overdue": overdue(now), "relapsed": relapsed(),
        "finished": finished(), "on_time": finished_on_time(),
    }


COHORT_FIGURES = tuple(cohort_expressions())


# --- Rates ----------------------------------------------------------------------------------------------------------

ONE_PLACE = Decimal("0.1")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """A percentage with one decimal (half up), or None when the denominator is 0 ("—")."""
    if not denominator:
        return None
    return (Decimal(100) * numerator / denominator).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def resolution_rate(row: dict) -> Decimal | None:
    """化解率 = 化解数 ÷ 收集研判数."""
    return rate(row["resolved"], row["collected"])


def on_time_rate(row: dict) -> Decimal | None:
    """按时办结率 = cohort cases resolved on time (first resolution) ÷ cohort cases resolved."""
    return rate(row["on_time"], row["finished"])


def with_rates(row: dict) -> dict:
    return {**row, "resolution_rate": resolution_rate(row), "on_time_rate": on_time_rate(row)}


# --- Summaries and breakdowns ---------------------------------------------------------------------------------------


def summarize(cases: QuerySet, period, now=None) -> dict:
    """Every cohort count of P and its rates, in one query."""
    return with_rates(cohort(cases, period).aggregate(**cohort_expressions(now)))


def combine(rows) -> dict:
    """The cohort counts of a partition's parts added up (cohort counts are additive), with the rates recomputed:
    the summary of P from its per-town (or per-village) rows without scanning the cohort again."""
    total = dict.fromkeys(COHORT_FIGURES, 0)
    for row in rows:
        for name in COHORT_FIGURES:
            total[name] += row[name]
    return with_rates(total)


def summarize_by(cases: QuerySet, period, key: str, now=None) -> dict:
    """The cohort counts of P per value of `key` (category, source, risk, village__parent_id …), in one query:
    {value: row}. Values with no case are absent."""
    rows = cohort(cases, period).order_by().values(key).annotate(**cohort_expressions(now))
    return {row.pop(key): with_rates(row) for row in rows}


def summarize_cube(cases: QuerySet, period, keys, now=None) -> list[dict]:
    """The cohort counts of P per combination of `keys` (e.g. town, category, source), in one query. Cohort counts
    are additive and every case has exactly one value of each key, so the summary (`combine`) and each key's
    breakdown (`rollup`) are sums of these rows: one scan of the cohort instead of one per breakdown."""
    return list(cohort(cases, period).order_by().values(*keys).annotate(**cohort_expressions(now)))


def rollup(rows, key: str) -> dict:
    """{value of `key`: its rows of `summarize_cube` added up, with rates}, as `summarize_by(key)` would give."""
    parts = {}
    for row in rows:
        parts.setdefault(row[key], []).append(row)
    return {value: combine(group) for value, group in parts.items()}


def weekly(cases: QuerySet, period, now=None, names=("collected", "resolved")) -> dict:
    """The cohort counts `names` per week of registration (Monday to Sunday, local time) in ONE query: one
    conditional count per week and figure over a single range scan (no per-row date arithmetic), so a 12-week
    trend costs the same whatever the data: {Monday (date): row with the rates}."""
    tz = timezone.get_current_timezone()
    lo, hi = period.bounds()
    expressions = cohort_expressions(now)
    aggregates = {}
    mondays = period.weeks(limit=None)
    for i, monday in enumerate(mondays):
        start = max(datetime.datetime.combine(monday, datetime.time.min, tzinfo=tz), lo)
        end = min(datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time.min, tzinfo=tz), hi)
        in_week = Q(created_at__gte=start, created_at__lt=end)
        for name in names:
            condition = expressions[name].filter
            aggregates[f"{name}_{i}"] = Count("pk", filter=in_week & condition if condition else in_week)
    totals = cohort(cases, period).aggregate(**aggregates) if aggregates else {}
    result = {}
    for i, monday in enumerate(mondays):
        row = dict.fromkeys(COHORT_FIGURES, 0)
        row.update({name: totals[f"{name}_{i}"] for name in names})
        result[monday] = with_rates(row)
    return result


def resolved_in_period(cases: QuerySet, period) -> int:
    """本期化解 (a flow figure): cases whose first resolution falls in P and that now stand resolved with 调解成功,
    whenever they were registered. A relapse resolved again is not counted a second time (only the first
    resolution has a time here)."""
    lo, hi = period.bounds()
    return cases.filter(first_resolved_at__gte=lo, first_resolved_at__lt=hi, status__in=DONE,
                        outcome=Outcome.SUCCESS).count()


# --- Warnings (cohort cases with a warning) --------------------------------------------------------------------------


def trigger_lookup(trigger: str) -> dict:
    """A warning's triggers are a JSON list of codes; a quoted code matched in its text works alike on PostgreSQL and
    SQLite (codes are plain words, none a substring of another in quotes)."""
    return {"triggers__icontains": f'"{trigger}"'}


def warnings_by_level(cases: QuerySet, period) -> dict:
    """预警: cohort cases that have been given an early warning of each level (a case with two red warnings counts
    once; a case warned orange then red counts under both). One query, from the (small) warnings table's side:
    {level: n}."""
    warned = EarlyWarning.objects.filter(dispute__in=cohort(cases, period).values("pk")).order_by()
    counts = warned.aggregate(**{
        level: Count("dispute", distinct=True, filter=Q(level=level)) for level in WarningLevel.values
    })
    return {level: counts[level] or 0 for level in WarningLevel.values}


def warnings_by_trigger(cases: QuerySet, period) -> dict:
    """预警情形: cohort cases with a warning naming each trigger. One query: {trigger: n}."""
    warned = EarlyWarning.objects.filter(dispute__in=cohort(cases, period).values("pk")).order_by()
    counts = warned.aggregate(**{
        trigger: Count("dispute", distinct=True, filter=Q(**trigger_lookup(trigger)))
        for trigger in WarningTrigger.values
    })
    return {trigger: counts[trigger] or 0 for trigger in WarningTrigger.values}


# --- Overdue per unit and per 包案领导 (cohort cases overdue now, by their active 四定) ----------------------------
# A case has at most one active 四定 (constraint assignment_one_active), so counting assignments counts cases.


def overdue_by_unit(cases: QuerySet, period, now=None) -> list[dict]:
    """逾期 per responsible unit of the active 四定: [{unit_id, name, n}], most first."""
    late = cohort(cases, period).filter(overdue_q(now))
    return list(
        Assignment.objects.filter(active=True, dispute__in=late).order_by()
        .values("responsible_unit_id", "responsible_unit__name")
        .annotate(n=Count("dispute")).order_by("-n", "responsible_unit__name")
    )


def overdue_by_leader(cases: QuerySet, period, now=None) -> list[dict]:
    """逾期 per lead leader (包案领导) of the active 四定: [{lead_leader_id, name parts, n}], most first."""
    late = cohort(cases, period).filter(overdue_q(now))
    return list(
        Assignment.objects.filter(active=True, dispute__in=late).order_by()
        .values("lead_leader_id", "lead_leader__name")
        .annotate(n=Count("dispute")).order_by("-n", "lead_leader_id")
    )


# --- 群众评价 (the citizens' ratings after 结案, issue 13 #4, docs/citizen.md) ---------------------------------------


def citizen_ratings(cases: QuerySet, *periods) -> list[dict]:
    """群众评价 of the cohort cases of each period (a cohort figure: a case registered in P and rated since counts in
    P), in ONE query from the (small) ratings table's side, however many periods: [{"rated", "satisfied",
    "unsatisfied", "satisfaction_rate"}] in the order of `periods`. A case is rated at most once
    (citizen_rating_once_per_case), so counting ratings counts cases."""
    bounds = [period.bounds() for period in periods]
    in_any = Q()
    for lo, hi in bounds:
        in_any |= Q(created_at__gte=lo, created_at__lt=hi)
    rated_cases = cases.filter(in_any).exclude(status=Status.REJECTED).values("pk")
    aggregates = {}
    for i, (lo, hi) in enumerate(bounds):
        in_p = Q(dispute__created_at__gte=lo, dispute__created_at__lt=hi)
        aggregates[f"rated_{i}"] = Count("pk", filter=in_p)
        aggregates[f"satisfied_{i}"] = Count("pk", filter=in_p & Q(satisfaction__in=SATISFIED_VALUES))
    totals = CitizenRating.objects.filter(dispute__in=rated_cases).order_by().aggregate(**aggregates) if bounds else {}
    rows = []
    for i in range(len(bounds)):
        rated, satisfied = totals[f"rated_{i}"], totals[f"satisfied_{i}"]
        rows.append({"rated": rated, "satisfied": satisfied, "unsatisfied": rated - satisfied,
                     "satisfaction_rate": citizen_satisfaction_rate(satisfied, rated)})
    return rows


def citizen_satisfaction_rate(satisfied: int, rated: int) -> Decimal | None:
    """群众评价满意率 = (满意 + 基本满意) ÷ 评价数, one decimal, None ("—") when no cohort case was rated."""
    return rate(satisfied, rated)
# --- 人民调解 (issue 12 #8): figures of the mediation file, over cohort(P). docs/statistics.md defines each -------


def mediation_sessions():
    """调解次数 = the mediation sessions recorded on cohort cases (aggregate over MediationSession)."""
    return Count("pk")


def mediated_successes():
    """调解成功数 = cohort cases with at least one session, now 已化解/已结案 with outcome 调解成功 (a relapse is never
    a second success: one row per case). Aggregate over the cohort (an EXISTS per case: no join and regrouping of
    the cohort's sessions)."""
    has_session = Exists(MediationSession.objects.filter(dispute=OuterRef("pk")))
    return Count("pk", filter=Q(status__in=DONE, outcome=Outcome.SUCCESS) & Q(has_session))  # the EXISTS last


def current_agreements(cases: QuerySet, period) -> QuerySet:
    """The agreement of each cohort case: its latest (a reopened case's new agreement replaces the broken one)."""
    latest = Agreement.objects.filter(dispute=OuterRef("dispute")).order_by("-created_at", "-id").values("pk")[:1]
    return Agreement.objects.filter(dispute__in=cohort(cases, period).values("pk")).filter(pk=Subquery(latest))


def agreement_amount():
    """协议金额 = the sum of 协议金额 (amount_agreed) of the current agreements, in yuan (0 when none)."""
    return Coalesce(Sum("amount_agreed"), Decimal("0"))


def written_agreements():
    """书面协议 = current agreements of form 书面."""
    return Count("pk", filter=Q(form=AgreementForm.WRITTEN))


def oral_agreements():
    """口头协议 = current agreements of form 口头."""
    return Count("pk", filter=Q(form=AgreementForm.ORAL))


def confirmation_applications():
    """司法确认申请数 = current agreements whose parties applied to the court (art 33)."""
    return Count("pk", filter=Q(confirmation_applied_on__isnull=False))


def confirmations():
    """司法确认数 = current agreements the court confirmed valid (确认有效)."""
    return Count("pk", filter=Q(confirmation_result=ConfirmationResult.VALID))


def performed():
    """已履行 = current agreements performed in full (the numerator of 履行率)."""
    return Count("pk", filter=Q(performance=Performance.PERFORMED))


def performance_known():
    """履行情况已明确 = current agreements 已履行, 部分履行 or 未履行 (未到期 are left out of 履行率)."""
    return Count("pk", filter=~Q(performance=Performance.NOT_DUE))


def satisfied_visits():
    """满意或基本满意的回访 (the numerator of 回访满意率), over the visits of cohort cases."""
    return Count("pk", filter=Q(satisfaction__in=(Satisfaction.SATISFIED, Satisfaction.BASIC)))


def mediation_summary(cases: QuerySet, period) -> dict:
    """调解次数, 调解成功数, 协议金额, 书面/口头协议, 司法确认申请/确认数, 履行率 (已履行 ÷ 履行情况已明确),
    回访满意率 ((满意 + 基本满意) ÷ 回访次数). Three aggregate queries, however many cases."""
    ids = cohort(cases, period).values("pk")
    row = cohort(cases, period).aggregate(mediated_successes=mediated_successes())
    row["sessions"] = MediationSession.objects.filter(dispute__in=ids).aggregate(n=mediation_sessions())["n"]
    row.update(current_agreements(cases, period).aggregate(
        amount=agreement_amount(), written=written_agreements(), oral=oral_agreements(),
        applications=confirmation_applications(), confirmed=confirmations(), performed=performed(),
        performance_known=performance_known()))
    visits = Visit.objects.filter(dispute__in=ids).aggregate(visits=Count("pk"), satisfied=satisfied_visits())
    row.update(visits)
    row["performance_rate"] = rate(row["performed"], row["performance_known"])
    row["satisfaction_rate"] = rate(row["satisfied"], row["visits"])
    return row


def mediator_workload(cases: QuerySet, period) -> list[dict]:
    """Per mediator: cohort cases they lead now (案件数), sessions they took part in (调解次数), and how many of the
    cases they lead were 调解成功 (成功数); busiest first. One query."""
    ids = cohort(cases, period).values("pk")
    rows = (Mediator.objects.filter(Q(cases__dispute__in=ids, cases__active=True, cases__is_lead=True)
                                    | Q(sessions__dispute__in=ids))
            .annotate(
                led=Count("cases__dispute", filter=Q(cases__dispute__in=ids, cases__active=True, cases__is_lead=True),
                          distinct=True),
                took_part=Count("sessions", filter=Q(sessions__dispute__in=ids), distinct=True),
                succeeded=Count("cases__dispute", filter=Q(
                    cases__dispute__in=ids, cases__active=True, cases__is_lead=True,
                    cases__dispute__status__in=DONE, cases__dispute__outcome=Outcome.SUCCESS), distinct=True))
            .values("pk", "person__name", "kind", "led", "took_part", "succeeded")
            .order_by("-led", "-took_part", "person__name"))
    return [{"name": r["person__name"], "kind": MediatorKind(r["kind"]).label, "cases": r["led"],
             "sessions": r["took_part"], "successes": r["succeeded"]} for r in rows]
