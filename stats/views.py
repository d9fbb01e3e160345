"""统计: the dashboard (DESIGN.md §8), its Excel export and the 月报/季报. Views stay thin: the figures are
stats.figures, assembled by stats.dashboard; the files are written by stats.exports and stats.reports. The files take
the dashboard's own parameters (period, from, to, division) with the same fallbacks: a bad period gives 本月 (the
reason is printed in the file), a division outside the user's jurisdiction 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

import audit
from audit.models import Action
from cases import policy
from org.models import Level
from org.selectors import membership_of

from . import dashboard as board
from . import exports, reports
from .periods import CUSTOM, DEFAULT, PRESETS, PeriodError, from_query, preset

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def period_from_request(request, *, notify=True):
    """The period asked for; a bad custom period falls back to 本月 with the reason shown (never an error page).
    A file download (`notify=False`) prints the reason in the file instead of queueing a message."""
    try:
        return from_query(request.GET), ""
    except PeriodError as e:
        if notify:
            messages.warning(request, str(e))
        return preset(DEFAULT), str(e)


def picked_preset(request) -> str:
    """Which period button is lit: a preset, "custom" for dates, else the default."""
    kind = request.GET.get("period") or (CUSTOM if request.GET.get("from") else DEFAULT)
    return kind if kind in PRESETS or kind == CUSTOM else DEFAULT


def _require_dashboard(user):
    if not policy.can_view_dashboard(user):
        raise PermissionDenied("您的角色不查看统计。")


@login_required
@require_GET
def dashboard(request):
    _require_dashboard(request.user)
    period, period_error = period_from_request(request)
    dash = board.build(request.user, period, request.GET.get("division") or None)
    screen = request.GET.get("screen") == "1"
    own = membership_of(request.user).division_id
    trail = []  # the user's own division → … → the one shown, for the breadcrumb
    division = dash.scope
    while division is not None and division.level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        trail.insert(0, division)
        if division.code == own:
            break
        division = division.parent
    return render(request, "stats/dashboard.html", {
        "dash": dash, "screen": screen, "presets": PRESETS, "kind": picked_preset(request),
        "period_error": period_error, "trail": trail, "chart_data": dash.chart_data(),
        "can_export": policy.can_export_statistics(request.user),
        "can_report": policy.can_report_statistics(request.user),
    })


def _file_dashboard(request, allowed):
    if not allowed(request.user):
        raise PermissionDenied("您的角色不查看统计。")
    period, note = period_from_request(request, notify=False)
    return board.build(request.user, period, request.GET.get("division") or None), note


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _log(request, dash, label, what):
    audit.record(request, action=Action.EXPORT, obj=dash.scope, label=label,
                 detail=f"{what}：{exports.scope_label(dash.scope)}，{exports.period_text(dash.period)}")


@login_required
@require_GET
def export(request):
    dash, note = _file_dashboard(request, policy.can_export_statistics)
    content = exports.summary_workbook(dash, note=note)
    _log(request, dash, "统计汇总表", "导出统计汇总表 Excel")
    return _attachment(content, f"{exports.export_title(dash)}-{dash.period.start:%Y%m%d}-{dash.period.end:%Y%m%d}.xlsx",
                       XLSX)


def _report(request, render_file, suffix, content_type):
    dash, note = _file_dashboard(request, policy.can_report_statistics)
    report = reports.build_report(request.user, dash, note=note)
    content = render_file(report)
    _log(request, dash, f"矛盾纠纷排查化解工作{report.kind}", f"导出{report.kind}（{suffix}）")
    return _attachment(content, f"{report.title}.{suffix}", content_type)


@login_required
@require_GET
def report_docx(request):
    return _report(request, reports.report_docx, "docx", DOCX)


@login_required
@require_GET
def report_xlsx(request):
    return _report(request, reports.report_xlsx, "xlsx", XLSX)
