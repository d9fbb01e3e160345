from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from org.models import CASE_WRITER_ROLES, Level
from org.selectors import divisions_within, membership_of, villages_within

from . import attachments, pii, selectors, services, views_actions
from .filters import DisputeFilter
from .forms import DisputeCreateForm, DisputeEditForm, PartyFormSet
from .models import OPEN_STATUSES, Dispute, Risk
from .pagination import paginate
from .validators import mask_address, mask_id_number, mask_phone


def _writer_membership(user):
    m = membership_of(user)
    if m is None or m.role not in CASE_WRITER_ROLES:
        raise PermissionDenied("您的角色不能登记矛盾纠纷。")
    return m


@login_required
def dispute_list(request):
    m = membership_of(request.user)
    divisions = None
    if m is not None and m.division.level != Level.VILLAGE:
        divisions = divisions_within(m.division)
        if m.division.level == Level.COUNTY:
            divisions = divisions.filter(level=Level.TOWNSHIP)
    f = DisputeFilter(request.GET, queryset=selectors.case_list(request.user), divisions=divisions)
    page = paginate(f.qs, request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "cases/dispute_list.html", {
        "filter": f, "page": page, "query": params.urlencode(),
        "can_create": m is not None and m.role in CASE_WRITER_ROLES,
    })


@login_required
@require_http_methods(["GET", "POST"])
def dispute_create(request):
    m = _writer_membership(request.user)
    villages = villages_within(m.division)
    form = DisputeCreateForm(request.POST or None, villages=villages)
    formset = PartyFormSet(request.POST or None, instance=Dispute(), prefix="parties")
    show_errors = True
    if request.method == "POST" and "add_party" in request.POST:
        # Without JavaScript: re-show the form with one more empty party row, no errors yet.
        data = request.POST.copy()
        data["parties-TOTAL_FORMS"] = str(int(data.get("parties-TOTAL_FORMS") or 0) + 1)
        form = DisputeCreateForm(data, villages=villages)
        formset = PartyFormSet(data, instance=Dispute(), prefix="parties")
        show_errors = False
    elif request.method == "POST" and form.is_valid() and formset.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "village"}
        dispute = services.create_dispute(
            actor=request.user, village=form.cleaned_data["village"], fields=fields, parties=formset.party_rows(),
        )
        messages.success(request, f"已登记，案件编号 {dispute.number}。")
        return redirect(dispute)
    return render(request, "cases/dispute_form.html", {
        "form": form, "formset": formset, "show_errors": show_errors,
    })


@login_required
def dispute_detail(request, number):
    dispute, parties, events = selectors.case_detail(request.user, number)
    for p in parties:
        p.id_masked = mask_id_number(p.id_number)
        p.phone_masked = mask_phone(p.phone)
        p.address_masked = mask_address(p.address)
    records = selectors.case_workflow_records(dispute)
    return render(request, "cases/dispute_detail.html", {
        "case": dispute, "parties": parties, "events": events, "records": records,
        "actions": views_actions.action_links(request.user, dispute, records=records),
        "can_edit": selectors.can_edit_case(request.user, dispute),
        "can_reveal_pii": pii.can_reveal_pii(request.user, dispute),
        "attachments": attachments.attachments_of(dispute),
        "can_attach": attachments.can_attach(request.user, dispute),
        "attachment_form": attachments.AttachmentForm(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def dispute_edit(request, number):
    dispute = selectors.get_case_for_user(request.user, number, write=True)
    form = DisputeEditForm(request.POST or None, instance=dispute, initial={"version": dispute.version})
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in services.EDITABLE_FIELDS}
        try:
            services.update_dispute(
                actor=request.user, dispute=dispute, version=form.cleaned_data["version"], fields=fields,
                risk=form.cleaned_data["risk"], risk_reason=form.cleaned_data["risk_reason"],
            )
        except services.CaseConflict as conflict:
            rows = services.record_edit_conflict(
                actor=request.user, dispute=dispute, version=form.cleaned_data["version"], fields=fields,
                risk=form.cleaned_data["risk"],
            )
            # Offer the user's own values again on top of the current version; nothing they typed is lost.
            retry = DisputeEditForm(instance=conflict.current, initial={
                **{k: form.cleaned_data[k] for k in (*services.EDITABLE_FIELDS, "risk", "risk_reason")},
                "version": conflict.current.version,
            })
            return render(request, "cases/dispute_conflict.html", {
                "case": conflict.current, "rows": rows, "form": retry,
            }, status=409)
        else:
            messages.success(request, "已保存修改。")
            return redirect(dispute)
    return render(request, "cases/dispute_edit.html", {"form": form, "case": dispute})


@login_required
def home(request):
    m = membership_of(request.user)
    if m is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "home.html", {"no_membership": True})
    if m.role == "admin":
        return redirect("admin:index")
    visible = selectors.cases_visible_to(request.user)
    counts = visible.aggregate(
        open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
        serious=Count("id", filter=Q(status__in=OPEN_STATUSES, risk__in=[Risk.RED, Risk.ORANGE])),
        total=Count("id"),
    )
    return render(request, "home.html", {
        "counts": counts, "can_create": m.role in CASE_WRITER_ROLES,
        "recent": visible.select_related("village").order_by("-created_at", "-id")[:5],
    })
