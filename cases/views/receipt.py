"""The citizen's receipt (回执, docs/citizen.md): printed by whoever works on the case, at registration or later.

GET shows the printable receipt — case number, date, registering division, the 查询码 and its QR code, the hotline —
and writes one audit row (the code is a bearer secret that leaves the system on paper). A case registered before
codes existed shows a button that makes its first code. POST `receipt_code` makes that first code, or (with the
confirmation ticked) replaces the code: the old one and its QR code stop working at once.
"""

import base64
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

import audit
from audit.models import Action

from .. import policy, selectors
from ..forms.citizen import ReplaceCodeForm
from ..forms.disputes import error_summary
from ..services import citizen

PAPERS = ("a5", "a4")


def public_url(request, code: str) -> str:
    """The public page of `code` as printed and QR-coded: settings.PUBLIC_BASE_URL, else this site's address."""
    base = (settings.PUBLIC_BASE_URL or request.build_absolute_uri("/")).rstrip("/")
    return base + reverse("public:status", args=[code])


def qr_png_data_uri(text: str) -> str:
    """A QR code as a PNG data: URI, rendered here (no CDN, no script; CSP img-src allows data:). PNG rather than
    SVG so that it prints sharp at any size and a test can decode exactly what the page holds."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    out = io.BytesIO()
    qr.make_image().save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _holder_case(user, number):
    dispute = selectors.get_case_for_user(user, number)
    if not policy.can_print_receipt(user, dispute):
        raise PermissionDenied("只有承办该案件的人员可以为当事人出具回执。")
    return dispute


def _receipt_page(request, dispute, *, form=None, status=200):
    row = citizen.receipt_code(dispute)
    paper = request.GET.get("paper") if request.GET.get("paper") in PAPERS else PAPERS[0]
    form = form or ReplaceCodeForm()
    context = {"case": dispute, "row": row, "paper": paper, "form": form,
               "replace_errors": error_summary(form, anchor="#replace-form") if form.is_bound else [],
               "hotline": settings.CITIZEN_HOTLINE, "applicant": citizen.applicant_label(dispute),
               "start_url": (settings.PUBLIC_BASE_URL or request.build_absolute_uri("/")).rstrip("/")
               + reverse("public:start")}
    if row is not None:
        url = public_url(request, row.code)
        context.update(code=citizen.format_code(row.code), url=url, qr=qr_png_data_uri(url))
        if request.method == "GET":
            audit.record(request, action=Action.EXPORT, obj=dispute, label=dispute.number,
                         detail="打印回执（含查询码）")
    return render(request, "cases/receipt.html", context, status=status)


@login_required
@require_GET
def receipt(request, number):
    return _receipt_page(request, _holder_case(request.user, number))


@login_required
@require_POST
def receipt_code(request, number):
    dispute = _holder_case(request.user, number)
    if citizen.receipt_code(dispute) is None:
        citizen.issue_code(actor=request.user, dispute=dispute)
        messages.success(request, "已生成查询码，请打印回执交给当事人。")
        return redirect("cases:receipt", dispute.number)
    form = ReplaceCodeForm(request.POST)
    if not form.is_valid():
        return _receipt_page(request, dispute, form=form, status=400)
    citizen.issue_code(actor=request.user, dispute=dispute, replace=True)
    messages.success(request, "已重新生成查询码，原查询码已作废。请打印新回执交给当事人。")
    return redirect("cases:receipt", dispute.number)
