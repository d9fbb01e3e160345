"""Account pages: change password, bind and verify the second factor, and (administrators) lift lockouts and reset
lost authenticators. Thin views; the writes and their audit rows are in accounts.security."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from accounts import security
from accounts.forms import AccountForm, ChangePasswordForm, TokenForm, UsernameForm
from org.models import Role
from org.selectors import membership_of


def _next(request) -> str:
    """Where to go afterwards: a `next` on this site, or the home page."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return reverse("home")


def _administrator(request):
    m = membership_of(request.user)
    if m is None or m.role != Role.ADMIN:
        raise PermissionDenied("只有系统管理员可以解除账号锁定或重置双因素认证。")
    return m


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
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if security.bind_totp_device(request, token=form.cleaned_data["token"]):
            messages.success(request, "双因素认证已绑定。以后登录时，输入密码后还需输入验证器上的验证码。")
            return redirect(next_url)
        form.add_error("token", "验证码不正确：请确认手机时间准确，并输入验证器上当前显示的 6 位数字。")
    key = security.setup_key(request)
    uri = security.provisioning_uri(request.user, key)
    return render(request, "org/otp_setup.html", {
        "form": form, "next": next_url, "otpauth_uri": uri, "qr": security.qr_data_uri(uri),
        "manual_key": security.manual_key(key), "required": security.requires_second_factor(request),
    })


@login_required
def account_security(request):
    _administrator(request)
    return render(request, "org/account_security.html", {
        "locked": security.locked_usernames(), "reset_form": AccountForm(),
    })


@login_required
@require_POST
def unlock(request):
    _administrator(request)
    form = UsernameForm(request.POST)
    if form.is_valid():
        security.unlock(request, username=form.cleaned_data["username"])
        messages.success(request, f"已解除“{form.cleaned_data['username']}”的登录锁定。")
    return redirect("account:security")


@login_required
@require_POST
def reset_second_factor(request):
    _administrator(request)
    form = AccountForm(request.POST)
    if form.is_valid() and form.user.pk == request.user.pk:
        form.add_error("username", "不能重置自己的双因素认证，请由另一名系统管理员操作。")
    if form.is_valid():
        count = security.reset_second_factor(request, user=form.user)
        messages.success(request, f"已重置“{form.user.get_username()}”的双因素认证（删除验证器 {count} 个）。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("account:security")
