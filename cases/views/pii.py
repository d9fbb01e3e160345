"""查看完整信息: the one page that shows a party's full ID number, phone and address (docs/pii.md).

GET shows the reason form and masked values only. POST with a reason (≥ 4 characters) shows the full values once,
never cached, after `services.reveal_party_pii` wrote its evidence, timeline and audit rows in one transaction: if
any write fails, nothing is shown. At most `PII_REVEALS_PER_HOUR` (10) reveals per user per hour.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import policy, selectors, services
from ..forms.pii import RevealForm
from ..services.pii import reveal_limit


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
