"""查看完整信息: the one page that shows a party's full ID number, phone and address (docs/pii.md).

GET shows the reason form and masked values only. POST with a reason (≥ 4 characters) shows the full values once,
never cached, after writing a `PiiReveal` row and an audit record in one transaction: if the audit write fails,
nothing is shown. At most `PII_REVEALS_PER_HOUR` (10) reveals per user per hour.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import pii, selectors
from .validators import mask_id_number, mask_phone


def _audit(request, *, action, obj=None, outcome="success", detail="", label=None):
    """The audit log (audit app). Module-level so tests can replace it; imported lazily at call time.
    `label` is the case number, so the auditor sees which case without the party's name."""
    from audit import record

    return record(request, action=action, obj=obj, outcome=outcome, detail=detail, label=label)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def pii_reveal(request, number, party_id):
    dispute = selectors.get_case_for_user(request.user, number)
    party = dispute.parties.filter(pk=party_id).first()
    if party is None:
        raise Http404("未找到该当事人。")
    if not pii.can_reveal_pii(request.user, dispute):
        raise PermissionDenied("您的角色不能查看当事人完整信息。")
    form = pii.RevealForm(request.POST or None)
    context = {
        "case": dispute, "party": party, "form": form,
        "id_masked": mask_id_number(party.id_number), "phone_masked": mask_phone(party.phone),
        "limit": pii.reveal_limit(),
    }
    if request.method == "POST" and form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            with transaction.atomic():
                pii.reveal_party_pii(actor=request.user, party=party, reason=reason)
                _audit(request, action="pii_view", obj=party, detail=reason, label=dispute.number)
        except pii.RevealLimitExceeded:
            _audit(request, action="pii_view", obj=party, outcome="failure", detail=f"超过每小时上限：{reason}",
                   label=dispute.number)
            return render(request, "cases/pii_reveal.html", {**context, "limited": True}, status=429)
        return render(request, "cases/pii_reveal.html", {**context, "revealed": True})
    return render(request, "cases/pii_reveal.html", context, status=400 if request.method == "POST" else 200)
