"""典型案例: listing a case (the form pre-filled with the anonymised case), withdrawing it, the casebook page and its
Word compilation. The casebook reads through `cases_visible_to`: each user sees the typical cases of the cases they
may read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from core.errors import attempt
from core.pagination import paginate
from org.selectors import membership_of

from .. import policy, selectors, services
from ..casebook_docx import build_casebook_docx
from ..forms.casebook import CasebookFilterForm, TypicalCaseForm, WithdrawTypicalForm, towns_for
from ..models import GOVERNANCE_FIELDS, GovernanceTag, Party, TypicalCase
from ..rules.anonymise import leaks, scrub
from ..services.casebook import FIELD_WORDS, TYPICAL_OUTCOMES, TYPICAL_STATUSES

EXPORT_LIMIT = 500  # cases in one compilation; narrow the filters for more
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def typical_cases_visible_to(user):
    """Typical cases in force (not withdrawn) of the cases `user` may read that are still resolved or closed (a case
    that relapsed leaves the casebook until it is settled again)."""
    return (TypicalCase.objects.filter(withdrawn=False, dispute__status__in=TYPICAL_STATUSES,
                                       dispute__in=selectors.cases_visible_to(user).values("pk"))
            .select_related("dispute__village__parent"))


def filter_casebook(qs, values: dict):
    if values.get("q"):
        q = values["q"].strip()
        qs = qs.filter(Q(title__contains=q) | Q(summary__contains=q) | Q(experience__contains=q))
    if values.get("category"):
        qs = qs.filter(dispute__category=values["category"])
    if values.get("tag"):
        qs = qs.filter(**{GOVERNANCE_FIELDS[GovernanceTag(values["tag"])]: True})
    if values.get("method"):
        qs = qs.filter(methods__contains=f",{values['method']},")
    if values.get("town"):
        qs = qs.filter(dispute__village__parent_id=values["town"])
    if values.get("year"):
        qs = qs.filter(dispute__first_resolved_at__year=int(values["year"]))
    return qs


def _casebook(request):
    if not policy.can_see_casebook(request.user):
        raise PermissionDenied("您的角色不能查看典型案例。")
    form = CasebookFilterForm(request.GET, towns=towns_for(membership_of(request.user)))
    values = form.values()
    return form, values, filter_casebook(typical_cases_visible_to(request.user), values)


@login_required
@require_GET
def casebook(request):
    form, values, qs = _casebook(request)
    page = paginate(qs, request.GET.get("page"))
    return render(request, "cases/casebook.html", {"form": form, "page": page, "filtered": bool(values)})


def _filter_words(form, values) -> str:
    words = []
    for name in ("category", "tag", "method", "town", "year"):
        if values.get(name):
            words.append(dict(form.fields[name].choices).get(values[name], values[name]))
    if values.get("q"):
        words.append(f"含“{values['q']}”")
    return "、".join(str(w) for w in words)


@login_required
@require_GET
def casebook_export(request):
    form, values, qs = _casebook(request)
    rows = list(qs.prefetch_related(Prefetch("dispute__parties", queryset=Party.objects.only("id", "dispute_id", "name")))
                .order_by("dispute__category", "-marked_at", "-id")[:EXPORT_LIMIT])
    scope = _filter_words(form, values)
    data = build_casebook_docx(rows, scope=scope)
    audit.record(request, action=Action.EXPORT, label="典型案例汇编",
                 detail=f"导出典型案例汇编（Word），{len(rows)}件" + (f"，筛选：{scope}" if scope else ""))
    return HttpResponse(data, content_type=DOCX,
                        headers={"Content-Disposition": content_disposition_header(True, "嘉祥县矛盾纠纷典型案例汇编.docx")})


def _markable(request, number):
    dispute = selectors.get_case_for_user(request.user, number)
    if not policy.can_mark_typical(request.user, dispute):
        raise PermissionDenied("只有案件所在镇街或县社会治理协调中心可以列入或撤销典型案例。")
    return dispute


def _check_only(form, parties) -> bool:
    """自动检查 without saving: each text field's leaks as its error; True when nothing was found."""
    clean = True
    for field in FIELD_WORDS:
        found = leaks(form.cleaned_data.get(field, ""), parties)
        if found:
            form.add_error(field, f"仍含有{'、'.join(found)}，请改为张某、李某等或删除。")
            clean = False
    return clean


@login_required
@require_http_methods(["GET", "POST"])
def typical_mark(request, number):
    dispute = _markable(request, number)
    typical = TypicalCase.objects.filter(dispute=dispute).first()
    parties = list(dispute.parties.only("id", "name"))
    form = TypicalCaseForm(request.POST or None, initial=TypicalCaseForm.initial_for(
        typical, title=scrub(dispute.title, parties), summary=scrub(dispute.description, parties),
        experience=scrub(dispute.outcome_note, parties)))
    if request.method == "POST" and form.is_valid():
        if "check" in request.POST:
            if _check_only(form, parties):
                messages.success(request, "自动检查通过：未发现当事人姓名、身份证号、电话或门牌号。")
        else:
            done = attempt(form, services.mark_typical, actor=request.user, dispute=dispute,
                           title=form.cleaned_data["title"], summary=form.cleaned_data["summary"],
                           experience=form.cleaned_data["experience"],
                           self_gov_tags=form.cleaned_data["self_gov_tags"],
                           method_tags=form.cleaned_data["method_tags"])
            if done is not None:
                messages.success(request, "已列为典型案例，可在“典型案例”中查看和导出。")
                return redirect(dispute)
    return render(request, "cases/typical_form.html", {
        "case": dispute, "form": form, "typical": typical if typical and not typical.withdrawn else None,
        "eligible": dispute.status in TYPICAL_STATUSES and dispute.outcome in TYPICAL_OUTCOMES,
        "withdraw_form": WithdrawTypicalForm(),
    })


@login_required
@require_POST
def typical_withdraw(request, number):
    dispute = _markable(request, number)
    form = WithdrawTypicalForm(request.POST)
    if form.is_valid() and attempt(form, services.withdraw_typical, actor=request.user, dispute=dispute,
                                   reason=form.cleaned_data["reason"]) is not None:
        messages.success(request, "已撤销典型案例。")
        return redirect(dispute)
    errors = [e for errors in form.errors.values() for e in errors]
    messages.error(request, "未能撤销：" + "；".join(errors))
    return redirect("cases:typical_mark", number=dispute.number)

