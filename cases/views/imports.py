"""Excel import of 排查 results: template, upload, preview, errors workbook, confirm, abandon (cases/imports.py reads
and validates, services.import_cases registers). Village and town writers only (`policy.can_register`)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from core import spreadsheets
from core.errors import Refused
from org.selectors import membership_of, villages_within

from .. import imports, policy, selectors, services
from ..forms.imports import ImportUploadForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 300  # clean rows listed on the preview; rows with errors or warnings are always listed


# --- the upload between preview and confirm: core.spreadsheets keeps it (a temporary file named by a random token
# kept in the session; deleted after the import, on abandoning or replacing it, and a day after it was left behind).

PENDING_KEY = "case_import"
_PENDING = spreadsheets.PendingUploads(PENDING_KEY)
store_pending, pending, discard_pending = _PENDING.store, _PENDING.get, _PENDING.discard
display_name = spreadsheets.upload_name


def _villages(user):
    if not policy.can_register(user):
        raise PermissionDenied("您的角色不能登记矛盾纠纷，也不能批量导入。")
    return villages_within(membership_of(user).division)


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pending_report(request):
    """The pending upload and its report, or (None, None) with a message when there is none (or it cannot be
    read any more): the caller then redirects to the upload page."""
    villages = _villages(request.user)
    found = pending(request.session)
    try:
        sheet = imports.read_sheet(found.read()) if found else None
    except imports.ImportFileError:
        discard_pending(request.session)
        sheet = None
    if sheet is None:
        messages.info(request, "没有待导入的文件，请先上传。")
        return None, None
    return found, imports.validate(sheet, villages=villages, cases=selectors.cases_visible_to(request.user),
                                   file_name=found.name)


def _body_too_large(request) -> bool:
    """Checked before the multipart body is parsed, so a huge upload is refused without being spooled to disk."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > imports.MAX_BYTES + 64 * 1024
    except ValueError:
        return True


@login_required
@require_GET
def import_template(request):
    data = imports.template_workbook(_villages(request.user).order_by("code"))
    return _xlsx(data, "排查登记导入模板.xlsx")


@csrf_exempt  # only until the size check: CSRF is enforced by _upload before the body is read
@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _villages(request.user)
    if request.method == "POST" and _body_too_large(request):
        return render(request, "cases/import_upload.html", {
            "form": ImportUploadForm(), "refused": f"文件不能超过{imports.MAX_SIZE_TEXT}，请分成几个文件导入。",
        }, status=413)
    return _upload(request)


@csrf_protect
def _upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        store_pending(request.session, form.data_bytes, display_name(form.cleaned_data["file"].name))
        return redirect("cases:import_preview")
    return render(request, "cases/import_upload.html", {
        "form": form, "pending": pending(request.session),
    }, status=400 if request.method == "POST" else 200)


@never_cache
@login_required
@require_GET
def import_preview(request):
    found, report = _pending_report(request)
    if found is None:
        return redirect("cases:import")
    if report.duplicates:  # a hit confirms an ID number is on a case: logged like a look-up (docs/pii.md)
        audit.record(request, action=Action.PII_VIEW, label=found.name[:200],
                     detail=f"批量导入预览：{report.duplicates}名当事人的身份证号与辖区内在办案件相同")
    listed = [r for r in report.rows if r.errors or r.warnings]
    clean = [r for r in report.rows if not (r.errors or r.warnings)]
    return render(request, "cases/import_preview.html", {
        "report": report, "pending": found, "lines": imports.report_lines(report),
        "rows": listed + clean[:PREVIEW_ROWS], "hidden": max(len(clean) - PREVIEW_ROWS, 0),
    })


@never_cache
@login_required
@require_GET
def import_errors(request):
    found, report = _pending_report(request)
    if found is None:
        return redirect("cases:import")
    data = imports.error_workbook(found.read(), report)
    stem = found.name[:-5] if found.name.lower().endswith(".xlsx") else found.name
    return _xlsx(data, f"{stem}（错误说明）.xlsx")


@login_required
@require_POST
def import_confirm(request):
    found, report = _pending_report(request)
    if found is None:
        return redirect("cases:import")
    if request.POST.get("token") != found.token:  # the preview in this tab was of an upload since replaced
        messages.error(request, "待导入的文件已被新上传的文件替换，请检查预览后再确认。")
        return redirect("cases:import_preview")
    if not report.ok:
        messages.error(request, "文件中仍有错误，未导入任何纠纷。")
        return redirect("cases:import_preview")
    try:
        cases = services.import_cases(actor=request.user, rows=report.case_rows(), file_name=found.name)
    except Refused as refused:
        messages.error(request, f"{refused.message}未导入任何纠纷。")
        return redirect("cases:import_preview")
    discard_pending(request.session)
    messages.success(request, f"已导入{len(cases)}件纠纷，编号 {cases[0].number} 至 {cases[-1].number}。")
    return redirect("cases:list")


@login_required
@require_POST
def import_abandon(request):
    _villages(request.user)
    discard_pending(request.session)
    messages.info(request, "已放弃本次导入，上传的文件已删除。")
    return redirect("cases:import")
