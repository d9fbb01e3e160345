"""All reads of cases start here: one visibility selector, one access helper per model."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from org.jurisdiction import prefix_of
from org.models import CASE_WRITER_ROLES, Level, Role
from org.selectors import membership_of

from .models import Assignment, CaseEvent, Dispute, Party, Referral, Status, Supervision, Tier

VILLAGE_ROLES = {Role.VILLAGE_SECRETARY, Role.GRID_WORKER}
TOWN_ROLES = {Role.TOWN_LEADER, Role.TOWN_STAFF}
CLOSED_FOR_EDIT = {Status.CLOSED, Status.REJECTED}


def _subtree(qs, code, level):
    """Cases whose village lies inside the division: a code range, not LIKE 'prefix%', so both SQLite and
    PostgreSQL (C collation or not) use the village index (docs/benchmarks.md)."""
    prefix = prefix_of(code, level)
    return qs.filter(village__code__range=(prefix.ljust(12, "0"), prefix.ljust(12, "9")))


def cases_visible_to(user) -> QuerySet:
    """The cases `user` may see (DESIGN.md §7). Every list, filter, agenda, export and dashboard starts here."""
    qs = Dispute.objects.all()
    m = membership_of(user)
    if m is None:
        return qs.none()
    if m.role in VILLAGE_ROLES:
        return qs.filter(village_id=m.division_id)
    if m.role in TOWN_ROLES or (m.role == Role.DISCIPLINE and m.division.level == Level.TOWNSHIP):
        return _subtree(qs, m.division_id, m.division.level)
    if m.role == Role.COUNTY_CENTRE:  # held by the county, or referred to it and waiting for 签收
        # The few waiting ids are read first: an OR with an EXISTS could use no index at 100k cases.
        waiting = list(Referral.objects.filter(status="pending", to_tier=Tier.COUNTY)
                       .values_list("dispute_id", flat=True))
        return qs.filter(Q(tier=Tier.COUNTY) | Q(pk__in=waiting))
    if m.role == Role.DISCIPLINE:  # county discipline commission: county cases and every supervised case
        return qs.filter(Q(tier=Tier.COUNTY) | Exists(Supervision.objects.filter(dispute=OuterRef("pk"))))
    if m.role == Role.SUPERVISOR:  # 督导组 sit in on meetings everywhere and spot-check closed cases (read only)
        return _subtree(qs, m.division_id, m.division.level)
    if m.role == Role.UNIT_STAFF:  # transferred to the unit, or the unit is responsible under an active 四定
        assigned = Assignment.objects.filter(dispute=OuterRef("pk"), active=True, responsible_unit_id=m.unit_id)
        return qs.filter(Q(holder_unit_id=m.unit_id) | Exists(assigned))
    return qs.none()  # administrators and auditors see no case content


def can_edit_case(user, dispute: Dispute) -> bool:
    """Jurisdiction is already established by `cases_visible_to`; this is the role and state check."""
    m = membership_of(user)
    return m is not None and m.role in CASE_WRITER_ROLES and dispute.status not in CLOSED_FOR_EDIT


def get_case_for_user(user, number: str, *, write: bool = False) -> Dispute:
    """Load one case: outside the jurisdiction -> 404 (existence not revealed); read-only role -> 403."""
    try:
        dispute = (
            cases_visible_to(user)
            .select_related("village__parent", "holder_division", "holder_unit", "subcategory", "created_by")
            .get(number=number)
        )
    except Dispute.DoesNotExist:
        raise Http404("未找到该案件。") from None
    if write and not can_edit_case(user, dispute):
        raise PermissionDenied("您的角色不能修改该案件，或案件已办结。")
    return dispute


def case_detail(user, number: str) -> tuple[Dispute, list[Party], list[CaseEvent]]:
    """The case page's data in a fixed number of queries, however many parties and events it has."""
    dispute = get_case_for_user(user, number)
    parties = list(dispute.parties.all())
    events = list(dispute.events.select_related("actor"))
    return dispute, parties, events


def case_list(user) -> QuerySet:
    return cases_visible_to(user).select_related("village", "holder_division", "holder_unit").prefetch_related(
        Prefetch("parties", queryset=Party.objects.only("id", "dispute_id", "name", "role"))
    )


# --- Workflow records, 我的包案, 待签收 (read by cases/views_actions.py) -------------------------------------------


def case_workflow_records(dispute: Dispute) -> dict:
    """The case page's 四定, 三包, hops, warnings, visits and supervisions: six queries, however many rows.

    The caller has already loaded `dispute` through `get_case_for_user`, so jurisdiction is settled."""
    return {
        "assignments": list(dispute.assignments.select_related(
            "lead_leader", "responsible_person", "responsible_unit", "created_by").order_by("-active", "-created_at")),
        "duty_logs": list(dispute.duty_logs.select_related("actor").order_by("on_date", "id")),
        "referrals": list(dispute.referrals.select_related(
            "from_division", "to_division", "to_unit", "created_by", "decided_by").order_by("created_at", "id")),
        "warnings": list(dispute.warnings.select_related("division", "raised_by").order_by("-raised_at", "-id")),
        "visits": list(dispute.visits.select_related("visitor").order_by("visited_on", "id")),
        "supervisions": list(dispute.supervisions.select_related("division").order_by("-opened_at", "-id")),
    }


def my_assignments(user) -> QuerySet:
    """我的包案: active 四定 where `user` is the lead leader or the responsible person, on cases they may see and
    that are still being worked on (open, or resolved and awaiting 回访/结案); nearest deadline first.

    The two partial indexes `assignment_active_leader` / `assignment_active_person` serve the OR."""
    return (
        Assignment.objects.filter(Q(lead_leader=user) | Q(responsible_person=user), active=True)
        .filter(dispute__in=cases_visible_to(user).exclude(status__in=CLOSED_FOR_EDIT).values("pk"))
        .select_related("dispute", "responsible_unit")
        .order_by("deadline", "id")
    )


def referral_inbox(user) -> QuerySet:
    """待签收: referrals waiting for the user's division — town roles for their town, the county centre for the
    county — oldest first. Other roles get PermissionDenied. Served by the `referral_pending_inbox` index."""
    from .models import ReferralKind, ReferralStatus  # kept local: this section only appends to the module

    m = membership_of(user)
    if m is not None and m.role in TOWN_ROLES:
        to_tier = Tier.TOWN
    elif m is not None and m.role == Role.COUNTY_CENTRE:
        to_tier = Tier.COUNTY
    else:
        raise PermissionDenied("只有镇街和县社会治理协调中心的工作人员有待签收事项。")
    return (
        Referral.objects.filter(
            status=ReferralStatus.PENDING, kind=ReferralKind.REFER, to_division_id=m.division_id, to_tier=to_tier,
            dispute__in=cases_visible_to(user).values("pk"),
        )
        .select_related("dispute", "from_division", "created_by")
        .order_by("created_at", "id")
    )
