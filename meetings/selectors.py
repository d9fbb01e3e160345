"""All reads of meetings start here: who convenes which meeting, which meetings a user may see, one access helper,
the meeting list, the choices of the review forms, and the weekly compliance dashboard.

Visibility (DESIGN.md §7): a meeting is visible to users whose division contains the meeting's division (a town user
sees the town's and its villages' meetings; the county centre, 纪委 and 督导组 see all, so also the county's);
administrators and auditors see none (a meeting carries case content). A responsible unit (责任单位) sees only the
meetings about its own cases, and there only their items (`policy.sees_whole_meeting`: no place, summary or
attendance). Writes (open, attendance, reviews, close) belong to the meeting's own tier
roles of its own division; other users who can see it are read-only (403), everybody else gets 404.
"""

import datetime
import functools
import re
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from cases import policy
from cases.models import (
    OPEN_STATUSES,
    CaseEvent,
    EarlyWarning,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
    Tier,
    WarningStatus,
)
from cases.selectors import cases_visible_to
from org import people
from org.jurisdiction import COUNTY_CODE, subtree_q
from org.models import (
    NO_CASE_ACCESS_ROLES,
    Division,
    Level,
    Person,
    Unit,
    UnitKind,
)
from org.selectors import membership_of

from .models import Meeting, MeetingStatus, Review

# --- weeks ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    year: int
    week: int

    @classmethod
    def of(cls, day: datetime.date) -> "Week":
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def current(cls) -> "Week":
        return cls.of(timezone.localdate())

    @property
    def monday(self) -> datetime.date:
        return datetime.date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> datetime.date:
        return datetime.date.fromisocalendar(self.year, self.week, 7)

    def contains(self, day: datetime.date) -> bool:
        return Week.of(day) == self

    def shift(self, weeks: int) -> "Week":
        return Week.of(self.monday + datetime.timedelta(weeks=weeks))

    @property
    def param(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    @property
    def label(self) -> str:
        """The week as people say it: "12月1日—12月7日，第49周" (with the years when it spans New Year)."""
        mon, sun = self.monday, self.sunday
        if mon.year != sun.year:
            return f"{mon.year}年{mon.month}月{mon.day}日—{sun.year}年{sun.month}月{sun.day}日，第{self.week}周"
        return f"{mon.month}月{mon.day}日—{sun.month}月{sun.day}日，第{self.week}周"

    def __str__(self):
        return f"{self.year}年第{self.week}周"


WEEK_PARAM = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


def parse_week(value) -> Week | None:
    """'2026-W48' (or '2026W48') -> Week; anything else, including week 53 of a 52-week year, -> None."""
    match = WEEK_PARAM.match(value or "")
    if not match:
        return None
    try:
        return Week.of(datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1))
    except ValueError:
        return None


# --- who convenes, who sees, who writes ----------------------------------------------------------------------------


def meetings_visible_to(user) -> QuerySet:
    m = membership_of(user)
    if m is None or m.role in NO_CASE_ACCESS_ROLES:
        return Meeting.objects.none()
    if policy.meetings_by_case_only(user):
        return _meetings_about_cases_of(user)
    return Meeting.objects.filter(subtree_q("division__code", m.division))


def _meetings_about_cases_of(user) -> QuerySet:
    """A unit's meetings: those that reviewed one of the cases it may see (`cases_visible_to`: held by the unit or
    assigned to it under an active 四定), recorded an event on one at the meeting, or — while open — have one on
    their agenda (held at the meeting's tier and division and open or under an open warning, or a 提请 waiting for
    the meeting's 签收; `agenda.scope`). One query: every test is a subquery on the unit's visible cases."""
    visible = cases_visible_to(user)
    ids = visible.values("pk")
    reviewed = Review.objects.filter(meeting=OuterRef("pk"), dispute__in=ids)
    acted = CaseEvent.objects.filter(meeting=OuterRef("pk"), dispute__in=ids)
    open_warning = Exists(EarlyWarning.objects.filter(dispute=OuterRef("pk"), status=WarningStatus.OPEN))
    held = visible.filter(tier=OuterRef("tier"), holder_division_id=OuterRef("division_id")).filter(
        Q(status__in=OPEN_STATUSES) | open_warning)
    waiting = visible.filter(status=Status.REFERRED).filter(Exists(Referral.objects.filter(
        dispute=OuterRef("pk"), kind=ReferralKind.REFER, status=ReferralStatus.PENDING,
        to_division_id=OuterRef(OuterRef("division_id")))))
    on_agenda = Q(status=MeetingStatus.OPEN) & (Exists(held) | Exists(waiting))
    return Meeting.objects.filter(Exists(reviewed) | Exists(acted) | on_agenda)


def get_meeting_for_user(user, pk, *, write: bool = False) -> Meeting:
    """Outside the user's jurisdiction -> 404 (existence not revealed); visible but not a writer -> 403."""
    try:
        meeting = meetings_visible_to(user).select_related("division__parent", "convener").get(pk=pk)
    except Meeting.DoesNotExist:
        raise Http404("未找到该例会。") from None
    if write and not policy.can_write_meeting(user, meeting):
        raise PermissionDenied("只有本级例会召集单位的人员可以修改例会。")
    return meeting


def meeting_list(user) -> QuerySet:
    """The meetings of the user's own division, newest week first, with their review counts (one query)."""
    m = membership_of(user)
    if m is None:
        return Meeting.objects.none()
    return (
        meetings_visible_to(user).filter(division_id=m.division_id)
        .select_related("division", "convener")
        .annotate(review_count=Count("reviews"))
        .order_by("-iso_year", "-iso_week", "-id")
    )


def meeting_of_week(division, week: Week) -> Meeting | None:
    return Meeting.objects.filter(division=division, iso_year=week.year, iso_week=week.week).first()


def previous_meeting(meeting: Meeting) -> Meeting | None:
    """The division's last meeting before this one (by ISO week)."""
    return (
        Meeting.objects.filter(division_id=meeting.division_id)
        .filter(Q(iso_year__lt=meeting.iso_year) | Q(iso_year=meeting.iso_year, iso_week__lt=meeting.iso_week))
        .order_by("-iso_year", "-iso_week").first()
    )


# --- the review forms' choices --------------------------------------------------------------------------------------


@dataclass
class ReviewChoices:
    """People and units the decisions of one meeting may name; loaded once per page, shared by every item's form.
    People are of the people directory (org.Person), accounts first; `org.people` decides, per case, who fits."""

    leaders: list = field(default_factory=list)  # [(person, label)] 包案领导
    people: list = field(default_factory=list)  # [(person, label)] 责任人
    units: list = field(default_factory=list)  # [Unit] 四定 责任单位: the town's own and the county's
    transfer_units: list = field(default_factory=list)  # [Unit] 移交: the meeting's own tier's units

    @functools.cached_property
    def people_by_pk(self) -> dict:
        return {person.pk: person for person, _ in self.people + self.leaders}

    @functools.cached_property
    def units_by_pk(self) -> dict:
        return {unit.pk: unit for unit in self.units + self.transfer_units}


def review_choices(meeting: Meeting) -> ReviewChoices:
    """Three queries for a town meeting, one for a county one, none for a village one (it neither assigns nor
    transfers)."""
    choices = ReviewChoices()
    if meeting.tier == Tier.VILLAGE:
        return choices
    units = list(
        Unit.objects.filter(division_id__in={meeting.division_id, COUNTY_CODE}, active=True)
        .exclude(kind__in=[UnitKind.CENTRE, UnitKind.DISCIPLINE]).order_by("-division_id", "kind", "name")
    )
    if meeting.tier == Tier.TOWN:
        choices.leaders = [(p, people.picker_label(p)) for p in people.leader_choices(meeting.division)]
        loose = Q(unit__isnull=True) & subtree_q("division__code", meeting.division)
        candidates = (Person.objects.filter(Q(unit__in=units) | loose, active=True).select_related("unit")
                      .order_by(people.ACCOUNTS_FIRST, "unit_id", "name", "id"))
        choices.people = [(p, people.picker_label(p)) for p in candidates]
    choices.units = units if meeting.tier == Tier.TOWN else []
    choices.transfer_units = [u for u in units if u.division_id == meeting.division_id]
    return choices


def division_people(meeting: Meeting) -> list[Person]:
    """The directory's people of the meeting's division (its leaders, offices and the units hanging on it; with or
    without an account) who may be entered as 参会成员 at once (one query), those already in the attendance (by their
    row or their account) left out; accounts first."""
    present = meeting.attendance.filter(person__isnull=False).values("person_id")
    present_users = meeting.attendance.filter(user__isnull=False).values("user_id")
    return list(
        Person.objects.filter(division_id=meeting.division_id, active=True).exclude(pk__in=present)
        .exclude(user_id__in=present_users).select_related("unit")
        .order_by(people.ACCOUNTS_FIRST, "unit_id", "name", "id")
    )


# --- 本周例会召开情况 -----------------------------------------------------------------------------------------------


@dataclass
class ComplianceRow:
    division: Division
    meeting: Meeting | None = None
    villages_total: int = 0  # county view: the town's villages
    villages_held: int = 0
    villages_closed: int = 0

    @property
    def held(self):
        return self.meeting is not None

    @property
    def closed(self):
        return self.meeting is not None and self.meeting.status == MeetingStatus.CLOSED


@dataclass
class Compliance:
    scope: Division
    week: Week
    level: str  # the level listed: "township" (county view) or "village" (town and village views)
    own: Meeting | None  # the scope division's own meeting of the week
    rows: list

    @property
    def total(self):
        return len(self.rows)

    @property
    def held(self):
        return sum(r.held for r in self.rows)

    @property
    def closed(self):
        return sum(r.closed for r in self.rows)

    @property
    def missing(self):
        return self.total - self.held

    @property
    def villages_total(self):
        return sum(r.villages_total for r in self.rows)

    @property
    def villages_held(self):
        return sum(r.villages_held for r in self.rows)


def compliance_for(user, week: Week) -> Compliance:
    """Which divisions under the user's own held (and closed) the week's meeting, in a fixed number of queries.

    County-level users: every town (its own meeting) and, per town, how many of its villages held theirs.
    Town-level users: the town's villages. Village users: their own village."""
    m = membership_of(user)
    if m is None or m.role in NO_CASE_ACCESS_ROLES:
        raise PermissionDenied("您的角色不查看例会召开情况。")
    scope = m.division
    in_week = Meeting.objects.filter(iso_year=week.year, iso_week=week.week).select_related("division")
    if scope.level == Level.COUNTY:
        towns = list(Division.objects.filter(level=Level.TOWNSHIP, parent_id=scope.code).order_by("code"))
        meetings = {mt.division_id: mt for mt in in_week.filter(tier__in=[Tier.TOWN, Tier.COUNTY])}
        village_totals = dict(
            Division.objects.filter(subtree_q("code", scope), level=Level.VILLAGE)
            .values_list("parent_id").annotate(n=Count("code")).order_by()
        )
        village_held = {
            row["division__parent_id"]: row
            for row in in_week.filter(tier=Tier.VILLAGE).values("division__parent_id").annotate(
                held=Count("id"), closed=Count("id", filter=Q(status=MeetingStatus.CLOSED))).order_by()
        }
        rows = []
        for town in towns:
            held = village_held.get(town.code, {})
            rows.append(ComplianceRow(
                town, meetings.get(town.code), villages_total=village_totals.get(town.code, 0),
                villages_held=held.get("held", 0), villages_closed=held.get("closed", 0),
            ))
        return Compliance(scope, week, Level.TOWNSHIP, meetings.get(scope.code), rows)
    if scope.level == Level.TOWNSHIP:
        villages = list(Division.objects.filter(level=Level.VILLAGE, parent_id=scope.code).order_by("code"))
        meetings = {
            mt.division_id: mt
            for mt in in_week.filter(subtree_q("division__code", scope))
        }
        rows = [ComplianceRow(v, meetings.get(v.code)) for v in villages]
        return Compliance(scope, week, Level.VILLAGE, meetings.get(scope.code), rows)
    own = in_week.filter(division_id=scope.code).first()
    return Compliance(scope, week, Level.VILLAGE, own, [ComplianceRow(scope, own)])


def weekly_meeting_counts(scope: Division, first: datetime.date, last: datetime.date) -> tuple[dict, dict]:
    """Meeting compliance per week inside `scope` (stats/, DESIGN.md §8), in two queries, however many weeks:
    ({(iso_year, iso_week, tier): divisions that held their meeting}, {tier: divisions expected to hold one})."""
    held = {
        (row["iso_year"], row["iso_week"], row["tier"]): row["n"]
        for row in Meeting.objects.filter(subtree_q("division__code", scope), held_on__gte=first, held_on__lte=last)
        # one meeting per division and week (constraint meeting_one_per_week): counting meetings counts divisions
        .values("iso_year", "iso_week", "tier").annotate(n=Count("id")).order_by()
    }
    tier_of = {Level.COUNTY: Tier.COUNTY, Level.TOWNSHIP: Tier.TOWN, Level.VILLAGE: Tier.VILLAGE}
    expected = {
        tier_of[row["level"]]: row["n"]
        for row in Division.objects.filter(subtree_q("code", scope), level__in=list(tier_of))
        .values("level").annotate(n=Count("code")).order_by()
    }
    return held, expected
