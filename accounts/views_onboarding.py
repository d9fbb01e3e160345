"""Onboarding pages (accounts.onboarding): the 系统管理员 downloads the template, uploads, checks the preview,
confirms and prints the sealed password sheet (shown once, in the confirmation's response); the 安全管理员 approves
an import's posts in one step. Thin views: the rules and the writes are in accounts.onboarding."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import spreadsheets
from core.errors import Refused, attempt
from core.pagination import paginate
from org.models import Division, MembershipRequest, RequestStatus, Unit

from . import duties, onboarding, onboarding_sheet
from .forms import GrantDecisionForm, OnboardingUploadForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_ROWS = 300  # clean rows listed on the preview; rows with errors or warnings are always listed
SUMMARY_LINES = 20  # errors linked from the summary at the top; the table below lists every one
PENDING = spreadsheets.PendingUploads("onboarding_import")


def _administrator(request):
    if not onboarding.may_onboard(request.user):
        raise PermissionDenied("只有系统管理员可以批量导入人员和账号。")


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _pending_report(request):
    """The pending upload and its report, or (None, None) with a message when there is none."""
    _administrator(request)
    found = PENDING.get(request.session)
    try:
        rows = onboarding_sheet.read_rows(found.read()) if found else None
    except spreadsheets.FileRefused:
        PENDING.discard(request.session)
        rows = None
    if rows is None:
        messages.info(request, "没有待导入的文件，请先上传。")
        return None, None
    return found, onboarding.validate(rows, file_name=found.name)


@login_required
@require_GET
def onboarding_template(request):
    _administrator(request)
    divisions = [(d.code, d.name, d.get_level_display(), d.parent.name if d.parent else "")
                 for d in Division.objects.filter(level__in=onboarding.PERSON_LEVELS).select_related("parent")]
    units = [(u.name, u.division_id, u.division.name, u.get_kind_display())
             for u in Unit.objects.filter(active=True).select_related("division").order_by("division_id", "name")]
    data = onboarding_sheet.template_workbook(divisions=divisions, units=units,
                                              role_labels=[r.label for r in onboarding.IMPORT_ROLES])
    return _xlsx(data, "人员与账号导入模板.xlsx")


@csrf_exempt  # only until the size check: CSRF is enforced by _upload before the body is read
@login_required
@require_http_methods(["GET", "POST"])
def onboarding_upload(request):
    _administrator(request)
    if request.method == "POST" and spreadsheets.body_too_large(request, onboarding_sheet.MAX_BYTES):
        return render(request, "accounts/onboarding_upload.html", {
            "form": OnboardingUploadForm(), "refused": f"文件不能超过{onboarding_sheet.MAX_SIZE_TEXT}，请分成几个文件导入。",
        }, status=413)
    return _upload(request)


@csrf_protect
def _upload(request):
    form = OnboardingUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        PENDING.store(request.session, form.data_bytes, spreadsheets.upload_name(form.cleaned_data["file"].name))
        return redirect("account:onboarding_preview")
    errors = [{"href": "#id_file", "text": e} for e in form.errors.get("file", [])]
    return render(request, "accounts/onboarding_upload.html", {
        "form": form, "pending": PENDING.get(request.session), "errors": errors,
    }, status=400 if request.method == "POST" else 200)


@never_cache
@login_required
@require_GET
def onboarding_preview(request):
    found, report = _pending_report(request)
    if found is None:
        return redirect("account:onboarding")
    listed = [r for r in report.rows if r.errors or r.warnings]
    clean = [r for r in report.rows if not (r.errors or r.warnings)]
    lines = [{"href": f"#row-{r.number}", "text": f"第{r.number}行 · {c}：{m}"} for r in report.error_rows
             for c, m in r.errors]
    return render(request, "accounts/onboarding_preview.html", {
        "report": report, "pending": found, "rows": listed + clean[:PREVIEW_ROWS],
        "hidden": max(len(clean) - PREVIEW_ROWS, 0), "errors": lines[:SUMMARY_LINES], "error_count": len(lines),
    })


@never_cache
@login_required
@require_GET
def onboarding_errors(request):
    found, report = _pending_report(request)
    if found is None:
        return redirect("account:onboarding")
    stem = found.name[:-5] if found.name.lower().endswith(".xlsx") else found.name
    return _xlsx(onboarding_sheet.error_workbook(found.read(), report.notes()), f"{stem}（错误说明）.xlsx")


@login_required
@require_POST
def onboarding_confirm(request):
    """Imports, then answers with the sealed password sheet: the only time the initial passwords exist outside
    their hashes (the response is no-store; reloading it re-posts a token that is gone)."""
    found, report = _pending_report(request)
    if found is None:
        return redirect("account:onboarding")
    if request.POST.get("token") != found.token:  # the preview in this tab was of an upload since replaced
        messages.error(request, "待导入的文件已被新上传的文件替换，请检查预览后再确认。")
        return redirect("account:onboarding_preview")
    try:
        done = onboarding.import_people(request, report=report, file_name=found.name)
    except Refused as refused:
        messages.error(request, refused.message)
        return redirect("account:onboarding_preview")
    PENDING.discard(request.session)
    return render(request, "accounts/onboarding_sheet.html", {"done": done, "file_name": found.name})


@login_required
@require_POST
def onboarding_abandon(request):
    _administrator(request)
    PENDING.discard(request.session)
    messages.info(request, "已放弃本次导入，上传的文件已删除。")
    return redirect("account:onboarding")


# --- the 安全管理员 approves a batch ---------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def grant_batch_approve(request, pk):
    """GET: the batch (summary by post, the requests page by page) and a confirmation form; POST: approve all."""
    if not duties.is_security_admin(request.user):
        raise PermissionDenied("只有安全管理员可以审批岗位授权。")
    anchor = get_object_or_404(MembershipRequest.objects.select_related("requested_by"), pk=pk)
    form = GrantDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        count = attempt(form, onboarding.approve_batch, request=request, grant_id=anchor.pk,
                        note=form.cleaned_data["note"])
        if count is not None:
            messages.success(request, f"已一次批准同批岗位授权申请{count}项；新账号首次登录须修改初始密码。")
            return redirect("account:security")
    pending = onboarding.batch_of(anchor).filter(status=RequestStatus.PENDING)
    page = paginate(pending.select_related("user", "division", "unit").order_by("id"), request.GET.get("page"))
    return render(request, "accounts/onboarding_batch.html", {
        "anchor": anchor, "form": form, "page": page, "summary": onboarding.batch_summary(pending),
        "count": pending.count(), "conflict": duties.decision_conflict(request.user, anchor),
    }, status=400 if form.errors else 200)
