"""Login, logout, failed login and lockout: Django's and Axes' signals are the only place all login paths (our login
page, the admin's, the test client) meet, so the receivers live here and stay small: stamp the session, write a row."""

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from accounts import security
from audit.models import Action, Outcome
from audit.services import record


@receiver(user_logged_in, dispatch_uid="audit_login")
def on_login(sender, request, user, **kwargs):
    security.start_session(request, user)
    record(request, action=Action.LOGIN, user=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failed")
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username") or ""
    record(request, action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE, username=username,
           detail="用户名或密码错误，或账号已锁定")


@receiver(user_logged_out, dispatch_uid="audit_logout")
def on_logout(sender, request, user, **kwargs):
    if user is None:
        return  # the session had no signed-in user: nothing to record
    reason = getattr(request, "security_logout_reason", "") if request is not None else ""
    record(request, action=Action.LOGOUT, user=user, detail=reason or "用户退出")


@receiver(user_locked_out, dispatch_uid="audit_lockout")
def on_locked_out(sender, request, username, ip_address, **kwargs):
    failures = getattr(request, "axes_failures_since_start", None)
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if failures:
        detail = f"连续 {failures} 次登录失败，账号锁定 {minutes} 分钟"
    else:
        detail = "账号锁定期间再次尝试登录，已拒绝"
    record(request, action=Action.LOCKOUT, outcome=Outcome.FAILURE, username=username or "",
           detail=detail)
