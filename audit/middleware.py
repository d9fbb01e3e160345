"""Records refused requests (403) and not-found probes (404) of signed-in users, and makes the request being served
known to `audit.record` calls from services."""

from django.conf import settings
from django.contrib.auth import get_user
from django.dispatch import receiver

from core.middleware import request_refused

from .models import Action, Outcome
from .services import current_request, record

DENIED = {403: "无权访问（403）", 404: "不存在或不在管辖范围内（404）"}


@receiver(request_refused, dispatch_uid="audit_request_refused")
def record_refused_request(sender, request, reason, **kwargs):
    """core.middleware.NulByteMiddleware answers 400 before the user is loaded and before AuditMiddleware runs: a
    signed-in user's refused request is still a probe worth recording (its path escaped by `record`). Connected when
    Django loads the middleware, i.e. before any request is served."""
    user = get_user(request) if hasattr(request, "session") else None
    if getattr(user, "is_authenticated", False):
        record(request, action=Action.ACCESS_DENIED, outcome=Outcome.FAILURE, user=user,
               detail=f"{request.method} {reason}")


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            response = self.get_response(request)
            if response.status_code in DENIED and self._worth_recording(request):
                record(request, action=Action.ACCESS_DENIED, outcome=Outcome.FAILURE,
                       detail=f"{request.method} {DENIED[response.status_code]}")
            return response
        finally:
            current_request.reset(token)

    @staticmethod
    def _worth_recording(request):
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            return False
        path = request.path_info
        # Django prefixes relative STATIC_URL/MEDIA_URL with the script prefix, so an unset MEDIA_URL reads "/".
        prefixes = ["/" + p.strip("/") + "/" for p in (settings.STATIC_URL, settings.MEDIA_URL) if p and p.strip("/")]
        if any(path.startswith(p) for p in prefixes):
            return False
        return path not in settings.AUDIT_IGNORED_PATHS
