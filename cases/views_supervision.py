"""纪委督办台账: the supervisions a discipline commission (纪委) user runs, and closing one. Thin views."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from .deadlines import calendar_gaps, gap_message
from .models import SupervisionStatus
from .pagination import paginate
from .supervision import (
    SupervisionError,
    close_supervision,
    get_supervision_for_user,
    supervisions_visible_to,
)

SHOW_OPEN, SHOW_ALL = "open", "all"


class SupervisionFilterForm(forms.Form):
    show = forms.ChoiceField(label="范围", required=False, choices=[(SHOW_OPEN, "督办中"), (SHOW_ALL, "全部")])


class CloseSupervisionForm(forms.Form):
    note = forms.CharField(
        label="办结意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写督办办结意见。", "max_length": "办结意见不能超过2000字。"},
    )


def _clock(supervision, now, today) -> tuple[str, str]:
    """(text, css class) for the "days left / overdue" column."""
    if supervision.status == SupervisionStatus.DONE:
        return f"已办结（{timezone.localtime(supervision.closed_at):%Y-%m-%d}）", "done"
    if supervision.status == SupervisionStatus.ESCALATED:
        return "督办逾期，已提级到县", "late"
    days = (timezone.localtime(supervision.due_at).date() - today).days
    if supervision.due_at < now:
        return (f"督办逾期{-days}天" if days < 0 else "督办已逾期"), "late"
    if days == 0:
        return "今天到期", "soon"
    return f"剩余{days}天", "soon" if days <= 3 else ""


@login_required
def supervision_list(request):
    visible = supervisions_visible_to(request.user)  # 403 for every role but 纪委
    form = SupervisionFilterForm(request.GET)
    form.is_valid()  # an unknown value falls back to the default
    show = form.cleaned_data.get("show") or SHOW_OPEN
    if show == SHOW_OPEN:
        rows = visible.filter(status=SupervisionStatus.OPEN).order_by("due_at", "id")
    else:
        rows = visible.order_by("-opened_at", "-id")
    page = paginate(rows.select_related("dispute__village"), request.GET.get("page"))
    now = timezone.now()
    today = timezone.localtime(now).date()
    for s in page.rows:
        s.clock, s.clock_class = _clock(s, now, today)
    last_due = max((timezone.localtime(s.due_at).date() for s in page.rows), default=today)
    gaps = calendar_gaps(today, max(last_due, today + datetime.timedelta(days=30)))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "cases/supervision_list.html", {
        "form": form, "page": page, "show": show, "query": params.urlencode(),
        "close_form": CloseSupervisionForm(), "gap_warning": gap_message(gaps) if gaps else "",
    })


@login_required
@require_POST
def supervision_close(request, pk):
    supervision = get_supervision_for_user(request.user, pk, write=True)  # 403 wrong role/commission, 404 outside
    form = CloseSupervisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{supervision.dispute.number}：" + "；".join(form.errors["note"]))
        return redirect("supervision:list")
    try:
        close_supervision(actor=request.user, supervision=supervision, note=form.cleaned_data["note"])
    except SupervisionError as e:
        messages.error(request, f"{supervision.dispute.number}：{e}")
    else:
        messages.success(request, f"{supervision.dispute.number} 的督办已办结。")
    return redirect("supervision:list")
