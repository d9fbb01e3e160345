"""Case actions (one parameterised view for every key of `workflow.TRANSITIONS`), 我的包案 and 待签收.

The view stays thin: load the case through the access helper (outsiders 404), refuse actions the table does not
allow now (403, saying why), validate the action's form, call its service, redirect with a message. A
`WorkflowError` from the service (the case changed meanwhile, a rule the form cannot see) is shown as a form error;
the service's transaction guarantees nothing changed.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import forms_actions as f
from . import selectors, workflow
from .models import OPEN_STATUSES, Dispute, Status, WarningStatus
from .pagination import paginate


@dataclass(frozen=True)
class Action:
    form: type[f.ActionForm]
    service: Callable  # called as service(actor=user, dispute=case, **form.service_kwargs())
    done: str  # success message
    confirm: str = ""  # shown above the submit button of irreversible actions
    style: str = ""  # button style on the case page: "primary", "danger" or ""


# THE action table: name (a key of workflow.TRANSITIONS) -> form and service.
ACTIONS = {
    "start": Action(f.StartForm, workflow.start_handling, "已开始调处。", style="primary"),
    "assign": Action(f.AssignForm, workflow.fix_assignment, "已落实四定。", style="primary"),
    "duty": Action(f.DutyForm, workflow.record_duty, "已记录三包情况。"),
    "refer": Action(f.ReferForm, workflow.refer_up, "已提请上级，等待签收。"),
    "accept": Action(f.AcceptForm, workflow.accept_referral, "已签收，案件由本级承办。", style="primary"),
    "return": Action(
        f.ReturnForm, workflow.return_referral, "已退回提请方。", style="danger",
        confirm="确认退回？此操作会把案件退回提请方继续办理，本级不再承办；如需本级处理，只能等对方重新提请。",
    ),
    "transfer": Action(f.TransferForm, workflow.transfer_to_unit, "已移交责任单位。"),
    "warn": Action(f.WarnForm, workflow.raise_warning, "已发出预警。", style="danger"),
    "reassess_warning": Action(f.ReassessWarningForm, workflow.reassess_warning, "已重新评估预警。"),
    "close_warning": Action(f.CloseWarningForm, workflow.close_warning, "已解除预警。"),
    "resolve": Action(f.ResolveForm, workflow.resolve, "已记录化解结果。", style="primary"),
    "visit": Action(f.VisitForm, workflow.record_visit, "已记录回访。", style="primary"),
    "close": Action(
        f.CloseForm, workflow.close_case, "已结案。", style="primary",
        confirm="确认结案？此操作会结束办理，案件不再出现在待办和时限提醒中；"
                "如纠纷反复，只能“重新办理”并计入反复次数。",
    ),
    "reject": Action(
        f.RejectForm, workflow.reject, "已不予受理。", style="danger",
        confirm="确认不予受理？此操作会终止该案件的办理且不能撤销，理由将记入案件动态。",
    ),
    "reopen": Action(f.ReopenForm, workflow.reopen, "已重新办理。"),
}

# Who holds each position, for explaining a refusal.
POSITION_NAMES = {
    workflow.HOLDER_VILLAGE: "承办的村",
    workflow.HOLDER_TOWN: "承办的镇街",
    workflow.HOLDER_COUNTY: "县社会治理协调中心",
    workflow.HOLDER_UNIT: "承办单位",
    workflow.RECEIVER: "提请所报送的上级",
}
WARNING_ACTIONS = {"reassess_warning", "close_warning"}


def permitted_actions(user, dispute, *, records=None) -> list[str]:
    """`workflow.allowed_actions`, plus 三包 for the active 四定's lead leader and responsible person, whom
    `workflow.record_duty` also admits although they may not hold the case (e.g. a 派出所 officer).

    `records` (from `selectors.case_workflow_records`, when the caller has them) saves the assignment query."""
    names = set(workflow.allowed_actions(user, dispute))
    if "duty" not in names and dispute.status == Status.IN_PROGRESS and user.is_authenticated:
        if records is not None:
            assignee = any(a.active and user.pk in (a.lead_leader_id, a.responsible_person_id)
                           for a in records["assignments"])
        else:
            mine = Q(lead_leader=user) | Q(responsible_person=user)
            assignee = dispute.assignments.filter(mine, active=True).exists()
        if assignee:
            names.add("duty")
    return [name for name in workflow.TRANSITIONS if name in names]


def refusal(dispute, action) -> str:
    """Why `action` is not open to the user now (same wording as the services' WorkflowError)."""
    t = workflow.TRANSITIONS[action]
    if dispute.status not in t.sources:
        return f"案件当前状态为“{dispute.get_status_display()}”，不能{t.label}。"
    who = "、".join(POSITION_NAMES[p] for p in POSITION_NAMES if p in t.positions)
    return f"您不是该案件当前的承办方，不能{t.label}（只能由{who}办理）。"


def action_links(user, dispute, *, records=None) -> list[dict]:
    """The case page's buttons: the permitted actions in table order, each with its label, URL and style.
    Warning actions are offered only while the case has an open warning. Pass the page's `records` to save two
    queries."""
    names = permitted_actions(user, dispute, records=records)
    if WARNING_ACTIONS & set(names):
        if records is not None:
            open_warning = any(w.status == WarningStatus.OPEN for w in records["warnings"])
        else:
            open_warning = dispute.warnings.filter(status=WarningStatus.OPEN).exists()
        if not open_warning:
            names = [n for n in names if n not in WARNING_ACTIONS]
    return [
        {"name": n, "label": workflow.TRANSITIONS[n].label, "style": ACTIONS[n].style,
         "url": reverse("cases:act", args=[dispute.number, n])}
        for n in names
    ]


@login_required
@require_http_methods(["GET", "POST"])
def case_action(request, number, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("没有这项操作。")
    dispute = selectors.get_case_for_user(request.user, number)
    if action not in permitted_actions(request.user, dispute):
        raise PermissionDenied(refusal(dispute, action))
    data = request.POST if request.method == "POST" else None  # an empty POST is still a submission
    form = spec.form(data, dispute=dispute, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            spec.service(actor=request.user, dispute=dispute, **form.service_kwargs())
        except workflow.WorkflowError as e:
            form.add_error(None, str(e))
        except Dispute.DoesNotExist:  # the case left the user's jurisdiction meanwhile
            raise Http404("未找到该案件。") from None
        else:
            messages.success(request, spec.done)
            if selectors.cases_visible_to(request.user).filter(pk=dispute.pk).exists():
                return redirect(dispute)
            # E.g. the county returned a referral: the case is back with the town and out of the county's sight.
            return redirect("cases:inbox" if action in ("accept", "return") else "cases:list")
    return render(request, "cases/action_form.html", {
        "case": dispute, "form": form, "action": action, "label": workflow.TRANSITIONS[action].label,
        "spec": spec,
    })


# --- 我的包案 ------------------------------------------------------------------------------------------------------


def deadline_clock(deadline, today) -> tuple[str, str]:
    """(text, css class) for a deadline seen from `today`: 剩 N 天 / 今天到期 / 逾期 N 天."""
    days = (timezone.localtime(deadline).date() - today).days
    if days < 0:
        return f"逾期 {-days} 天", "risk risk-red"
    if days == 0:
        return "今天到期", "risk risk-orange"
    return f"剩 {days} 天", "risk risk-yellow" if days <= 2 else "tag"


@login_required
def my_assignments(request):
    page = paginate(selectors.my_assignments(request.user), request.GET.get("page"))
    today, me = timezone.localdate(), request.user.pk
    for a in page.rows:
        a.clock = deadline_clock(a.deadline, today) if a.dispute.status in OPEN_STATUSES else None
        a.my_roles = [label for uid, label in ((a.lead_leader_id, "包案领导"), (a.responsible_person_id, "责任人"))
                      if uid == me]
    return render(request, "cases/my_assignments.html", {"page": page})


# --- 待签收 --------------------------------------------------------------------------------------------------------


def waiting_time(delta: datetime.timedelta) -> str:
    if delta.days >= 1:
        return f"已等待 {delta.days} 天"
    hours = delta.seconds // 3600
    return f"已等待 {hours} 小时" if hours else "刚刚提请"


@login_required
def referral_inbox(request):
    page = paginate(selectors.referral_inbox(request.user), request.GET.get("page"))
    now = timezone.now()
    for r in page.rows:
        r.waiting = waiting_time(now - r.created_at)
        r.long_wait = (now - r.created_at).days >= 3
    return render(request, "cases/referral_inbox.html", {"page": page})
