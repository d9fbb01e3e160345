"""查看完整信息: the one page that shows a party's full ID number, phone and address (docs/pii.md).

GET shows the reason form and masked values only. POST with a reason (≥ 4 characters) shows the full values once,
never cached, after `services.reveal_party_pii` wrote its evidence, timeline and audit rows in one transaction: if
any write fails, nothing is shown. At most `PII_REVEALS_PER_HOUR` (10) reveals and look-ups per user per hour.

按身份证号/电话查找 (`pii_lookup`): the only search by a typed ID number or phone. GET shows the form and searches
nothing; POST (the number never travels in a URL, so never in an access log) with a reason runs
`services.pii.lookup_pii`, which counts it against the same hourly budget and audits it, found or not.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from core import validators

from .. import policy, selectors, services
from ..forms.pii import LookupForm, RevealForm
from ..models import PiiLookupKind
from ..services.pii import KIND_LABELS, LookupLimitExceeded, lookup_pii, reveal_limit


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pii_reveal(request, number, party_id):
    dispute = selectors.get_case_for_user(request.user, number)
    party = dispute.parties.filter(pk=party_id).first()
    if party is None:
        raise Http404("未找到该当事人。")
    if not policy.can_reveal_pii(request.user, dispute):
        raise PermissionDenied("您的角色不能查看当事人完整信息。")
    form = RevealForm(request.POST or None)
    context = {"case": dispute, "party": party, "form": form, "limit": reveal_limit()}
    if request.method == "POST" and form.is_valid():
        try:
            services.reveal_party_pii(actor=request.user, party=party, reason=form.cleaned_data["reason"])
        except services.RevealLimitExceeded:
            return render(request, "cases/pii_reveal.html", {**context, "limited": True}, status=429)
        return render(request, "cases/pii_reveal.html", {**context, "revealed": True})
    return render(request, "cases/pii_reveal.html", context, status=400 if request.method == "POST" else 200)


@never_cache
@sensitive_post_parameters("number")  # never in an error report either
@login_required
@require_http_methods(["GET", "POST"])
def pii_lookup(request):
    if not policy.can_lookup_pii(request.user):
        raise PermissionDenied("只有办案人员（村、镇街、县社会治理协调中心和责任单位）可以按身份证号或电话查找。")
    form = LookupForm(request.POST or None)
    context = {"form": form, "limit": reveal_limit()}
    if request.method == "POST" and form.is_valid():
        kind, number = form.cleaned_data["kind"], form.cleaned_data["number"]
        # The page shows the searched number masked, and an empty form: the full number is not echoed back.
        context.update(form=LookupForm(), kind_label=KIND_LABELS[kind], is_phone=kind == PiiLookupKind.PHONE,
                       searched=(validators.mask_id_number(number) if kind == PiiLookupKind.ID_NUMBER
                                 else validators.mask_phone(number)))
        try:
            hits = lookup_pii(actor=request.user, kind=kind, value=number, reason=form.cleaned_data["reason"])
        except LookupLimitExceeded as refused:
            return render(request, "cases/pii_lookup.html", {**context, "limited": refused.message}, status=429)
        return render(request, "cases/pii_lookup.html", {**context, "hits": hits, "done": True})
    return render(request, "cases/pii_lookup.html", context, status=400 if request.method == "POST" else 200)
