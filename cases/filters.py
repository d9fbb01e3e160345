"""The case list's filters. The queryset handed in is already `cases_visible_to(user)`.

The keyword never matches ID numbers or phones: a GET search by a full number was an oracle (a masked ID number has
~2,300 candidates; issue 8, defect 1) and put the number in URLs and access logs. Searching by them is the
separate, logged and rate-limited 按身份证号/电话查找 page (`cases:pii_lookup`, services.pii.lookup_pii).

按电话查找 in the ledger (issue 12 #7) keeps those rules: the phone is POSTed to `cases:phone_search` (role, reason,
hourly budget, audit: services.pii.lookup_pii), which keeps the search's keyed hashes in the session under a random
token (`keep_phone_search`); `?phone=<token>` then filters the ledger by `Party.phone_hash`. The URL carries only
the token, which means nothing outside that session.
"""

import datetime
import re
import secrets
import time

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from org.jurisdiction import subtree_q
from org.models import Division, Level, Unit
from org.selectors import divisions_within, membership_of

from . import policy, selectors
from .models import (
    OPEN_STATUSES,
    Assignment,
    Category,
    Dispute,
    EarlyWarning,
    Outcome,
    Party,
    Risk,
    Source,
    Status,
    WarningLevel,
    WarningTrigger,
)
from .rules.deadlines import due_soon_q, overdue_q
from .services.numbering import PREFIX

# Sets a link may ask for (the home cards, later the dashboards): one value names several codes.
OPEN = "open"  # 全部未办结: 已登记, 调处中, 已提请
COUNTED = "counted"  # 纳入统计: every status but 不予受理 (DESIGN.md §8, the cohort)
DONE = "done"  # 已化解或已结案: a case with a result
SERIOUS_RISKS = (Risk.RED, Risk.ORANGE)
STATUS_SETS = {
    OPEN: OPEN_STATUSES,
    COUNTED: tuple(s for s in Status.values if s != Status.REJECTED),
    DONE: (Status.RESOLVED, Status.CLOSED),
}
RISK_SETS = {",".join(SERIOUS_RISKS): SERIOUS_RISKS}
OVERDUE, DUE_SOON, MINE = "overdue", "soon", "mine"  # the ledger's `clock` filter
ID_MAX = 2**31 - 1

# A typed 18-character ID number (spaces allowed, lower-case x accepted), or a phone (mobile or landline): the list
# page then points to the look-up page (it is never searched for here).
ID_NUMBER_QUERY = re.compile(r"^(?:\d\s*){17}[\dXx]$")
PHONE_QUERY = re.compile(r"^(?:\d[\s-]*){7,12}$")
# A case number typed in the keyword box: its prefix, year and at least the start of its sequence.
CASE_NUMBER_QUERY = re.compile(rf"^{PREFIX}-\d{{4}}-\d{{1,6}}$", re.IGNORECASE)


# 按电话查找: searches kept in the session, {token: {"hashes": [...], "shown": "138****5678", "at": epoch seconds}}.
PHONE = "phone"  # the ledger's parameter
PHONE_SEARCHES = "ledger_phone_searches"  # the session key
PHONE_SEARCH_TTL = 2 * 60 * 60  # seconds a search stays usable (pages, export) after it was made
PHONE_SEARCHES_KEPT = 5  # per session; the oldest goes first


def keep_phone_search(session, *, hashes: list[str], shown: str, now: float | None = None) -> str:
    """Keep one phone search (its keyed hashes and the phone masked) in the session; return its token."""
    now = time.time() if now is None else now
    kept = {t: s for t, s in phone_searches(session, now=now).items()}
    while len(kept) >= PHONE_SEARCHES_KEPT:
        kept.pop(min(kept, key=lambda t: kept[t]["at"]))
    token = secrets.token_urlsafe(9)
    kept[token] = {"hashes": list(hashes), "shown": shown, "at": now}
    session[PHONE_SEARCHES] = kept
    return token


def phone_searches(session, *, now: float | None = None) -> dict:
    """The session's phone searches that are still usable."""
    now = time.time() if now is None else now
    return {t: s for t, s in (session.get(PHONE_SEARCHES) or {}).items() if now - s.get("at", 0) < PHONE_SEARCH_TTL}


# Dates typed or forged beyond these are clamped: no datetime overflow (date.max + 1 day), no pre-1900 offsets.
EARLIEST_DAY, LATEST_DAY = datetime.date(1900, 1, 1), datetime.date(9998, 12, 31)


def local_midnight(day: datetime.date) -> datetime.datetime:
    day = min(max(day, EARLIEST_DAY), LATEST_DAY)
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


def looks_like_pii(value: str) -> bool:
    value = (value or "").strip()
    return bool(ID_NUMBER_QUERY.match(value) or PHONE_QUERY.match(value))


class StableOrderingFilter(django_filters.OrderingFilter):
    """Appends the primary key so pages never overlap when many rows share a sort value."""

    def filter(self, qs, value):
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-id")
        return qs


class _OwnFields(dict):
    """A form class's fields that belong to one filterset instance (see DisputeFilter.get_form_class): the form's
    deep copy of them returns them as they are."""

    def __deepcopy__(self, memo):
        return dict(self)


class DisputeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="关键词", method="filter_keyword",
        widget=forms.TextInput(attrs={"placeholder": "编号、标题或当事人姓名", "type": "search"}),
    )
    status = django_filters.ChoiceFilter(
        label="状态", choices=[(OPEN, "全部未办结"), (DONE, "已化解或已结案"), (COUNTED, "纳入统计（不含不予受理）"),
                             *Status.choices],
        empty_label="全部状态", method="filter_in_set",
    )
    outcome = django_filters.ChoiceFilter(label="化解结果", choices=Outcome.choices, empty_label="全部结果")
    reopened = django_filters.ChoiceFilter(
        label="反复", method="filter_reopened", empty_label="不限", choices=[("yes", "发生过反复"), ("no", "未反复")],
    )
    warning = django_filters.ChoiceFilter(
        label="预警", method="filter_warning", empty_label="不限", choices=WarningLevel.choices,
    )
    trigger = django_filters.ChoiceFilter(
        label="预警情形", method="filter_trigger", empty_label="不限", choices=WarningTrigger.choices,
    )
    resolved_from = django_filters.DateFilter(
        label="首次化解日期从", field_name="first_resolved_at", method="filter_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    resolved_to = django_filters.DateFilter(
        label="至", field_name="first_resolved_at", method="filter_to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    # Ids: bounded, so a forged huge number is a form error, never an overflow in the database driver.
    unit = django_filters.NumberFilter(label="责任单位", method="filter_unit", widget=forms.HiddenInput,
                                       min_value=1, max_value=ID_MAX)
    leader = django_filters.NumberFilter(label="包案领导", method="filter_leader", widget=forms.HiddenInput,
                                         min_value=1, max_value=ID_MAX)
    phone = django_filters.CharFilter(label="电话", method="filter_phone", widget=forms.HiddenInput)
    category = django_filters.ChoiceFilter(label="类别", choices=Category.choices, empty_label="全部类别")
    risk = django_filters.ChoiceFilter(
        label="风险", choices=[(",".join(SERIOUS_RISKS), "红橙风险"), *Risk.choices], empty_label="全部风险",
        method="filter_in_set",
    )
    source = django_filters.ChoiceFilter(label="来源", choices=Source.choices, empty_label="全部来源")
    logged_from = django_filters.DateFilter(
        label="登记日期从", field_name="created_at", method="filter_from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    logged_to = django_filters.DateFilter(
        label="至", field_name="created_at", method="filter_to", widget=forms.DateInput(attrs={"type": "date"}),
    )
    division = django_filters.ModelChoiceFilter(
        label="区划", queryset=Division.objects.none(), method="filter_division", empty_label="全部区划",
    )
    clock = django_filters.ChoiceFilter(
        label="时限", method="filter_clock", empty_label="不限",
        choices=[(OVERDUE, "已逾期"), (DUE_SOON, "三日内到期"), (MINE, "我包案的")],
    )
    order = StableOrderingFilter(
        label="排序", empty_label="默认（最新登记在前）",
        fields=(("created_at", "created_at"), ("arose_on", "arose_on"), ("deadline", "deadline"),
                ("number", "number")),
        field_labels={
            "created_at": "登记时间（早→晚）", "-created_at": "登记时间（晚→早）",
            "arose_on": "发生日期（早→晚）", "-arose_on": "发生日期（晚→早）",
            "deadline": "办结时限（近→远）", "-deadline": "办结时限（远→近）",
            "number": "编号（小→大）", "-number": "编号（大→小）",
        },
    )

    class Meta:
        model = Dispute
        fields = []

    def __init__(self, *args, divisions=None, shown_level=None, user=None, phone_searches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.phone_searches = phone_searches or {}
        self.shown_level = shown_level
        if divisions is not None:
            self.filters["division"].queryset = divisions
        else:
            del self.filters["division"]

    @classmethod
    def for_user(cls, data, user, queryset, *, session=None):
        """The ledger's filter for `user`: any town or village inside the user's division is accepted (the
        dashboard's drill-down links name villages too); the drop-down lists the next level down only. `session`
        holds the user's phone searches (`?phone=<token>`)."""
        m = membership_of(user)
        divisions = shown = None
        if m is not None and m.division.level != Level.VILLAGE:
            divisions = divisions_within(m.division)
            shown = Level.TOWNSHIP if m.division.level == Level.COUNTY else Level.VILLAGE
        searches = phone_searches(session) if session is not None else {}
        return cls(data, queryset=queryset, divisions=divisions, shown_level=shown, user=user,
                   phone_searches=searches)

    def get_form_class(self):
        """django-filter's form class, built for this instance alone from its own filters' fields (the filters are
        deep-copied per instance, and each builds its field), so the form's own deep copy of those fields copies
        nothing another request holds: it is skipped (1 ms of every ledger page)."""
        form_class = super().get_form_class()
        form_class.base_fields = _OwnFields(form_class.base_fields)
        return form_class

    @property
    def form(self):
        form = super().form
        if "division" in form.fields and self.shown_level and not getattr(form, "_division_shown", False):
            field = form.fields["division"]
            picked = str(self.data.get("division") or "")
            # The next level down (and the picked one) read as pairs: the county's 469 divisions are not built as
            # objects on every ledger page.
            options = list(field.queryset.filter(Q(level=self.shown_level) | Q(code=picked)).values_list("code", "name"))
            field.widget.choices = [("", field.empty_label), *options]
            form._division_shown = True
        return form

    def filter_keyword(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # A case number, whole or its beginning (JX-2026-0012): the number's own index. Every number shares the
        # trigrams of "jx-2026-", so the search column's index would hand back a year's cases to filter.
        if CASE_NUMBER_QUERY.match(value):
            return queryset.filter(number__startswith=value.upper())
        # The search column holds the number, title and party names, lower-cased (cases.denorm; pg_trgm-indexed on
        # PostgreSQL). Never the ID number or phone (module docstring): those are found on the look-up page only.
        return queryset.filter(search_text__contains=value.lower())

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        if self.data.get(PHONE) and PHONE not in self.form.cleaned_data:
            return qs.none()  # a phone token the form refused (a NUL byte…): nothing, never the unfiltered ledger
        return qs

    def filter_phone(self, queryset, name, value):
        """按电话查找: cases with a party whose keyed phone hash is one of the search's (exact, every spelling and
        key), among the cases a look-up may hit (policy.lookup_scope: where the user may reveal, as lookup_pii).
        An unknown or expired token, or a role that may not look numbers up, finds nothing."""
        search = self.phone_searches.get(value)
        if search is None or self.user is None or not policy.can_lookup_pii(self.user):
            return queryset.none()
        party = Party.objects.filter(dispute=OuterRef("pk"), phone_hash__in=search["hashes"])
        return queryset.filter(Exists(party)).filter(policy.lookup_scope(self.user))

    def phone_shown(self, value) -> str:
        search = self.phone_searches.get(value)
        return search["shown"] if search else "查找已失效，请重新查找"

    def filter_in_set(self, queryset, name, value):
        """One code, or a named set of codes (status=open, risk=red,orange)."""
        sets = STATUS_SETS if name == "status" else RISK_SETS
        return queryset.filter(**{f"{name}__in": sets.get(value, (value,))})

    def filter_clock(self, queryset, name, value):
        """已逾期 / 三日内到期: the clocks' own definitions (core.clocks, rules.deadlines); 我包案的: the user is the
        lead leader or the responsible person of the case's active 四定."""
        if value == OVERDUE:
            return queryset.filter(overdue_q())
        if value == DUE_SOON:
            return queryset.filter(due_soon_q())
        if value == MINE and self.user is not None:
            mine = Assignment.objects.filter(policy.assignee_q(self.user), dispute=OuterRef("pk"), active=True)
            return queryset.filter(Exists(mine))
        return queryset

    def filter_from(self, queryset, name, value):
        """On or after a local date: a range on the timestamp (index-friendly), not a per-row date conversion."""
        return queryset.filter(**{f"{name}__gte": local_midnight(value)})

    def filter_to(self, queryset, name, value):
        """On or before a local date (the whole day included)."""
        return queryset.filter(**{f"{name}__lt": local_midnight(min(value, LATEST_DAY) + datetime.timedelta(days=1))})

    def filter_reopened(self, queryset, name, value):
        """反复 (DESIGN.md §8): reopened at least once."""
        return queryset.filter(reopen_count__gt=0) if value == "yes" else queryset.filter(reopen_count=0)

    def filter_warning(self, queryset, name, value):
        """Cases given an early warning of this level (at any time)."""
        return queryset.filter(Exists(EarlyWarning.objects.filter(dispute=OuterRef("pk"), level=value)))

    def filter_trigger(self, queryset, name, value):
        """Cases given an early warning naming this trigger (a JSON list of codes; see stats.figures)."""
        return queryset.filter(Exists(EarlyWarning.objects.filter(dispute=OuterRef("pk"),
                                                                  triggers__icontains=f'"{value}"')))

    def filter_unit(self, queryset, name, value):
        """The responsible unit of the case's active 四定 (the dashboard's 逾期 by unit links here)."""
        return queryset.filter(Exists(Assignment.objects.filter(dispute=OuterRef("pk"), active=True,
                                                                responsible_unit_id=value)))

    def filter_leader(self, queryset, name, value):
        """The lead leader (包案领导) of the case's active 四定."""
        return queryset.filter(Exists(Assignment.objects.filter(dispute=OuterRef("pk"), active=True,
                                                                lead_leader_id=value)))

    def filter_division(self, queryset, name, value):
        if value.level == Level.TOWNSHIP:
            return queryset.filter(town_id=value.code)  # the town's ledger index
        return queryset.filter(subtree_q("village__code", value))

    # Filters the per-village tally can count (selectors.tally_counts); any other makes the ledger count cases.
    TALLIED = frozenset({"status", "risk", "division"})

    def tallied_total(self) -> int | None:
        """The ledger's exact total from the tally when every filter in use is one it counts; else None."""
        form = self.form
        if not form.is_valid():
            return None
        used = {k: v for k, v in form.cleaned_data.items() if v not in (None, "") and k != "order"}
        if set(used) - self.TALLIED:
            return None
        spec = {}
        if "status" in used:
            spec["status"] = STATUS_SETS.get(used["status"], (used["status"],))
        if "risk" in used:
            spec["risk"] = RISK_SETS.get(used["risk"], (used["risk"],))
        counts = selectors.tally_counts(self.user, within=used.get("division"), total=spec) if self.user else None
        return None if counts is None else counts["total"]

    def active(self) -> list[tuple[str, str]]:
        """[(label, shown value)] of the filters in use, for the line above the list (a dashboard link says what it
        counts). Unit and leader show their names; invalid values are left out."""
        form = self.form
        if not form.is_valid():
            return []
        shown = []
        for name, value in form.cleaned_data.items():
            if value in (None, "") or name == "order":
                continue
            field = form.fields[name]
            if name == PHONE:
                label = self.phone_shown(value)
            elif name == "unit":
                label = Unit.objects.filter(pk=value).values_list("name", flat=True).first() or value
            elif name == "leader":
                user = get_user_model().objects.filter(pk=value).first()
                label = (user.get_full_name() or user.username) if user else value
            elif hasattr(value, "name"):
                label = value.name
            elif getattr(field, "choices", None) and not hasattr(field, "queryset"):
                label = dict(field.choices).get(value, value)
            else:
                label = value
            shown.append((self.filters[name].label or name, str(label)))
        return shown
