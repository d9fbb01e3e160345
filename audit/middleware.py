"""Records refused requests (403) and not-found probes (404) of signed-in users, and makes the request being served
known to `audit.record` calls from services."""

from django.conf import settings

from .models import Action, Outcome
from .services import current_request, record

DENIED = {403: "无权访问（403）", 404: "不存在或不在管辖范围内（404）"}


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
