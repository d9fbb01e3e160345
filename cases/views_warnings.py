"""预警台账: the warnings on the cases a user may see. Read-only — warnings are raised and closed elsewhere."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from org.models import NO_CASE_ACCESS_ROLES
from org.selectors import membership_of

from .models import Warning, WarningLevel, WarningStatus
from .pagination import paginate
from .selectors import cases_visible_to

STATUS_ALL = "all"
ORDER_LEVEL, ORDER_REASSESS, ORDER_NEWEST = "level", "reassess", "newest"

# Most serious first; the level codes do not sort that way alphabetically.
LEVEL_RANK = Case(
    When(level=WarningLevel.RED, then=Value(0)),
    When(level=WarningLevel.ORANGE, then=Value(1)),
    When(level=WarningLevel.YELLOW, then=Value(2)),
    default=Value(3), output_field=IntegerField(),
)
ORDERINGS = {
    ORDER_LEVEL: ("level_rank", "reassess_on", "-raised_at", "-id"),
    ORDER_REASSESS: ("reassess_on", "level_rank", "-id"),
    ORDER_NEWEST: ("-raised_at", "-id"),
}


class WarningFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态", required=False,
        choices=[(WarningStatus.OPEN, "预警中"), (WarningStatus.CLOSED, "已解除"), (STATUS_ALL, "全部")],
    )
    level = forms.ChoiceField(label="预警等级", required=False, choices=[("", "全部等级"), *WarningLevel.choices])
    order = forms.ChoiceField(
        label="排序", required=False,
        choices=[(ORDER_LEVEL, "按预警等级"), (ORDER_REASSESS, "按重新评估日期"), (ORDER_NEWEST, "最新发出")],
    )


def warnings_visible_to(user) -> QuerySet:
    """Warnings of the cases `user` may see: the case selector as a subquery, so jurisdiction is decided once."""
    return Warning.objects.filter(dispute__in=cases_visible_to(user).values("pk"))


def warning_list_for(user, *, status: str, level: str, order: str) -> tuple[QuerySet, dict]:
    """The page's rows (ordered, with what the rows display joined in) and the count per level for `status`."""
    qs = warnings_visible_to(user)
    if status != STATUS_ALL:
        qs = qs.filter(status=status)
    counts = dict(qs.order_by().values_list("level").annotate(n=Count("id")))
    if level:
        qs = qs.filter(level=level)
    rows = (
        qs.annotate(level_rank=LEVEL_RANK)
        .select_related("dispute__village", "division", "meeting__division")
        .order_by(*ORDERINGS[order])
    )
    return rows, counts


@login_required
@require_GET
def warning_list(request):
    m = membership_of(request.user)
    if m is not None and m.role in NO_CASE_ACCESS_ROLES:
        raise PermissionDenied("您的角色不能查看案件内容。")
    form = WarningFilterForm(request.GET, label_suffix="")
    form.is_valid()  # invalid values fall back to the defaults below
    status = form.cleaned_data.get("status") or WarningStatus.OPEN
    level = form.cleaned_data.get("level") or ""
    order = form.cleaned_data.get("order") or ORDER_LEVEL
    rows, counts = warning_list_for(request.user, status=status, level=level, order=order)
    page = paginate(rows, request.GET.get("page"))
    today = timezone.localdate()
    groups = []  # [(heading or "", [rows])]: one heading per level when ordered by level, else one plain group
    for w in page.rows:
        w.reassess_overdue = w.status == WarningStatus.OPEN and w.reassess_on < today
        heading = w.get_level_display() if order == ORDER_LEVEL else ""
        if not groups or groups[-1][0] != heading:
            groups.append((heading, []))
        groups[-1][1].append(w)
    params = request.GET.copy()
    params.pop("page", None)
    level_links = [
        {"value": value, "label": label, "count": counts.get(value, 0), "active": value == level}
        for value, label in WarningLevel.choices
    ]
    return render(request, "cases/warning_list.html", {
        "form": form, "page": page, "query": params.urlencode(), "status": status, "level": level, "order": order,
        "groups": groups, "level_links": level_links, "total_by_level": sum(counts.values()),
    })
