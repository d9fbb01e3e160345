"""Account pages: change password, bind and verify the second factor, and (安全管理员) lift lockouts, reset lost
authenticators, issue 2FA enrolment codes and approve role grants. Thin views; the writes and their audit rows are
in accounts.security and accounts.duties."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts import duties, onboarding, security
from accounts.forms import (
    AccountForm,
    ChangePasswordForm,
    EnrolmentCodeForm,
    GrantDecisionForm,
    TokenForm,
    UsernameForm,
)
from core.errors import attempt
from org.models import MembershipRequest, RequestStatus


def _next(request) -> str:
    """Where to go afterwards: a `next` on this site, or the home page."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("home")


def _security_admin(request):
    if not duties.is_security_admin(request.user):
        raise PermissionDenied("只有安全管理员可以解除账号锁定、重置或签发双因素认证、审批岗位授权。")


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        security.change_password(request, user=request.user, new_password=form.cleaned_data["new_password1"])
        messages.success(request, "密码已修改。")
        return redirect(_next(request))
    return render(request, "org/password_change.html", {
        "form": form, "reason": security.password_change_reason(request.user), "next": _next(request),
    })


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request):
    next_url = _next(request)
    if request.user.is_verified() or not security.requires_second_factor(request):
        return redirect(next_url)
    if security.confirmed_device(request.user) is None:
        return redirect(reverse("account:otp_setup") + "?" + urlencode({"next": next_url}))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, error = security.verify_second_factor(request, token=form.cleaned_data["token"])
        if ok:
            return redirect(next_url)
        form.add_error("token", error)
    return render(request, "org/otp_verify.html", {"form": form, "next": next_url})


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup(request):
    next_url = _next(request)
    device = security.confirmed_device(request.user)
    if device is not None:
        if security.requires_second_factor(request) and not request.user.is_verified():
            return redirect(reverse("account:otp_verify") + "?" + urlencode({"next": next_url}))
        return render(request, "org/otp_setup.html", {"device": device, "next": next_url})
    required = security.requires_second_factor(request)
    if not security.enrolment_code_accepted(request):
        # First the 安全管理员's one-time code; no secret is made (or shown) before it is accepted.
        code_form = EnrolmentCodeForm(request.POST or None)
        if request.method == "POST" and code_form.is_valid():
            error = security.accept_enrolment_code(request, code=code_form.cleaned_data["enrolment_code"])
            if error is None:
                return redirect(reverse("account:otp_setup") + "?" + urlencode({"next": next_url}))
            code_form.add_error("enrolment_code", error)
        return render(request, "org/otp_setup.html", {"code_form": code_form, "next": next_url, "required": required})
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if security.bind_totp_device(request, token=form.cleaned_data["token"]):
            messages.success(request, "双因素认证已绑定。以后登录时，输入密码后还需输入验证器上的验证码。")
            return redirect(next_url)
        if not security.enrolment_code_accepted(request):  # the code expired or was used meanwhile
            messages.error(request, "绑定码已失效，请联系安全管理员重新签发。")
            return redirect(reverse("account:otp_setup") + "?" + urlencode({"next": next_url}))
        form.add_error("token", "验证码不正确：请确认手机时间准确，并输入验证器上当前显示的 6 位数字。")
    key = security.setup_key(request)
    uri = security.provisioning_uri(request.user, key)
    return render(request, "org/otp_setup.html", {
        "form": form, "next": next_url, "otpauth_uri": uri, "qr": security.qr_data_uri(uri),
        "manual_key": security.manual_key(key), "required": required,
    })


# --- the 安全管理员's page ------------------------------------------------------------------------------------------


def _security_page(request, *, reset_form=None, code_form=None, issued=None):
    return render(request, "org/account_security.html", {
        "locked": security.locked_usernames(), "grants": onboarding.single_pending_grants(),
        "batches": onboarding.pending_batches(),
        "reset_form": reset_form or AccountForm(), "code_form": code_form or AccountForm(prefix="code"),
        "issued": issued, "code_hours": security.ENROLMENT_CODE_HOURS,
    })


@login_required
def account_security(request):
    _security_admin(request)
    return _security_page(request)


@login_required
@require_POST
def unlock(request):
    _security_admin(request)
    form = UsernameForm(request.POST)
    if form.is_valid():
        security.unlock(request, username=form.cleaned_data["username"])
        messages.success(request, f"已解除“{form.cleaned_data['username']}”的登录锁定。")
    return redirect("account:security")


@login_required
@require_POST
def reset_second_factor(request):
    _security_admin(request)
    form = AccountForm(request.POST)
    count = attempt(form, security.reset_second_factor, request=request, user=form.user) if form.is_valid() else None
    if count is not None:
        messages.success(request, f"已重置“{form.user.get_username()}”的双因素认证（删除验证器 {count} 个）。"
                                  "须使用双因素认证的岗位，重新绑定前还需签发绑定码。")
        return redirect("account:security")
    return _security_page(request, reset_form=form)


@login_required
@require_POST
def issue_enrolment_code(request):
    """The code is shown once, on this response (never put in a message, a cookie or a URL)."""
    _security_admin(request)
    form = AccountForm(request.POST, prefix="code")
    code = attempt(form, security.issue_enrolment_code, request=request, user=form.user) if form.is_valid() else None
    if code is None:
        return _security_page(request, code_form=form)
    return _security_page(request, issued={"username": form.user.get_username(), "code": code})


@login_required
@require_http_methods(["GET", "POST"])
def decide_grant(request, pk, approve):
    """GET: the request and a confirmation form; POST: approve or refuse it (accounts.duties)."""
    _security_admin(request)
    grant = get_object_or_404(MembershipRequest.objects.select_related(
        "user", "division", "unit", "requested_by", "decided_by"), pk=pk)
    form = GrantDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        service = duties.approve_grant if approve else duties.refuse_grant
        if attempt(form, service, request=request, grant_id=grant.pk, note=form.cleaned_data["note"]) is not None:
            verb = "批准" if approve else "拒绝"
            messages.success(request, f"已{verb}“{grant.user.get_username()}”的岗位授权申请（编号 {grant.pk}）。")
            return redirect("account:security")
    current = getattr(grant.user, "membership", None) if grant.user_id else None
    return render(request, "org/grant_decide.html", {
        "grant": grant, "form": form, "approve": approve, "current": current,
        "pending": grant.status == RequestStatus.PENDING, "conflict": duties.decision_conflict(request.user, grant),
    })
