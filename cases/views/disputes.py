from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

import audit
from audit.models import Action
from core.errors import attempt
from core.pagination import paginate
from org.selectors import membership_of, villages_within

from .. import policy, selectors, services
from ..filters import DisputeFilter, looks_like_pii
from ..forms.actions import TEXT_MAX
from ..forms.attachments import AttachmentForm
from ..forms.disputes import RECURRENCE, DisputeCreateForm, DisputeEditForm, PartyFormSet, error_summary
from ..forms.pii import PhoneSearchForm
from ..models import Dispute
from ..services.disputes import EDITABLE_FIELDS
from ..services.pii import reveal_limit
from .actions import action_links

LEDGER_COUNT_PAGES = 20  # pages counted when the tally cannot answer (docs/performance.md)


def _writer_membership(user):
    if not policy.can_register(user):
        raise PermissionDenied("您的角色不能登记矛盾纠纷。")
    return membership_of(user)


@login_required
def dispute_list(request):
    f = DisputeFilter.for_user(request.GET, request.user, selectors.case_list(request.user),
                              session=request.session)
    # The exact total from the tally when the filters allow (status, risk, division); otherwise the cases are
    # counted up to LEDGER_COUNT_PAGES pages ("共 500+ 条"): a keyword's count never scans a whole town.
    page = paginate(f.qs, request.GET.get("page"), total=f.tallied_total(),
                    count_cap=settings.CASE_LIST_PAGE_SIZE * LEDGER_COUNT_PAGES)
    return render(request, "cases/dispute_list.html", {
        "filter": f, "page": page, "active_filters": f.active(), "can_create": policy.can_register(request.user),
        "can_lookup_pii": policy.can_lookup_pii(request.user), "can_export": policy.can_export_cases(request.user),
        "q_looks_like_pii": looks_like_pii(request.GET.get("q", "")),
        "phone_form": (PhoneSearchForm(initial={"query": request.GET.urlencode()})
                       if policy.can_lookup_pii(request.user) else None),
        "limit": reveal_limit(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dispute_create(request):
    m = _writer_membership(request.user)
    villages = villages_within(m.division)
    form = DisputeCreateForm(request.POST or None, villages=villages)
    formset = PartyFormSet(request.POST or None, instance=Dispute(), prefix="parties")
    show_errors, duplicates = True, []
    if request.method == "POST" and "add_party" in request.POST:
        # Without JavaScript: re-show the form with one more empty party row, no errors yet.
        data = request.POST.copy()
        data["parties-TOTAL_FORMS"] = str(int(data.get("parties-TOTAL_FORMS") or 0) + 1)
        form = DisputeCreateForm(data, villages=villages)
        formset = PartyFormSet(data, instance=Dispute(), prefix="parties")
        show_errors = False
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        duplicates = _unconfirmed_duplicates(request, formset, form)
        if not duplicates:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "village"}
            dispute = attempt(form, services.create_dispute, actor=request.user,
                              village=form.cleaned_data["village"], fields=fields, parties=formset.party_rows())
            if dispute is not None:
                messages.success(request, f"已登记，案件编号 {dispute.number}。请点击“打印回执”，把查询码交给申请人。")
                return redirect(dispute)
    return render(request, "cases/dispute_form.html", {
        "form": form, "formset": formset, "show_errors": show_errors, "duplicates": duplicates,
        "confirm_value": ",".join(d["case"].number for d in duplicates),
        "open_duplicates": [d for d in duplicates if d["kind"] != RECURRENCE],
        "recurrences": _one_per_case([d for d in duplicates if d["kind"] == RECURRENCE]),
        "errors": error_summary(form, formset, anchor="#dispute-form") if show_errors else [],
    })


def _one_per_case(hits: list[dict]) -> list[dict]:
    """One hint (one reopen button) per case, naming every typed party found on it (两名当事人都在原案中)."""
    by_case = {}
    for d in hits:
        if d["case"].pk in by_case:
            by_case[d["case"].pk]["name"] += f"、{d['name']}"
        else:
            by_case[d["case"].pk] = dict(d)
    return list(by_case.values())


def _unconfirmed_duplicates(request, formset, form) -> list[dict]:
    """Cases the user sees with a party of a typed ID number — open ones (登记重复?) and ones settled in the last 12
    months (反复? with the reopen offered where the user may reopen, `policy.can_act`) — unless the user already
    ticked 仍要登记 for exactly these (`confirm_duplicate` carries their numbers). A hint shown is audited: it
    confirms that an ID number is on a case, as 按身份证号查找 does."""
    duplicates = formset.likely_duplicates(request.user)
    numbers = {d["case"].number for d in duplicates}
    if not numbers or numbers <= set(request.POST.get("confirm_duplicate", "").split(",")):
        return []
    typed = f"{form.cleaned_data['title']}：{form.cleaned_data['description']}"
    for d in duplicates:
        if d["kind"] == RECURRENCE:
            d["can_reopen"] = policy.can_act(request.user, d["case"], "reopen")
            d["reason"] = f"登记时发现反复。{typed}"[:TEXT_MAX]
    relapses = {d["case"].number for d in duplicates if d["kind"] == RECURRENCE}
    parts = [f"未办结的案件中（{len(numbers - relapses)}件）"] if numbers - relapses else []
    parts += [f"近一年已化解的案件中（{len(relapses)}件，提示是否属反复）"] if relapses else []
    audit.record(request, action=Action.PII_VIEW, label="、".join(sorted(numbers)),
                 detail="登记时提示可能重复：当事人身份证号已在" + "，".join(parts))
    return duplicates


@login_required
def dispute_detail(request, number):
    dispute, parties, events = selectors.case_detail(request.user, number)
    records = selectors.case_workflow_records(dispute)
    return render(request, "cases/dispute_detail.html", {
        "case": dispute, "parties": parties, "events": events, "records": records,
        "clocks": selectors.running_clocks(dispute, records),
        "actions": action_links(request.user, dispute, records=records),
        "can_edit": policy.can_edit_case(request.user, dispute),
        "can_reveal_pii": policy.can_reveal_pii(request.user, dispute),
        "attachments": selectors.attachments_of(dispute),
        "can_view_attachments": policy.can_view_attachments(request.user, dispute),
        "can_attach": policy.can_attach(request.user, dispute),
        "offers_typical": policy.offers_typical(request.user, dispute),
        "attachment_form": AttachmentForm(),
        "can_print_receipt": policy.can_print_receipt(request.user, dispute),
        "citizen_ratings": selectors.citizen_ratings_of(dispute),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dispute_edit(request, number):
    dispute = selectors.get_case_for_user(request.user, number, write=True)
    form = DisputeEditForm(request.POST or None, instance=dispute, initial={"version": dispute.version})
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in EDITABLE_FIELDS}
        try:
            saved = attempt(form, services.update_dispute, actor=request.user, dispute=dispute,
                            version=form.cleaned_data["version"], fields=fields, risk=form.cleaned_data["risk"],
                            risk_reason=form.cleaned_data["risk_reason"])
        except services.CaseConflict as conflict:
            rows = services.record_edit_conflict(
                actor=request.user, dispute=dispute, version=form.cleaned_data["version"], fields=fields,
                risk=form.cleaned_data["risk"],
            )
            # Offer the user's own values again on top of the current version; nothing they typed is lost.
            retry = DisputeEditForm(instance=conflict.current, initial={
                **{k: form.cleaned_data[k] for k in (*EDITABLE_FIELDS, "risk", "risk_reason")},
                "version": conflict.current.version,
            })
            return render(request, "cases/dispute_conflict.html", {
                "case": conflict.current, "rows": rows, "form": retry,
            }, status=409)
        if saved is not None:
            messages.success(request, "已保存修改。")
            return redirect(dispute)
    return render(request, "cases/dispute_edit.html", {
        "form": form, "case": dispute, "errors": error_summary(form, anchor="#dispute-edit-form"),
    })
