"""工作台: the first page after login — the user's counts, each a link to exactly the ledger rows it counts."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from org.selectors import membership_of

from .. import policy, selectors
from ..filters import OPEN, SERIOUS_RISKS
from ..models import OPEN_STATUSES


def _ledger(**params) -> str:
    return reverse("cases:list") + (f"?{urlencode(params)}" if params else "")


@login_required
def home(request):
    m = membership_of(request.user)
    if m is None:
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "home.html", {"no_membership": True})
    if policy.is_administrator(request.user):
        return redirect("admin:index")
    if not policy.sees_case_content(request.user):
        return render(request, "home.html", {"no_case_content": True})
    visible = selectors.cases_visible_to(request.user)
    # From the per-village tally (a few hundred rows for a town) where the user's scope is a division; the few roles
    # with another scope (county discipline, unit staff) see few cases and count them.
    counts = selectors.tally_counts(request.user, open={"status": OPEN_STATUSES},
                                    serious={"status": OPEN_STATUSES, "risk": SERIOUS_RISKS}, total={})
    if counts is None:
        counts = visible.aggregate(
            open=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            serious=Count("id", filter=Q(status__in=OPEN_STATUSES, risk__in=SERIOUS_RISKS)),
            total=Count("id"),
        )
    cards = [
        {"count": counts["open"], "label": "未办结", "url": _ledger(status=OPEN), "warn": False},
        {"count": counts["serious"], "label": "红橙风险未办结", "warn": True,
         "url": _ledger(status=OPEN, risk=",".join(SERIOUS_RISKS))},
        {"count": counts["total"], "label": "全部纠纷", "url": _ledger(), "warn": False},
    ]
    return render(request, "home.html", {
        "cards": cards, "can_create": policy.can_register(request.user),
        "recent": visible.select_related("village").order_by("-created_at", "-id")[:5],
    })
