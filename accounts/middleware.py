"""Session and account gates, in settings.MIDDLEWARE order (see docs/security.md §3):

NoStoreForSignedInMiddleware      Cache-Control: no-store on every response to a signed-in user
SessionTimeoutMiddleware          30 minutes idle, 12 hours absolute, then logged out (and recorded)
TwoFactorRequiredMiddleware       2FA roles must pass the second factor before any other page
PasswordChangeRequiredMiddleware  admin-set or expired passwords must be changed before any other page

Every rule reads settings per request (tests and operators can switch them) and costs no query of its own on an
ordinary page: the session is already loaded, the membership is the row the views load anyway (cached per request).
"""

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode

from . import security


class NoStoreForSignedInMiddleware:
    """Pages shown to a signed-in user hold case and personal data: no browser or proxy may keep a copy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        signed_in = SESSION_KEY in request.session
        response = self.get_response(request)
        if signed_in or getattr(getattr(request, "user", None), "is_authenticated", False):
            add_never_cache_headers(response)
        return response


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            reason = security.session_expiry(request.session)
            if reason:
                request.security_logout_reason = reason  # read by the audit logout receiver
                logout(request)
                messages.warning(request, reason)
                return redirect_to_login(request.get_full_path() if request.method == "GET" else "/")
        return self.get_response(request)


def _gate(request, url_name):
    target = reverse(url_name)
    if request.method == "GET":
        target += "?" + urlencode({"next": request.get_full_path()})
    return redirect(target)


def _view_name(request):
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


class TwoFactorRequiredMiddleware:
    EXEMPT = frozenset({"login", "logout", "account:otp_setup", "account:otp_verify"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or _view_name(request) in self.EXEMPT:
            return None
        if security.requires_second_factor(request) and not request.user.is_verified():
            return _gate(request, "account:otp_verify")  # which sends users without a device on to the setup
        return None


class PasswordChangeRequiredMiddleware:
    EXEMPT = frozenset({"login", "logout", "account:password_change", "account:otp_setup", "account:otp_verify"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or _view_name(request) in self.EXEMPT:
            return None
        if security.password_change_reason(request.user):
            return _gate(request, "account:password_change")
        return None
