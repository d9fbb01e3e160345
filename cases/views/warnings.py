"""预警台账 (the warnings on the cases a user may see; raised and closed on the case page) and 收到的预警 (the
recipient's queue: 签收 and 批示/回复)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.errors import Refused, attempt
from core.pagination import paginate

from .. import policy, services
from ..forms.warnings import ORDER_LEVEL, ORDER_NEWEST, ORDER_REASSESS, STATUS_ALL, AnswerWarningForm, WarningFilterForm
from ..models import WarningLevel, WarningStatus
from ..selectors import warnings_addressed_to, warnings_visible_to

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


# --- 收到的预警: the recipient signs for and answers ----------------------------------------------------------------


@login_required
@require_GET
def warning_inbox(request):
    if not policy.may_receive_warnings(request.user):
        raise PermissionDenied("预警报送给镇街党政联席会议（镇街领导）和县社会治理协调中心，您的岗位不接收预警。")
    page = paginate(warnings_addressed_to(request.user), request.GET.get("page"))
    return render(request, "cases/warning_inbox.html", {"page": page, "answer_form": AnswerWarningForm()})


def _addressed(request, pk):
    """The warning, if the user may see its case (else 404) and it was delivered to them (else 403)."""
    warning = warnings_visible_to(request.user).select_related("dispute").filter(pk=pk).first()
    if warning is None:
        raise Http404("未找到该预警。")
    if not policy.receives_warning(request.user, warning):
        raise PermissionDenied("该预警不是报送给您所在单位的，不能签收或回复。")
    return warning


@login_required
@require_POST
def warning_sign(request, pk):
    warning = _addressed(request, pk)
    try:
        services.sign_warning(actor=request.user, dispute=warning.dispute, warning_id=warning.pk)
    except Refused as refused:
        messages.error(request, f"{warning.dispute.number}：{refused.message}")
    else:
        messages.success(request, f"已签收 {warning.dispute.number} 的{warning.get_level_display()}，请在时限内批示/回复。")
    return redirect("warnings:inbox")


@login_required
@require_POST
def warning_answer(request, pk):
    warning = _addressed(request, pk)
    form = AnswerWarningForm(request.POST)
    if form.is_valid():
        done = attempt(form, services.answer_warning, actor=request.user, dispute=warning.dispute,
                       warning_id=warning.pk, reply=form.cleaned_data["reply"])
        if done is not None:
            messages.success(request, f"已回复 {warning.dispute.number} 的{warning.get_level_display()}。")
            return redirect("warnings:inbox")
    messages.error(request, f"{warning.dispute.number}：" + "；".join(e for errs in form.errors.values() for e in errs))
    return redirect("warnings:inbox")
