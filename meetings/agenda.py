"""Agenda assembly (DESIGN.md §5) — the ONE place that decides which cases a weekly meeting discusses, and why.

Scope, from `cases_visible_to(user)` (the convener by default, or the user viewing the page):
* village meeting: cases of that village held at the village tier;
* town meeting: cases held by the town (tier town, holder = the town), plus referrals from its villages waiting for
  the town's 签收 (status referred, a pending Referral addressed to the town);
* county meeting: cases held at the county tier, plus referrals waiting for the county's 签收;
* and, at every tier, the cases this meeting has already reviewed (so an item does not vanish once acted on).

Groups (a case may be in several; it is listed once, under the first of its groups in GROUPS order, with all of
its reasons; each group's count counts every case in it):
    新登记      logged since the division's previous meeting was opened (or in the 7 days before this one opened)
    待签收      a referral to this meeting's division waits for 签收
    已逾期      open and past its deadline                        (cases.rules.deadlines.overdue_q)
    三日内到期  open, deadline within 3 days                      (cases.rules.deadlines.due_soon_q)
    红橙风险    open, risk red or orange
    预警未解除  an open Warning
    在办        any other open case in scope
    本次已研判  reviewed at this meeting and in none of the above (e.g. resolved at the meeting)

Plus the rule flags (`cases.rules.escalation.open_flags`) of the listed cases, with this meeting's overrides, and
the carried-over mark: a case the division's previous meeting had on its agenda but did not review (its frozen
minutes list it as "未研判，转下次例会", `reviewed: false`) is `carried_over` — "上次例会未研判（转入）". A previous
meeting that was never closed, or closed before the minutes listed every item (format 1), marks nothing.

Cost: a fixed number of queries whatever the number of items — the cases (one query, the groups' deadline tests
annotated in SQL), their pending referrals, open warnings and active 四定 (three prefetches), the previous meeting,
this meeting's reviews and overrides, and the escalation module's own fixed few.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    prefetch_related_objects,
)
from django.utils import timezone

from cases.models import (
    OPEN_STATUSES,
    RISK_RANK,
    Assignment,
    Dispute,
    EarlyWarning,
    EscalationAction,
    Extension,
    ExtensionStatus,
    Referral,
    ReferralKind,
    ReferralStatus,
    Risk,
    Status,
    Supervision,
    SupervisionStatus,
    Tier,
    WarningStatus,
)
from cases.rules import escalation
from cases.rules.deadlines import due_soon_q, overdue_q
from cases.selectors import cases_visible_to, running_clocks

from .models import FlagOverride, Meeting, Review
from .selectors import previous_meeting

NEW = "new"
PENDING = "pending"
OVERDUE = "overdue"
DUE_SOON = "due_soon"
SERIOUS = "serious"
WARNING = "warning"
ACTIVE = "active"
REVIEWED = "reviewed"

GROUPS = [
    (PENDING, "待签收"),
    (NEW, "新登记"),
    (OVERDUE, "已逾期"),
    (DUE_SOON, "三日内到期"),
    (SERIOUS, "红橙风险"),
    (WARNING, "预警未解除"),
    (ACTIVE, "在办"),
    (REVIEWED, "本次已研判"),
]
GROUP_LABELS = dict(GROUPS)
GROUP_ORDER = {key: i for i, (key, _) in enumerate(GROUPS)}
SERIOUS_RISKS = (Risk.RED, Risk.ORANGE)
NO_PREVIOUS_WINDOW = datetime.timedelta(days=7)


@dataclass
class AgendaItem:
    dispute: object
    groups: list  # group keys, GROUPS order
    flags: list = field(default_factory=list)  # open escalation.Flag of the case
    overrides: dict = field(default_factory=dict)  # rule_id -> FlagOverride recorded at this meeting
    review: Review | None = None
    pending_referral: Referral | None = None  # the case's pending 提请 (to whichever division)
    open_warnings: list = field(default_factory=list)
    assignment: Assignment | None = None  # the active 四定
    review_form: object = None  # set by the page for the one item whose form is open
    carried_over: bool = False  # on the previous meeting's agenda, not reviewed there (its frozen minutes say so)

    @property
    def primary_group(self) -> str:
        return self.groups[0]

    @property
    def reasons(self) -> list[str]:
        return [GROUP_LABELS[g] for g in self.groups]

    @property
    def unhandled_flags(self) -> list:
        """Open flags neither acted on (they would no longer be open) nor overridden at this meeting."""
        return [f for f in self.flags if not f.satisfied and f.rule_id not in self.overrides]

    @property
    def flag_rows(self) -> list:
        return [(f, self.overrides.get(f.rule_id)) for f in self.flags]

    @property
    def suggested_triggers(self) -> list[str]:
        return list(dict.fromkeys(f.warning_trigger for f in self.flags if f.warning_trigger))


@dataclass
class Agenda:
    meeting: Meeting
    items: list
    since: datetime.datetime
    now: datetime.datetime

    @property
    def counts(self) -> list[tuple[str, str, int]]:
        """(key, label, how many cases are in the group) for every group, GROUPS order."""
        n = dict.fromkeys(GROUP_LABELS, 0)
        for item in self.items:
            for g in item.groups:
                n[g] += 1
        return [(key, label, n[key]) for key, label in GROUPS]

    def count(self, key) -> int:
        return sum(key in item.groups for item in self.items)

    @property
    def sections(self) -> list[tuple[str, str, list]]:
        """Each case once, under its first group; only non-empty sections."""
        by_group = {key: [] for key in GROUP_LABELS}
        for item in self.items:
            by_group[item.primary_group].append(item)
        return [(key, label, by_group[key]) for key, label in GROUPS if by_group[key]]

    @property
    def unhandled(self) -> list[AgendaItem]:
        return [item for item in self.items if item.unhandled_flags]

    def item_for(self, dispute_id) -> AgendaItem | None:
        return next((item for item in self.items if item.dispute.pk == dispute_id), None)

    @property
    def listed(self) -> list[AgendaItem]:
        """Every item in page order (section by section), as the meeting goes through them."""
        return [item for _, _, items in self.sections for item in items]

    def neighbours(self, dispute_id) -> tuple[int, AgendaItem | None, AgendaItem | None]:
        """(1-based position of the case in page order or 0, the item before it, the item after it)."""
        listed = self.listed
        at = next((i for i, item in enumerate(listed) if item.dispute.pk == dispute_id), None)
        if at is None:
            return 0, None, None
        return at + 1, (listed[at - 1] if at else None), (listed[at + 1] if at + 1 < len(listed) else None)

    def next_to_review(self, *, after) -> AgendaItem | None:
        """The first item without a review listed after case `after` (page order, no wrapping): 保存并下一项."""
        listed = self.listed
        at = next((i for i, item in enumerate(listed) if item.dispute.pk == after), len(listed))
        return next((item for item in listed[at + 1:] if item.review is None), None)

    @property
    def unreviewed(self) -> list[AgendaItem]:
        return [item for item in self.items if item.review is None]

    def next_unreviewed(self, *, after) -> AgendaItem | None:
        """The first item without a review listed after case `after` (page order), wrapping around."""
        listed = [item for _, _, items in self.sections for item in items]
        at = next((i for i, item in enumerate(listed) if item.dispute.pk == after), -1)
        rest = listed[at + 1:] + listed[:at + 1]
        return next((item for item in rest if item.review is None and item.dispute.pk != after), None)


def clocks_of(items: list[AgendaItem]) -> list[tuple[AgendaItem, list]]:
    """Every running clock of each item (`cases.selectors.running_clocks`) for the table view, in three queries
    for all items: open supervisions, pending transfers and pending extensions (open warnings are prefetched)."""
    disputes = [item.dispute for item in items]
    prefetch_related_objects(
        disputes,
        Prefetch("supervisions", queryset=Supervision.objects.filter(status=SupervisionStatus.OPEN),
                 to_attr="open_supervisions"),
        Prefetch("referrals", queryset=Referral.objects.filter(
            kind=ReferralKind.TRANSFER, status=ReferralStatus.PENDING, ended_at__isnull=True).select_related("to_unit"),
            to_attr="pending_transfers"),
        Prefetch("extensions", queryset=Extension.objects.filter(status=ExtensionStatus.PENDING),
                 to_attr="pending_extensions"),
    )
    return [(item, running_clocks(item.dispute, {
        "supervisions": item.dispute.open_supervisions, "warnings": item.open_warnings,
        "referrals": item.dispute.pending_transfers, "extensions": item.dispute.pending_extensions,
    })) for item in items]


_LOAD = object()


def since_for(meeting: Meeting, previous=_LOAD) -> datetime.datetime:
    """新登记 starts when the division's previous meeting was opened, or 7 days before this one was."""
    if previous is _LOAD:
        previous = previous_meeting(meeting)
    return previous.opened_at if previous else meeting.opened_at - NO_PREVIOUS_WINDOW


def carried_over_numbers(previous: Meeting | None) -> set[str]:
    """The case numbers the previous meeting's frozen minutes list as not reviewed (转下次例会); no query."""
    items = (previous.minutes or {}).get("items", []) if previous else []
    return {i["number"] for i in items if i.get("reviewed") is False}


def _pending_to(meeting: Meeting):
    return Referral.objects.filter(
        dispute=OuterRef("pk"), kind=ReferralKind.REFER, status=ReferralStatus.PENDING,
        to_division_id=meeting.division_id,
    )


def scope(meeting: Meeting, user=None):
    """The cases this meeting may discuss, as seen by `user` (default: the convener). Also the write-path check."""
    held = Q(tier=meeting.tier, holder_division_id=meeting.division_id)
    if meeting.tier != Tier.VILLAGE:
        held |= Q(status=Status.REFERRED) & Exists(_pending_to(meeting))
        # A warning delivered to this division stays on its agenda until it is answered (批示/回复).
        held |= Exists(EarlyWarning.objects.filter(dispute=OuterRef("pk"), status=WarningStatus.OPEN,
                                                   replied_at__isnull=True, recipient_division_id=meeting.division_id))
    reviewed = Exists(Review.objects.filter(meeting=meeting, dispute=OuterRef("pk")))
    return cases_visible_to(user or meeting.convener).filter(held | reviewed)


def candidates(meeting: Meeting, since: datetime.datetime):
    """The keys of a superset of the agenda's cases, as a union of small sets each read from its own index: open
    cases held at this tier (dispute_holder_open), cases registered since `since` in this division (its own
    created-time index), referrals pending to it, open warnings, this meeting's reviews. `scope` ∧ `on_agenda`
    implies membership (a held case is open, new, warned or reviewed; every other way onto the agenda is a
    referral, a warning or a review), so adding `pk IN candidates` changes no result; it lets the planner fetch a
    few hundred cases by key instead of walking every case of the town to filter them (docs/performance.md §3)."""
    division = meeting.division_id
    held_open = Dispute.objects.filter(holder_division_id=division, tier=meeting.tier, status__in=OPEN_STATUSES)
    new = Dispute.objects.filter(created_at__gt=since)
    if meeting.tier == Tier.TOWN:
        new = new.filter(town_id=division)
    elif meeting.tier == Tier.VILLAGE:
        new = new.filter(village_id=division)
    # Any kind of pending referral: without the kind, the planner reads the inbox's own index (to_division).
    pending = Referral.objects.filter(status=ReferralStatus.PENDING, to_division_id=division)
    open_warnings = EarlyWarning.objects.filter(status=WarningStatus.OPEN)
    # Warnings delivered here; and warnings on cases held here: a town or county raises them on its own cases
    # (division), a village's cases are warned by its town or the county; the county's meeting sees them all.
    warned = [open_warnings.filter(replied_at__isnull=True, recipient_division_id=division)]
    if meeting.tier == Tier.TOWN:
        warned += [open_warnings.filter(division_id=division),
                   open_warnings.filter(tier=Tier.COUNTY, dispute__town_id=division)]  # e.g. returned by the county
    elif meeting.tier == Tier.VILLAGE:
        warned += [open_warnings.filter(dispute__village_id=division)]
    else:
        warned = [open_warnings]
    reviewed = Review.objects.filter(meeting=meeting)
    return held_open.order_by().values("pk").union(
        new.order_by().values("pk"),
        pending.order_by().values("dispute_id"),
        *(w.order_by().values("dispute_id") for w in warned),
        reviewed.order_by().values("dispute_id"),
    )


def assemble(meeting: Meeting, *, user=None, now=None) -> Agenda:
    now = now or timezone.now()
    previous = previous_meeting(meeting)  # one query: both 新登记's start and the carried-over items
    since = since_for(meeting, previous)
    carried = carried_over_numbers(previous)
    open_warning = Exists(EarlyWarning.objects.filter(dispute=OuterRef("pk"), status=WarningStatus.OPEN))
    reviewed = Exists(Review.objects.filter(meeting=meeting, dispute=OuterRef("pk")))
    on_agenda = Q(status__in=OPEN_STATUSES) | Q(created_at__gt=since) | open_warning | reviewed
    pending = Referral.objects.filter(kind=ReferralKind.REFER, status=ReferralStatus.PENDING).select_related(
        "from_division", "to_division")
    disputes = list(
        scope(meeting, user).filter(on_agenda, pk__in=candidates(meeting, since))
        .annotate(
            is_overdue=ExpressionWrapper(overdue_q(now), output_field=BooleanField()),
            is_due_soon=ExpressionWrapper(due_soon_q(now), output_field=BooleanField()),
            is_reviewed=reviewed,
        )
        .select_related("village__parent", "holder_division", "holder_unit")
        .prefetch_related(
            Prefetch("referrals", queryset=pending, to_attr="pending_referrals"),
            Prefetch("warnings", queryset=EarlyWarning.objects.filter(status=WarningStatus.OPEN), to_attr="open_warnings"),
            Prefetch("assignments", queryset=Assignment.objects.filter(active=True).select_related(
                "lead_leader", "responsible_person", "responsible_unit"), to_attr="active_assignments"),
        )
    )
    items = []
    for d in disputes:
        referral = d.pending_referrals[0] if d.pending_referrals else None
        groups = _groups(d, meeting, since, referral)
        if not groups:
            continue
        items.append(AgendaItem(
            dispute=d, groups=groups, pending_referral=referral, open_warnings=d.open_warnings,
            assignment=d.active_assignments[0] if d.active_assignments else None, carried_over=d.number in carried,
        ))
    items.sort(key=_order)
    _attach_flags_reviews_overrides(meeting, items, now)
    return Agenda(meeting, items, since, now)


def _groups(d, meeting, since, referral) -> list[str]:
    is_open = d.status in OPEN_STATUSES
    groups = []
    if referral is not None and referral.to_division_id == meeting.division_id:
        groups.append(PENDING)
    if d.created_at > since:
        groups.append(NEW)
    if d.is_overdue:
        groups.append(OVERDUE)
    if d.is_due_soon:
        groups.append(DUE_SOON)
    if is_open and d.risk in SERIOUS_RISKS:
        groups.append(SERIOUS)
    if d.open_warnings:
        groups.append(WARNING)
    if is_open and not groups:
        groups.append(ACTIVE)
    if d.is_reviewed and not groups:
        groups.append(REVIEWED)
    return groups


def _order(item: AgendaItem):
    d = item.dispute
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    return (GROUP_ORDER[item.primary_group], RISK_RANK.get(d.risk, 9), d.deadline or far, d.created_at, d.pk)


def _attach_flags_reviews_overrides(meeting, items, now):
    if not items:
        return
    flags = escalation.open_flags([item.dispute for item in items], now=now)
    reviews = {r.dispute_id: r for r in Review.objects.filter(meeting=meeting).select_related("decided_by")}
    overrides = {}
    for o in FlagOverride.objects.filter(meeting=meeting).select_related("by"):
        overrides.setdefault(o.dispute_id, {})[o.rule_id] = o
    for item in items:
        pk = item.dispute.pk
        # A village can only refer up: flags asking for a warning or a county notice belong to the town's agenda.
        item.flags = [f for f in flags.get(pk, [])
                      if meeting.tier != Tier.VILLAGE or f.action == EscalationAction.REFER_UP]
        item.review = reviews.get(pk)
        item.overrides = overrides.get(pk, {})
