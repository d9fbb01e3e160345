"""Finding a person's cases (issue 12 #7): a party's history, and the ledger's search by phone number.

* 当事人历史 (`person_history`): from a party on a case the user may see, every case the user may see with a party of
  the same ID number (by its keyed hash, `selectors.person_history`), with that person's role on each. The ID
  number is never shown in full. The page says that an ID number is on those cases, as the intake's duplicate hint
  does, so each view is audited (`pii_view`, without the number).
* 按电话查找 in the ledger (`phone_search`): POST only (the phone never travels in a URL or an access log), by the
  roles that may look numbers up, with a reason, counted against the hourly budget and audited by
  `services.pii.lookup_pii` — the same rules as 按身份证号/电话查找 (docs/pii.md). The search is kept in the session
  under a random token; the ledger (`?phone=<token>`) then shows exactly the cases with that phone, with the other
  filters, pages and the Excel export, and a chip with the phone masked.
"""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

import audit
from audit.models import Action
from core import validators
from core.pagination import paginate

from .. import policy, selectors
from ..filters import PHONE, keep_phone_search
from ..forms.disputes import error_summary
from ..forms.pii import PhoneSearchForm
from ..models import PiiLookupKind
from ..services.pii import LookupLimitExceeded, lookup_pii, phone_hashes, reveal_limit


@login_required
@require_GET
def person_history(request, number, party_id):
    dispute = selectors.get_case_for_user(request.user, number)  # outside the jurisdiction: 404
    party = dispute.parties.filter(pk=party_id).first()
    if party is None:
        raise Http404("未找到该当事人。")
    page = paginate(selectors.person_history(request.user, party), request.GET.get("page"))
    if party.id_hash:
        audit.record(request, action=Action.PII_VIEW, obj=party, label=dispute.number,
                     detail=f"查看当事人历史：按身份证号检索码找到可查看的案件{page.total}件（第{page.number}页）")
    return render(request, "cases/person_history.html", {"case": dispute, "party": party, "page": page})


# --- 按电话查找 in the ledger -----------------------------------------------------------------------------------


def _ledger_query(raw: str) -> dict:
    """The ledger's other filters the search came from (a query string), without page and an older phone search."""
    query = QueryDict(raw or "")
    return {k: query.getlist(k) for k in query if k not in ("page", PHONE)}


@never_cache
@sensitive_post_parameters("phone")  # never in an error report either
@login_required
@require_http_methods(["GET", "POST"])
def phone_search(request):
    if not policy.can_lookup_pii(request.user):
        raise PermissionDenied("只有办案人员（村、镇街、县社会治理协调中心和责任单位）可以按电话查找。")
    form = PhoneSearchForm(request.POST or None, initial={"query": request.GET.get("query", "")})
    context = {"form": form, "limit": reveal_limit()}
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            lookup_pii(actor=request.user, kind=PiiLookupKind.PHONE, value=phone, reason=form.cleaned_data["reason"])
        except LookupLimitExceeded as refused:
            return render(request, "cases/phone_search.html", {**context, "form": PhoneSearchForm(),
                                                                "limited": refused.message}, status=429)
        token = keep_phone_search(request.session, hashes=phone_hashes(phone), shown=validators.mask_phone(phone))
        query = {**_ledger_query(form.cleaned_data["query"]), PHONE: [token]}
        return redirect(f"{reverse('cases:list')}?{urlencode(query, doseq=True)}")
    errors = error_summary(form, anchor="#phone-search-form") if form.is_bound else []
    return render(request, "cases/phone_search.html", {**context, "errors": errors},
                  status=400 if request.method == "POST" else 200)
