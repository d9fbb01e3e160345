"""All reads of cases start here: one visibility selector, one access helper per model."""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from core import crypto, json_rows
from org.jurisdiction import subtree_q
from org.models import TOWN_ROLES, VILLAGE_ROLES, Level, Role
from org.selectors import membership_of

from . import policy
from .models import (
    FINISHED_STATUSES,
    Assignment,
    Attachment,
    CaseEvent,
    CaseTally,
    CitizenRating,
    Dispute,
    Duty,
    DutyLog,
    EarlyWarning,
    Extension,
    Party,
    Referral,
    ReferralKind,
    ReferralStatus,
    Supervision,
    Tier,
    Visit,
)


def _subtree(qs, code, level):
    """Cases whose village lies inside the division: the village's or the town's own column (each has its ledger
    index, docs/performance.md), or a code range on the village index for the county."""
    if level == Level.VILLAGE:
        return qs.filter(village_id=code)
    if level == Level.TOWNSHIP:
        return qs.filter(town_id=code)
    return qs.filter(subtree_q("village__code", (code, level)))


def visible_subtree(user) -> tuple[str, str] | None:
    """(code, level) when the cases `user` sees are exactly those of one division's villages (village, town and
    county-centre roles, town discipline officers, 督导组); None for every other scope."""
    m = membership_of(user)
    if m is None:
        return None
    if m.role in VILLAGE_ROLES:
        return m.division_id, Level.VILLAGE
    if (m.role in TOWN_ROLES or m.role in (Role.COUNTY_CENTRE, Role.SUPERVISOR)
            or (m.role == Role.DISCIPLINE and m.division.level == Level.TOWNSHIP)):
        return m.division_id, m.division.level
    return None


def cases_visible_to(user) -> QuerySet:
    """The cases `user` may see (DESIGN.md §7). Every list, filter, agenda, export and dashboard starts here."""
    qs = Dispute.objects.all()
    m = membership_of(user)
    if m is None:
        return qs.none()
    scope = visible_subtree(user)  # village and town roles, the county centre (every case of the county), 督导组
    if scope is not None:
        return _subtree(qs, *scope)
    if m.role == Role.DISCIPLINE:  # county discipline commission: county cases and every supervised case
        return qs.filter(Q(tier=Tier.COUNTY) | Exists(Supervision.objects.filter(dispute=OuterRef("pk"))))
    if m.role == Role.UNIT_STAFF:  # transferred to the unit (lead or assisting), or responsible under an active 四定
        assigned = Assignment.objects.filter(dispute=OuterRef("pk"), active=True, responsible_unit_id=m.unit_id)
        assisting = Referral.objects.filter(dispute=OuterRef("pk"), kind=ReferralKind.TRANSFER, to_unit_id=m.unit_id,
                                            ended_at__isnull=True)
        return qs.filter(Q(holder_unit_id=m.unit_id) | Exists(assigned) | Exists(assisting))
    return qs.none()  # administrators and auditors see no case content


def tally_counts(user, *, within=None, **named) -> dict[str, int] | None:
    """Counts of the cases `user` sees, from the per-village tally (cases.denorm) instead of the cases: one small
    query, whatever the number of cases. `named` maps a name to {"status": codes, "risk": codes} (either may be
    left out: every value); `within` narrows to a division inside the user's. None when the user's scope is not a
    division's villages (the caller then counts the cases)."""
    scope = visible_subtree(user)
    if scope is None:
        return None
    rows = CaseTally.objects.filter(subtree_q("village__code", scope))
    if within is not None:
        rows = rows.filter(subtree_q("village__code", within))
    sums = {}
    for name, spec in named.items():
        where = Q(**{f"{k}__in": v for k, v in spec.items() if v is not None})
        sums[name] = Sum("n", filter=where) if where else Sum("n")
    return {k: v or 0 for k, v in rows.aggregate(**sums).items()}


def get_case_for_user(user, number: str, *, write: bool = False, with_records: bool = False) -> Dispute:
    """Load one case: outside the jurisdiction -> 404 (existence not revealed); read-only role -> 403.

    `with_records`: the case page's lists (`PAGE_ROWS`: workflow records, attachments, citizen ratings) come in
    the same query; `case_workflow_records`, `attachments_of` and `citizen_ratings_of` then read them without one."""
    qs = cases_visible_to(user).select_related(
        "village__parent", "holder_division", "holder_unit", "subcategory", "created_by")
    if with_records:
        qs = qs.annotate(**json_rows.annotations(PAGE_ROWS))
    try:
        dispute = qs.get(number=number)
    except Dispute.DoesNotExist:
        raise Http404("未找到该案件。") from None
    if with_records:
        _keep_page_rows(dispute)
    if write and not policy.can_edit_case(user, dispute):
        raise PermissionDenied("只有当前承办方可以修改该案件，或案件已办结。")
    return dispute


def case_detail(user, number: str) -> tuple[Dispute, list[Party], list[CaseEvent]]:
    """The case page's data in a fixed number of queries, however many parties, events and records it has: the
    case with its record lists (one query), its parties, its timeline."""
    dispute = get_case_for_user(user, number, with_records=True)
    parties = list(dispute.parties.all())
    events = list(dispute.events.select_related("actor"))
    return dispute, parties, events


# What a ledger row shows ({% case_rows %}): 30 columns and two holder joins per case were a third of the page's
# rows time for columns nobody reads there.
LEDGER_COLUMNS = ("id", "number", "title", "category", "risk", "status", "arose_on", "deadline", "village__name")


def case_list(user) -> QuerySet:
    return cases_visible_to(user).select_related("village").only(*LEDGER_COLUMNS).prefetch_related(
        Prefetch("parties", queryset=Party.objects.only("id", "dispute_id", "name", "role"))
    )


def case_export_rows(user) -> QuerySet:
    """The ledger's Excel export (cases.exports): the exported columns only, the town, village and holder names
    joined in as `town_name`, `village_name`, `holder_unit_name`, `holder_division_name` (no Division or Unit
    objects per row: on 50,000 rows building them cost more than the workbook), and the parties as the list
    `export_parties` with their ID numbers and phones (masked when written). Meant for `.iterator(chunk_size=…)`: one parties query per chunk."""
    return (
        cases_visible_to(user)
        .only("id", "number", "title", "category", "source", "risk", "status", "tier", "created_at", "arose_on",
              "deadline", "outcome", "resolved_at", "reopen_count")
        .annotate(town_name=F("village__parent__name"), village_name=F("village__name"),
                  holder_unit_name=F("holder_unit__name"), holder_division_name=F("holder_division__name"))
        .prefetch_related(Prefetch("parties", to_attr="export_parties", queryset=Party.objects.only(
            "id", "dispute_id", "name", "role", "id_number", "phone",
        )))  # to_attr: a plain list per case (a related manager's queryset per row is measurably slower)
    )


# --- Workflow records, 我的包案, 待签收 -------------------------------------------------------------------------


# The case page's lists, each loaded as a JSON array with the case (core.json_rows): a dozen lists of a few rows
# each cost one query together instead of one each. `related` is what each row shows of its people and places.
WORKFLOW_ROWS = {
    "assignments": json_rows.Rows(Assignment, "dispute", {
        "lead_leader": {"unit": {}}, "responsible_person": {"unit": {}}, "responsible_unit": {}, "created_by": {},
    }, order=("-active", "-created_at")),
    "duties": json_rows.Rows(Duty, "assignment__dispute", {"person": {}}, order=("assignment", "kind")),
    "duty_logs": json_rows.Rows(DutyLog, "dispute", {"actor": {}}, order=("on_date", "id")),
    "referrals": json_rows.Rows(Referral, "dispute", {
        "from_division": {}, "to_division": {}, "to_unit": {}, "created_by": {}, "decided_by": {},
    }, order=("created_at", "id")),
    "warnings": json_rows.Rows(EarlyWarning, "dispute", {"division": {}, "raised_by": {}}, order=("-raised_at", "-id")),
    "visits": json_rows.Rows(Visit, "dispute", {"visitor": {}}, order=("visited_on", "id")),
    "supervisions": json_rows.Rows(Supervision, "dispute", {"division": {}}, order=("-opened_at", "-id")),
    "extensions": json_rows.Rows(Extension, "dispute", {
        "requested_by": {}, "decided_by": {}, "approver_division": {},
    }, order=("-requested_at", "-id")),
}
PAGE_ROWS = {
    **WORKFLOW_ROWS,
    "attachments": json_rows.Rows(Attachment, "dispute", {"uploaded_by": {}}, order=("uploaded_at", "id")),
    "citizen_ratings": json_rows.Rows(CitizenRating, "dispute", order=("-rated_at", "-id")),
}


def _keep_page_rows(dispute: Dispute) -> None:
    """Decode the lists annotated on `dispute` (get_case_for_user with_records) and keep them on it."""
    dispute._page_rows = {name: json_rows.decode(spec, getattr(dispute, json_rows.column(name)))
                          for name, spec in PAGE_ROWS.items()}


def _page_rows(dispute: Dispute, names) -> dict:
    """The page lists `names` of the case: those loaded with it, else one query for them all."""
    loaded = getattr(dispute, "_page_rows", None)
    if loaded is None:
        specs = {name: PAGE_ROWS[name] for name in names}
        row = Dispute.objects.filter(pk=dispute.pk).values(**json_rows.annotations(specs)).get()
        return {name: json_rows.decode(spec, row[json_rows.column(name)]) for name, spec in specs.items()}
    return {name: loaded[name] for name in names}


def case_workflow_records(dispute: Dispute) -> dict:
    """The case page's 四定 (with their 三包 duties), 三包 records, hops, warnings, visits, supervisions and
    extensions: one query, however many rows (none when the case was loaded `with_records`).

    The caller has already loaded `dispute` through `get_case_for_user`, so jurisdiction is settled."""
    records = _page_rows(dispute, WORKFLOW_ROWS)
    by_assignment = {}
    for duty in records.pop("duties"):
        by_assignment.setdefault(duty.assignment_id, []).append(duty)
    for a in records["assignments"]:
        duties = by_assignment.get(a.pk, [])
        for duty in duties:
            Duty.assignment.field.set_cached_value(duty, a)
        a._prefetched_objects_cache = {"duties": _loaded(a.duties.all(), duties)}
    return records


def _loaded(qs: QuerySet, rows: list) -> QuerySet:
    """`qs` with `rows` as its result, as prefetch_related leaves a related manager's queryset."""
    qs._result_cache, qs._prefetch_done = rows, True
    return qs


def running_clocks(dispute: Dispute, records: dict) -> list[tuple[str, object]]:
    """Every clock running on the case, for its page: (label, deadline instant), nearest first. From `records`
    (case_workflow_records), so no query."""
    from .rules.deadlines import end_of_day

    clocks = []
    if dispute.is_open and dispute.deadline:
        clocks.append(("办结时限", dispute.deadline))
    for s in records["supervisions"]:
        if s.status == "open":
            clocks.append(("纪委督办", s.due_at))
    for w in records["warnings"]:
        if w.status == "open":
            clocks.append((f"{w.get_level_display()}重新评估", end_of_day(w.reassess_on)))
    for r in records["referrals"]:
        if r.kind == "transfer" and r.status == "pending" and not r.ended_at and r.sign_by:
            clocks.append((f"{r.to_unit}签收", r.sign_by))
    for e in records["extensions"]:
        if e.status == "pending":
            clocks.append(("延期申请待审批（申请延至）", e.new_deadline))
    return sorted(clocks, key=lambda c: c[1])


def my_assignments(user) -> QuerySet:
    """我的包案: active 四定 where `user` is the lead leader or the responsible person, on cases they may see and
    that are still being worked on (open, or resolved and awaiting 回访/结案); nearest deadline first.

    The two partial indexes `assignment_active_leader` / `assignment_active_person` serve the OR."""
    return (
        Assignment.objects.filter(policy.assignee_q(user), active=True)
        .filter(dispute__in=cases_visible_to(user).exclude(status__in=FINISHED_STATUSES).values("pk"))
        .select_related("dispute", "responsible_unit", "lead_leader", "responsible_person")
        .prefetch_related(Prefetch("duties", Duty.objects.select_related("person")))
        .order_by("deadline", "id")
    )


def referral_inbox(user) -> QuerySet:
    """待签收: referrals waiting for the user's division — town roles for their town, the county centre for the
    county — and a unit's 新移交 (transfers waiting for its 签收), oldest first. Other roles get PermissionDenied.
    Served by the `referral_pending_inbox` index."""
    m = membership_of(user)
    if policy.has_transfer_inbox(user):
        waiting = Referral.objects.filter(status=ReferralStatus.PENDING, kind=ReferralKind.TRANSFER,
                                          to_unit_id=m.unit_id, ended_at__isnull=True)
    else:
        to_tier = policy.inbox_tier(user)
        if to_tier is None:
            raise PermissionDenied("只有镇街、县社会治理协调中心和责任单位的工作人员有待签收事项。")
        waiting = Referral.objects.filter(status=ReferralStatus.PENDING, kind=ReferralKind.REFER,
                                          to_division_id=m.division_id, to_tier=to_tier)
    return (
        waiting.filter(dispute__in=cases_visible_to(user).values("pk"))
        .select_related("dispute", "from_division", "created_by", "to_unit")
        .order_by("created_at", "id")
    )


def attachments_of(dispute: Dispute) -> list[Attachment]:
    """The case page's attachment list: one query (none when the case was loaded `with_records`)."""
    return _page_rows(dispute, ["attachments"])["attachments"]


def citizen_ratings_of(dispute: Dispute) -> list[CitizenRating]:
    """群众评价 on the case page, newest first: one query (none when the case was loaded `with_records`)."""
    return _page_rows(dispute, ["citizen_ratings"])["citizen_ratings"]


# --- 预警台账 and 纪委督办 ------------------------------------------------------------------------------------------


def warnings_visible_to(user) -> QuerySet:
    """Warnings of the cases `user` may see: the case selector as a subquery, so jurisdiction is decided once."""
    return EarlyWarning.objects.filter(dispute__in=cases_visible_to(user).values("pk"))


def warnings_addressed_to(user) -> QuerySet:
    """收到的预警: open warnings delivered to the user's division and role (policy.receives_warning), the unanswered
    first, nearest reply deadline first. Served by the `warning_unanswered` index."""
    m = membership_of(user)
    if m is None or not policy.may_receive_warnings(user):
        return EarlyWarning.objects.none()
    tier = Tier.COUNTY if m.role == Role.COUNTY_CENTRE else Tier.TOWN
    return (EarlyWarning.objects.filter(recipient_division_id=m.division_id, recipient_tier=tier, status="open")
            .filter(dispute__in=cases_visible_to(user).values("pk"))
            .select_related("dispute__village", "division", "raised_by", "signed_by")
            .order_by(F("replied_at").asc(nulls_first=True), "respond_by", "id"))


def supervisions_visible_to(user) -> QuerySet:
    """Supervisions a discipline commission (纪委) user may see; PermissionDenied for every other role.

    Always within `cases_visible_to(user)` (a subquery, never a Python list). A town 纪委 sees the supervisions of
    its township's cases; the county 纪委 sees the supervisions it runs itself (division = the county)."""
    if not policy.can_see_supervisions(user):
        raise PermissionDenied("只有纪委用户可以查看督办案件。")
    m = membership_of(user)
    qs = Supervision.objects.filter(dispute__in=cases_visible_to(user).values("pk"))
    if m.division.level == Level.COUNTY:
        qs = qs.filter(division_id=m.division_id)
    return qs


def get_supervision_for_user(user, pk, *, write=False) -> Supervision:
    """Wrong role → 403; a supervision outside the user's jurisdiction → 404 (its existence is not revealed).

    With `write`, only the commission that runs the supervision may act on it: a town 纪委 sees the county's
    supervision of one of its villages' cases but cannot close it (403)."""
    try:
        supervision = supervisions_visible_to(user).select_related("dispute", "division").get(pk=pk)
    except Supervision.DoesNotExist:
        raise Http404("未找到该督办事项。") from None
    if write and not policy.can_close_supervision(user, supervision):
        raise PermissionDenied(f"该督办由{supervision.division.name}纪委负责，您不能办结。")
    return supervision


# --- 人民调解卷宗 ------------------------------------------------------------------------------------------------


def mediation_records(dispute: Dispute) -> dict:
    """The mediation page's records in a fixed number of queries, however many sessions and visits. The caller has
    loaded `dispute` through `get_case_for_user`."""
    from .models import CaseMediator, MediationSession, MediatorChange

    sessions = list(MediationSession.objects.filter(dispute=dispute).select_related("actor")
                    .prefetch_related(Prefetch("mediators", queryset=_mediators())).order_by("held_on", "id"))
    return {
        "mediators": list(CaseMediator.objects.filter(dispute=dispute).select_related(
            "mediator__person", "mediator__committee_division", "mediator__committee_unit").order_by(
            "-active", "-is_lead", "added_at", "id")),
        "changes": list(MediatorChange.objects.filter(dispute=dispute).select_related(
            "party", "mediator__person", "replacement__person").order_by("created_at", "id")),
        "sessions": sessions,
        "agreements": list(dispute.agreements.select_related("scan", "created_by").order_by("created_at", "id")),
        "follow_ups": list(dispute.follow_ups.select_related("visit").order_by("resolution_at", "due_on", "id")),
        "visits": list(dispute.visits.select_related("visitor").order_by("visited_on", "id")),
    }


def _mediators():
    from .models import Mediator

    return Mediator.objects.select_related("person")


# --- A person's history (issue 12 #7) -------------------------------------------------------------------------------


def person_hashes(party: Party) -> list[str]:
    """The keyed hashes under which the party's ID number may be stored on other rows: the current key's and the old
    keys' (during a key rotation, docs/pii.md). Empty when the party has no ID number."""
    return crypto.id_hash_candidates(party.id_number) if party.id_number else []


def person_history(user, party: Party) -> QuerySet:
    """Every case `user` may see (`cases_visible_to`, across villages and towns) with a party of the same ID number
    as `party`, matched by the keyed hash `Party.id_hash` (exact, never the number itself), newest first. Each case
    carries `person_rows`: that person's party rows on it (their role there). No case when the party has no ID
    number. Two queries per page (the rows, the person's rows), however many cases; served by `party_id_hash`."""
    hashes = person_hashes(party)
    if not hashes:
        return Dispute.objects.none()
    same_person = Party.objects.filter(id_hash__in=hashes)
    return (
        cases_visible_to(user)
        .filter(Exists(same_person.filter(dispute=OuterRef("pk"))))
        .select_related("village__parent")
        .prefetch_related(Prefetch("parties", to_attr="person_rows",
                                   queryset=same_person.only("id", "dispute_id", "name", "role")))
    )
