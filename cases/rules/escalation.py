"""Escalation rules (DESIGN.md §6): which open cases must move, how, and by when.

Rules are data (`EscalationRule`, edited in the admin). Every condition a rule leaves empty / False / None does not
restrict; all the conditions it sets must hold (AND). A rule that matches a case yields a `Flag`; the flag is
*satisfied* when what the rule asks for has already happened (see `_satisfied`).

Cost: `flags_for` runs at most four queries however many cases it is given — the active rules; the parties' home
villages (only when a rule looks at cross-village / cross-town); the open warnings (only when a rule's satisfaction
depends on them); the holiday table (`CalendarDay`, only when a rule matched: the whole batch is counted on one shared
`WorkCalendar`). Days open, overdue and tier come from the case's own fields, in Python. Callers pass cases they have
already loaded through `cases_visible_to` (a list or a queryset; a queryset is evaluated once).

    flags_for(disputes, *, now=None)  -> {dispute.pk: [Flag, ...]}   every matching rule, satisfied or not
    open_flags(disputes, *, now=None) -> {dispute.pk: [Flag, ...]}   only the unsatisfied ones
    suggested_warnings(dispute)       -> [WarningTrigger value, ...]  from matching RAISE_WARNING rules

Both dicts are sparse: a case without flags has no key, so read them with `.get(dispute.pk, [])`.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from ..models import (
    OPEN_STATUSES,
    TIER_RANK,
    Category,
    DayMode,
    Dispute,
    EarlyWarning,
    EscalationAction,
    EscalationRule,
    Party,
    Risk,
    Source,
    Status,
    Tier,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
)
from .deadlines import WorkCalendar, end_of_day

TIER_BY_RANK = {rank: tier for tier, rank in TIER_RANK.items()}
TOWNSHIP_PREFIX = 9  # 12-digit division code = county(6) + township(3) + village(3)


@dataclass(frozen=True)
class Flag:
    rule_id: int
    rule_name: str
    action: str  # EscalationAction value
    target_tier: str  # Tier value the case must reach: REFER_UP its target, NOTIFY_COUNTY "county", else ""
    warning_trigger: str  # WarningTrigger value a RAISE_WARNING rule suggests, "" otherwise
    due_by: datetime.datetime  # when it must have happened
    message: str  # Chinese, e.g. "村级、红色风险：须在1个工作日内提请至镇街"
    satisfied: bool  # already done: the case is at/above the target tier, or an open warning exists


@dataclass
class _Facts:
    """What the rules need to know about one case, gathered by the batch queries."""

    villages: set  # village codes: the case's own plus its parties' home villages
    open_warning_targets: set  # WarningTarget values of the case's open warnings (empty: no open warning)


def flags_for(disputes: Iterable[Dispute], *, now=None) -> dict[int, list[Flag]]:
    """Flags of every active rule that matches each open case, satisfied or not, in rule order."""
    now = now or timezone.now()
    cases = [d for d in disputes if d.status in OPEN_STATUSES]
    if not cases:
        return {}
    rules = list(EscalationRule.objects.filter(active=True).order_by("id"))
    if not rules:
        return {}
    facts = _gather_facts(cases, rules)
    today = timezone.localdate(now)
    matches = []  # (case, rule, target tier, the day the clock starts)
    for case in cases:
        for rule in rules:
            if not _matches(rule, case, facts[case.pk], now=now, today=today):
                continue
            target = _target_tier(rule, case)
            if rule.action == EscalationAction.REFER_UP and not target:
                continue  # "refer up" from the county: there is nowhere to go
            matches.append((case, rule, target, _clock_start(rule, case)))
    due_by = _DueDates([m[3] for m in matches], max((r.within_workdays for r in rules), default=1))
    result = {}
    for case, rule, target, start in matches:
        result.setdefault(case.pk, []).append(Flag(
            rule_id=rule.pk, rule_name=rule.name, action=rule.action, target_tier=target,
            warning_trigger=rule.warning_trigger if rule.action == EscalationAction.RAISE_WARNING else "",
            due_by=due_by(start, rule.within_workdays), message=message_for(rule, target),
            satisfied=_satisfied(rule.action, target, case, facts[case.pk]),
        ))
    return result


def open_flags(disputes: Iterable[Dispute], *, now=None) -> dict[int, list[Flag]]:
    """Only the flags still waiting for action."""
    result = {}
    for pk, flags in flags_for(disputes, now=now).items():
        pending = [f for f in flags if not f.satisfied]
        if pending:
            result[pk] = pending
    return result


def suggested_warnings(dispute: Dispute) -> list[str]:
    """WarningTrigger values suggested by the RAISE_WARNING rules this case matches (a person confirms them)."""
    suggested = []
    for flag in flags_for([dispute]).get(dispute.pk, []):
        trigger = flag.warning_trigger
        if flag.action == EscalationAction.RAISE_WARNING and trigger and trigger not in suggested:
            suggested.append(trigger)
    return suggested


# --- matching ----------------------------------------------------------------------------------------------------


def _gather_facts(cases: list[Dispute], rules: list[EscalationRule]) -> dict[int, _Facts]:
    ids = [c.pk for c in cases]
    facts = {c.pk: _Facts(villages={c.village_id}, open_warning_targets=set()) for c in cases}
    if any(r.cross_village or r.cross_town for r in rules):
        party_villages = Party.objects.filter(dispute_id__in=ids, village__isnull=False).values_list(
            "dispute_id", "village_id"
        )
        for dispute_id, village_code in party_villages:
            facts[dispute_id].villages.add(village_code)
    if any(r.action in (EscalationAction.RAISE_WARNING, EscalationAction.NOTIFY_COUNTY) for r in rules):
        warnings = EarlyWarning.objects.filter(dispute_id__in=ids, status=WarningStatus.OPEN).values_list(
            "dispute_id", "submitted_to"
        )
        for dispute_id, submitted_to in warnings:
            facts[dispute_id].open_warning_targets.add(submitted_to)
    return facts


def _matches(rule: EscalationRule, case: Dispute, facts: _Facts, *, now, today) -> bool:
    if rule.tier and case.tier != rule.tier:
        return False
    if rule.category and case.category != rule.category:
        return False
    if rule.risk_levels and case.risk not in rule.risk_levels:
        return False
    if rule.min_people and case.people_involved < rule.min_people:
        return False
    if rule.cross_village and len(facts.villages) < 2:
        return False
    if rule.cross_town and len({code[:TOWNSHIP_PREFIX] for code in facts.villages}) < 2:
        return False
    if rule.min_days_open and days_open(case, today) < rule.min_days_open:
        return False
    if rule.overdue and not is_overdue(case, now):
        return False
    return not (rule.petition_source and case.source != Source.PETITION)


def days_open(case: Dispute, today: datetime.date) -> int:
    """Whole calendar days since registration (the registration day does not count)."""
    return (today - timezone.localdate(case.created_at)).days


def is_overdue(case: Dispute, now: datetime.datetime) -> bool:
    """Derived, never stored (DESIGN.md §6)."""
    return case.deadline is not None and case.deadline < now and case.status in OPEN_STATUSES


def _target_tier(rule: EscalationRule, case: Dispute) -> str:
    if rule.action == EscalationAction.REFER_UP:
        # A REFER_UP rule without a target means "the next tier up".
        return rule.target_tier or TIER_BY_RANK.get(TIER_RANK[case.tier] + 1, "")
    if rule.action == EscalationAction.NOTIFY_COUNTY:
        return Tier.COUNTY
    return ""


def _satisfied(action: str, target: str, case: Dispute, facts: _Facts) -> bool:
    if action == EscalationAction.REFER_UP:
        # Referrals go one tier up (village → town → county): a case waiting for 签收 is on its way to tier + 1.
        reach = TIER_RANK[case.tier] + (1 if case.status == Status.REFERRED else 0)
        return reach >= TIER_RANK[target]
    if action == EscalationAction.RAISE_WARNING:
        return bool(facts.open_warning_targets)
    if action == EscalationAction.NOTIFY_COUNTY:
        return case.tier == Tier.COUNTY or WarningTarget.COUNTY in facts.open_warning_targets
    return False


# --- deadline and wording ----------------------------------------------------------------------------------------


def _clock_start(rule: EscalationRule, case: Dispute) -> datetime.date:
    """The day the rule's condition began to hold; the working days are counted from the day after.

    Registration for most rules; for "overdue" the missed deadline; for "open N days" the Nth day after
    registration — otherwise these rules would be due before their condition could even be true."""
    start = timezone.localdate(case.created_at)
    if rule.overdue and case.deadline is not None:
        start = max(start, timezone.localdate(case.deadline))
    if rule.min_days_open:
        start = max(start, timezone.localdate(case.created_at) + datetime.timedelta(days=rule.min_days_open))
    return start


class _DueDates:
    """End of the Nth working day after a start day, on one working-day calendar shared by the whole batch.

    `cases.rules.deadlines.WorkCalendar` loads the holiday table for all the years involved in one query (none when
    nothing matched), instead of one query per `due_date` call."""

    def __init__(self, starts: list[datetime.date], max_days: int):
        self.calendar = None
        if starts:
            last = max(starts) + datetime.timedelta(days=2 * max_days + 30)  # weekends + the longest holiday run
            self.calendar = WorkCalendar(min(starts).year, last.year)
        self.cache = {}

    def __call__(self, start: datetime.date, days: int) -> datetime.datetime:
        key = (start, days)
        if key not in self.cache:
            self.cache[key] = end_of_day(self.calendar.due_date(start, days, DayMode.WORKDAY))
        return self.cache[key]


ACTION_WORDING = {
    EscalationAction.REFER_UP: "提请至{tier}",
    EscalationAction.RAISE_WARNING: "发出预警{trigger}",
    EscalationAction.NOTIFY_COUNTY: "报县社会治理协调中心",
}


RISK_WORDING = {Risk.RED: "红色", Risk.ORANGE: "橙色", Risk.YELLOW: "黄色", Risk.BLUE: "蓝色"}
TIER_WORDING = {Tier.VILLAGE: "村级", Tier.TOWN: "镇街级", Tier.COUNTY: "县级"}


def message_for(rule: EscalationRule, target: str = "") -> str:
    """E.g. "村级、红色风险：须在1个工作日内提请至镇街"."""
    trigger = f"（{WarningTrigger(rule.warning_trigger).label}）" if rule.warning_trigger else ""
    tier = Tier(target).label if target else "上一级"
    what = ACTION_WORDING[rule.action].format(tier=tier, trigger=trigger)
    return f"{describe_conditions(rule)}：须在{rule.within_workdays}个工作日内{what}"


def describe_conditions(rule: EscalationRule) -> str:
    """The rule's conditions in one Chinese phrase (flag messages, admin list)."""
    parts = []
    if rule.tier:
        parts.append(TIER_WORDING[rule.tier])
    if rule.category:
        parts.append(Category(rule.category).label + "纠纷")
    risks = [RISK_WORDING[r] for r in rule.risk_levels or [] if r in RISK_WORDING]
    if risks:
        parts.append("/".join(risks) + "风险")
    if rule.min_people:
        parts.append(f"涉及{rule.min_people}人以上")
    if rule.cross_village:
        parts.append("当事人跨村")
    if rule.cross_town:
        parts.append("当事人跨镇街")
    if rule.min_days_open:
        parts.append(f"未化解满{rule.min_days_open}天")
    if rule.overdue:
        parts.append("已逾期")
    if rule.petition_source:
        parts.append("信访来源")
    return "、".join(parts) or "所有未办结案件"
