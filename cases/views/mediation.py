"""The mediation file (人民调解卷宗) of a case: its page, one parameterised view for its steps (like the case
actions), and its documents — .docx and print view — masked unless the parties are revealed (logged).

Thin views: load the case through the access helper (outsiders 404), ask `policy` (403 with the reason), validate
the step's form, call its service through `attempt` (a `Refused` lands on its field), redirect.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.clocks import clock_for
from core.errors import attempt

from .. import mediation_docx, policy, selectors, services
from ..forms import mediation as f
from ..forms.disputes import error_summary
from ..models import Dispute, DocumentKind
from ..rules.deadlines import confirmation_deadline, confirmation_reminder_on
from ..services import mediation as svc

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Step:
    label: str
    form: type[f.StepForm]
    service: Callable  # service(actor=user, dispute=case, **form.service_kwargs())
    done: str
    needs_agreement: bool = False
    confirm: str = ""


# THE step table: name (a key of policy.MEDIATION_STEPS) -> label, form, service.
STEPS = {
    "mediators": Step("确定调解员", f.MediatorsForm, svc.name_mediators, "已确定调解员。"),
    "change": Step("当事人申请更换调解员", f.ChangeForm, svc.request_mediator_change, "已记录更换调解员的申请。"),
    "session": Step("记录调解", f.SessionRecordForm, svc.record_session, "已记录本次调解和笔录。"),
    "agreement": Step("记录调解协议", f.AgreementRecordForm, svc.record_agreement, "已记录调解协议。",
                      confirm="确认记录？调解协议记录后不能修改；纠纷反复重新办理后才能另行记录。"),
    "performance": Step("协议履行情况", f.PerformanceForm, svc.record_performance, "已记录协议履行情况。",
                        needs_agreement=True),
    "confirmation": Step("司法确认", f.ConfirmationForm, svc.record_confirmation, "已记录司法确认情况。",
                         needs_agreement=True),
}


def _agreement_clock(agreement):
    if agreement is None or agreement.form != "written":
        return None
    ends = confirmation_deadline(agreement.effective_on)
    return {"ends": ends, "remind_on": confirmation_reminder_on(agreement.effective_on),
            "clock": clock_for(ends) if not agreement.confirmation_applied_on else None}


@login_required
@require_GET
def mediation_file(request, number):
    dispute = selectors.get_case_for_user(request.user, number)
    records = selectors.mediation_records(dispute)
    agreement = svc.current_agreement(dispute)
    steps = policy.mediation_steps_for(request.user, dispute)
    decision = svc.needs_decision(dispute, agreement, records["visits"])
    return render(request, "cases/mediation/file.html", {
        "case": dispute, "records": records, "agreement": agreement, "confirmation": _agreement_clock(agreement),
        "steps": {name: allowed and (agreement is not None or not STEPS[name].needs_agreement)
                  and not (name == "agreement" and agreement is not None) for name, allowed in steps.items()},
        "step_labels": {name: s.label for name, s in STEPS.items()},
        "decision": decision, "can_reopen": bool(decision) and policy.can_act(request.user, dispute, "reopen"),
        "can_visit": policy.can_act(request.user, dispute, "visit"),
        "documents": DocumentKind.choices, "today": timezone.localdate(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def mediation_step(request, number, step):
    spec = STEPS.get(step)
    if spec is None:
        raise Http404("没有这项调解记录。")
    dispute = selectors.get_case_for_user(request.user, number)
    if not policy.can_mediate(request.user, dispute, step):
        raise PermissionDenied(policy.mediation_refusal(dispute, step))
    form = spec.form(request.POST if request.method == "POST" else None, request.FILES or None, dispute=dispute,
                     user=request.user)
    if spec.needs_agreement and form.agreement is None:
        raise PermissionDenied("本案尚未记录调解协议。")
    if form.is_bound and form.is_valid():
        try:
            done = attempt(form, spec.service, actor=request.user, dispute=dispute, **form.service_kwargs())
        except Dispute.DoesNotExist:
            raise Http404("未找到该案件。") from None
        if done is not None:
            messages.success(request, spec.done)
            return redirect("cases:mediation", dispute.number)
    return render(request, "cases/mediation/step_form.html", {
        "case": dispute, "form": form, "spec": spec, "step": step,
        "errors": error_summary(form, anchor="#mediation-form") if form.is_bound else [],
    }, status=400 if form.is_bound else 200)


def _document(request, number, doc):
    if doc not in DocumentKind.values:
        raise Http404("没有这种文书。")
    dispute = selectors.get_case_for_user(request.user, number)
    raw = request.GET.get("item")
    item = mediation_docx.load_item(dispute, doc, int(raw) if raw and raw.isdigit() else None)
    if item is None:
        raise Http404("本案还没有可以生成这份文书的记录。")
    return dispute, item


@login_required
@require_http_methods(["GET", "POST"])
def mediation_doc(request, number, doc):
    """GET: the .docx, parties masked. POST (a reason): the same with full ID numbers, phones and addresses, after
    logging a reveal of every party (services.reveal_party_pii: rate-limited, on the timeline, audited)."""
    dispute, item = _document(request, number, doc)
    reveal = request.method == "POST"
    if reveal:
        if not policy.can_reveal_pii(request.user, dispute):
            raise PermissionDenied("您的角色不能查看当事人的完整信息。")
        form = f.RevealForm(request.POST)
        if not form.is_valid():
            return _print(request, dispute, doc, item, form=form, status=400)
        for party in dispute.parties.all():
            services.reveal_party_pii(actor=request.user, party=party,
                                      reason=f"{DocumentKind(doc).label}：{form.cleaned_data['reason']}")
    content = mediation_docx.render_docx(doc, mediation_docx.context(doc, dispute, item, reveal=reveal))
    response = HttpResponse(content, content_type=DOCX)
    name = f"{DocumentKind(doc).label}-{dispute.number}.docx"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


def _quote(name):
    from urllib.parse import quote

    return quote(name)


def _print(request, dispute, doc, item, *, form=None, status=200):
    ctx = mediation_docx.context(doc, dispute, item)
    query = f"?item={item.pk}" if doc in mediation_docx.ITEM_MODEL else ""
    return render(request, "cases/mediation/print.html", {
        "case": dispute, "doc": doc, "d": ctx, "form": form or f.RevealForm(),
        "docx_url": reverse("cases:mediation_doc", args=[dispute.number, doc]) + query,
        "can_reveal": policy.can_reveal_pii(request.user, dispute),
        "errors": error_summary(form, anchor="#reveal-form") if form is not None else [],
    }, status=status)


@login_required
@require_GET
def mediation_print(request, number, doc):
    dispute, item = _document(request, number, doc)
    return _print(request, dispute, doc, item)
