"""Session and account gates, in settings.MIDDLEWARE order (see docs/security.md §3):

NoStoreForSignedInMiddleware      Cache-Control: no-store on every response to a signed-in user
SessionTimeoutMiddleware          30 minutes idle, 12 hours absolute, then logged out (and recorded, also when the
                                  session row expired first: a signed marker cookie remembers the session)
TwoFactorRequiredMiddleware       2FA roles must pass the second factor before any other page
PasswordChangeRequiredMiddleware  admin-set or expired passwords must be changed before any other page

Every rule reads settings per request (tests and operators can switch them) and costs no query of its own on an
ordinary page: the session is already loaded, the membership is the row the views load anyway (cached per request).
"""

from django.conf import settings
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
    """Ends sessions idle too long or open too long (the logout receiver records it), and records the end of a
    session whose row expired before the browser came back (`security.record_lost_session`): every response to a
    signed-in session carries the session's signed marker cookie, every other response deletes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if SESSION_KEY in request.session:
            reason = security.session_expiry(request.session)
            if reason:
                request.security_logout_reason = reason  # read by the audit logout receiver
                logout(request)
                messages.warning(request, reason)
                response = redirect_to_login(request.get_full_path() if request.method == "GET" else "/")
                return self.keep_marker(request, response)
        elif security.MARKER_COOKIE in request.COOKIES:
            if security.record_lost_session(request, request.COOKIES[security.MARKER_COOKIE]):
                messages.warning(request, "登录已超时，请重新登录。")
        return self.keep_marker(request, self.get_response(request))

    @staticmethod
    def keep_marker(request, response):
        """Set the marker of the session signed in now (after a login, or the first page after force_login), or
        delete the browser's when nobody is signed in any more (logout, timeout, a lost session). No query."""
        held = request.COOKIES.get(security.MARKER_COOKIE)
        wanted = security.session_marker(request.session)
        if wanted is None and held is not None:
            response.delete_cookie(security.MARKER_COOKIE, path=settings.SESSION_COOKIE_PATH,
                                   domain=settings.SESSION_COOKIE_DOMAIN, samesite=settings.SESSION_COOKIE_SAMESITE)
        elif wanted is not None and wanted != held:
            response.set_cookie(  # a browser-session cookie, like the session's own
                security.MARKER_COOKIE, wanted, path=settings.SESSION_COOKIE_PATH,
                domain=settings.SESSION_COOKIE_DOMAIN, secure=settings.SESSION_COOKIE_SECURE, httponly=True,
                samesite=settings.SESSION_COOKIE_SAMESITE,
            )
        return response


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
