"""纪委督办台账: the supervisions a discipline commission (纪委) user runs, and closing one. Thin views."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import Refused
from core.pagination import paginate

from .. import policy, selectors, services
from ..forms.supervision import SHOW_OPEN, CloseSupervisionForm, SupervisionFilterForm
from ..models import SupervisionStatus
from ..rules.deadlines import calendar_gaps, gap_message


@login_required
def supervision_list(request):
    visible = selectors.supervisions_visible_to(request.user)  # 403 for every role but 纪委
    form = SupervisionFilterForm(request.GET)
    form.is_valid()  # an unknown value falls back to the default
    show = form.cleaned_data.get("show") or SHOW_OPEN
    if show == SHOW_OPEN:
        rows = visible.filter(status=SupervisionStatus.OPEN).order_by("due_at", "id")
    else:
        rows = visible.order_by("-opened_at", "-id")
    page = paginate(rows.select_related("dispute__village"), request.GET.get("page"))
    today = timezone.localdate()
    for s in page.rows:
        s.can_close = policy.offers_close_supervision(request.user, s)
    last_due = max((timezone.localtime(s.due_at).date() for s in page.rows), default=today)
    gaps = calendar_gaps(today, max(last_due, today + datetime.timedelta(days=30)))
    return render(request, "cases/supervision_list.html", {
        "form": form, "page": page, "show": show,
        "close_form": CloseSupervisionForm(), "gap_warning": gap_message(gaps) if gaps else "",
    })


@login_required
@require_POST
def supervision_close(request, pk):
    supervision = selectors.get_supervision_for_user(request.user, pk, write=True)  # 403 wrong role/commission, 404 outside
    form = CloseSupervisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"{supervision.dispute.number}：" + "；".join(e for errs in form.errors.values()
                                                                          for e in errs))
        return redirect("supervision:list")
    try:
        services.close_supervision(actor=request.user, supervision=supervision, note=form.cleaned_data["note"])
    except Refused as e:
        messages.error(request, f"{supervision.dispute.number}：{e.message}")
    else:
        messages.success(request, f"{supervision.dispute.number} 的督办已办结。")
    return redirect("supervision:list")
