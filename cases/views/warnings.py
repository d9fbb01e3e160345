"""预警台账: the warnings on the cases a user may see. Read-only — warnings are raised and closed elsewhere."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.pagination import paginate

from .. import policy
from ..forms.warnings import ORDER_LEVEL, ORDER_NEWEST, ORDER_REASSESS, STATUS_ALL, WarningFilterForm
from ..models import WarningLevel, WarningStatus
from ..selectors import warnings_visible_to

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
    if policy.barred_from_case_content(request.user):
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
    level_links = [
        {"value": value, "label": label, "count": counts.get(value, 0), "active": value == level}
        for value, label in WarningLevel.choices
    ]
    return render(request, "cases/warning_list.html", {
        "form": form, "page": page, "status": status, "level": level, "order": order,
        "groups": groups, "level_links": level_links, "total_by_level": sum(counts.values()),
    })
