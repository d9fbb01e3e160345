"""Upload and download of case attachments (core.uploads checks the file, services.store_attachment keeps it).
There is no delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from core import uploads

from .. import policy, selectors, services
from ..forms.attachments import AttachmentForm


def _audit(request, *, action, obj=None, outcome="success", detail="", label=None):
    """The audit log (audit app). Module-level so tests can replace it; imported lazily at call time.
    `label` is the case number, so the auditor sees which case without the party's name."""
    from audit import record

    return record(request, action=action, obj=obj, outcome=outcome, detail=detail, label=label)


def _case_for_upload(request, number):
    dispute = selectors.get_case_for_user(request.user, number)
    if not policy.can_attach(request.user, dispute):
        raise PermissionDenied("您的角色不能为该案件上传附件，或案件已办结。")
    return dispute


@csrf_exempt  # only until the size check: CSRF is enforced by _upload before the body is read
@login_required
@require_http_methods(["GET", "POST"])
def attachment_upload(request, number):
    dispute = _case_for_upload(request, number)
    if request.method == "POST" and uploads.body_too_large(request):
        return render(request, "cases/attachment_form.html", {
            "case": dispute, "form": AttachmentForm(), "refused": uploads.too_large_message(),
        }, status=413)
    return _upload(request, dispute)


@csrf_protect
def _upload(request, dispute):
    form = AttachmentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        attachment = services.store_attachment(
            actor=request.user, dispute=dispute, kind=form.cleaned_data["kind"], clean=form.cleaned_data["file"],
        )
        messages.success(request, f"已上传附件“{attachment.original_name}”。")
        return redirect(dispute.get_absolute_url() + "#attachments")
    return render(request, "cases/attachment_form.html", {"case": dispute, "form": form},
                  status=400 if request.method == "POST" else 200)


@never_cache
@login_required
@require_GET
def attachment_file(request, number, pk):
    dispute = selectors.get_case_for_user(request.user, number)
    attachment = dispute.attachments.filter(pk=pk).first()
    if attachment is None:
        raise Http404("未找到该附件。")
    if not policy.can_view_attachments(request.user, dispute):
        # Attachments are mostly ID cards and signed agreements: the same rule as the full-information reveal.
        raise PermissionDenied("案件附件多含身份证件等个人信息，仅承办人员可查看；您的角色只能看到附件件数。")
    try:
        fh = uploads.open_stored(attachment.stored_name)
    except FileNotFoundError:
        raise Http404("附件文件不存在，请联系系统管理员。") from None
    try:
        # The file name may carry a person's name: the audit row keeps the attachment's id and kind only.
        _audit(request, action="pii_view", obj=attachment, detail=f"查看附件（{attachment.get_kind_display()}）",
               label=dispute.number)
    except BaseException:
        fh.close()
        raise
    download = not attachment.is_image or request.GET.get("download") == "1"
    response = FileResponse(fh, content_type=attachment.content_type, as_attachment=download,
                            filename=attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
