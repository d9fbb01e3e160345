"""Case actions (one parameterised view for every key of `rules.transitions.TRANSITIONS`), 我的包案 and 待签收.

The view stays thin: load the case through the access helper (outsiders 404), refuse actions the table does not
allow now (403, saying why), validate the action's form, call its service, redirect with a message. A
`Refused` from the service (the case changed meanwhile, a rule the form cannot see) is shown as a form error;
the service's transaction guarantees nothing changed.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import attempt
from core.pagination import paginate

from .. import policy, selectors, services
from ..forms import actions as f
from ..forms import transfers as t
from ..forms.disputes import error_summary
from ..models import OPEN_STATUSES, Dispute
from ..rules.transitions import TRANSITIONS, refusal_message


@dataclass(frozen=True)
class Action:
    form: type[f.ActionForm]
    service: Callable  # called as service(actor=user, dispute=case, **form.service_kwargs())
    done: str  # success message
    confirm: str = ""  # shown above the submit button of irreversible actions
    style: str = ""  # button style on the case page: "primary", "danger" or ""


# THE action table: name (a key of rules.transitions.TRANSITIONS) -> form and service.
ACTIONS = {
    "start": Action(f.StartForm, services.start_handling, "已开始调处。", style="primary"),
    "assign": Action(f.AssignForm, services.fix_assignment, "已落实四定。", style="primary"),
    "duty": Action(f.DutyForm, services.record_duty, "已记录三包情况。"),
    "refer": Action(
        f.ReferForm, services.refer_up, "已提请上级，等待签收。",
        confirm="确认提请上级？提请后案件等待上级签收或退回，本级在此期间不能再办理。",
    ),
    "accept": Action(f.AcceptForm, services.accept_referral, "已签收，案件由本级承办。", style="primary"),
    "return": Action(
        f.ReturnForm, services.return_referral, "已退回提请方。", style="danger",
        confirm="确认退回？此操作会把案件退回提请方继续办理，本级不再承办；如需本级处理，只能等对方重新提请。",
    ),
    "transfer": Action(
        f.TransferForm, services.transfer_to_unit, "已移交责任单位。",
        confirm="确认移交？接收单位须在签收时限内签收或退回；再选主办单位即为改派，原主办单位的移交随之结束。",
    ),
    "warn": Action(f.WarnForm, services.raise_warning, "已发出预警。", style="danger"),
    "reassess_warning": Action(f.ReassessWarningForm, services.reassess_warning, "已重新评估预警。"),
    "close_warning": Action(f.CloseWarningForm, services.close_warning, "已解除预警。"),
    "resolve": Action(
        f.ResolveForm, services.resolve, "已记录化解结果。", style="primary",
        confirm="确认化解？化解结果将计入统计；如纠纷反复，只能“重新办理”并计入反复次数。",
    ),
    "visit": Action(f.VisitForm, services.record_visit, "已记录回访。", style="primary"),
    "close": Action(
        f.CloseForm, services.close_case, "已结案。", style="primary",
        confirm="确认结案？此操作会结束办理，案件不再出现在待办和时限提醒中；"
                "如纠纷反复，只能“重新办理”并计入反复次数。",
    ),
    "reject": Action(
        f.RejectForm, services.reject, "已不予受理。", style="danger",
        confirm="确认不予受理？此操作会终止该案件的办理且不能撤销，理由将记入案件动态。",
    ),
    "reopen": Action(f.ReopenForm, services.reopen, "已重新办理。"),
    "accept_transfer": Action(t.AcceptTransferForm, services.accept_transfer, "已签收，由本单位办理。", style="primary"),
    "return_transfer": Action(
        t.ReturnTransferForm, services.return_transfer, "已退回移交方。", style="danger",
        confirm="确认退回？案件将回到移交方重新交办，本单位不再承办。",
    ),
    "file_feedback": Action(t.FeedbackForm, services.file_feedback, "已提交办理反馈，等待移交方审核。", style="primary"),
    "review_feedback": Action(t.ReviewFeedbackForm, services.review_feedback, "已审核办理反馈。", style="primary"),
    "request_extension": Action(t.RequestExtensionForm, services.request_extension, "已提交延期申请，等待审批。"),
    "decide_extension": Action(t.DecideExtensionForm, services.decide_extension, "已审批延期申请。", style="primary"),
}

def action_links(user, dispute, *, records=None) -> list[dict]:
    """The case page's buttons: the permitted actions in table order, each with its label, URL and style.
    Pass the page's `records` to save queries."""
    return [
        {"name": n, "label": TRANSITIONS[n].label, "style": ACTIONS[n].style,
         "url": reverse("cases:act", args=[dispute.number, n])}
        for n in policy.offered_actions(user, dispute, records=records)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def case_action(request, number, action):
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404("没有这项操作。")
    dispute = selectors.get_case_for_user(request.user, number)
    if not policy.can_act(request.user, dispute, action):
        raise PermissionDenied(refusal_message(dispute, action))
    data = request.POST if request.method == "POST" else None  # an empty POST is still a submission
    form = spec.form(data, dispute=dispute, user=request.user)
    if form.is_bound and form.is_valid():
        try:
            done = attempt(form, spec.service, actor=request.user, dispute=dispute, **form.service_kwargs())
        except Dispute.DoesNotExist:  # the case left the user's jurisdiction meanwhile
            raise Http404("未找到该案件。") from None
        if done is not None:
            messages.success(request, spec.done)
            if selectors.cases_visible_to(request.user).filter(pk=dispute.pk).exists():
                return redirect(dispute)
            # E.g. the county returned a referral: the case is back with the town and out of the county's sight.
            return redirect("cases:inbox" if action in ("accept", "return") else "cases:list")
    return render(request, "cases/action_form.html", {
        "case": dispute, "form": form, "action": action, "label": TRANSITIONS[action].label,
        "spec": spec, "errors": error_summary(form, anchor="#action-form") if form.is_bound else [],
    })


# --- 我的包案 ------------------------------------------------------------------------------------------------------


@login_required
def my_assignments(request):
    page = paginate(selectors.my_assignments(request.user), request.GET.get("page"))
    me, today = request.user.pk, timezone.localdate()
    for a in page.rows:
        a.running = a.dispute.status in OPEN_STATUSES
        a.my_roles = [label for who, label in ((a.lead_leader, "包案领导"), (a.responsible_person, "责任人"))
                      if who.user_id == me]
        a.my_duties = [(d, d.state(today)) for d in a.duties.all() if d.person.user_id == me]
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
    return render(request, "cases/referral_inbox.html", {"page": page,
                                                         "transfers": policy.has_transfer_inbox(request.user)})
