"""互学互比 page and its .xlsx (issue 11 #3). The figures are stats.ranking's; the period picker is the dashboard's
(`stats.views.period_from_request`)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

import audit
from audit.models import Action
from cases import policy

from . import ranking as town_ranking
from .periods import PRESETS
from .views import XLSX, _attachment, period_from_request, picked_preset


def _require(user):
    if not policy.can_view_ranking(user):
        raise PermissionDenied("互学互比排名仅供督导组和县社会治理协调中心查看。")


@login_required
@require_GET
def ranking(request):
    _require(request.user)
    period, period_error = period_from_request(request)
    return render(request, "stats/ranking.html", {
        "ranking": town_ranking.build(request.user, period), "presets": PRESETS,
        "kind": picked_preset(request), "period_error": period_error,
        "query": request.GET.urlencode(),
    })


@login_required
@require_GET
def ranking_xlsx(request):
    _require(request.user)
    period, _note = period_from_request(request, notify=False)
    result = town_ranking.build(request.user, period)
    content = town_ranking.workbook(result)
    audit.record(request, action=Action.EXPORT, label="互学互比排名", detail=f"导出互学互比排名 Excel：{period.label}")
    return _attachment(content, f"互学互比排名-{period.start:%Y%m%d}-{period.end:%Y%m%d}.xlsx", XLSX)
