"""Request-level helpers every app may rely on."""

from django.conf import settings
from django.dispatch import Signal
from django.shortcuts import render

from .errors import Refused

# Sent (with `request` and a Chinese `reason`) when NulByteMiddleware refuses a request; the audit app records it.
request_refused = Signal()


class NulByteMiddleware:
    """A NUL byte in the path, in a query or form key or value, or in an uploaded file's name answers 400 (Chinese
    page) before any view runs. No browser sends one; PostgreSQL refuses it in text, so it would end as a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            request_refused.send(sender=type(self), request=request, reason="请求含空字符（400）")
            return render(request, "400.html", status=400)
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path:  # the script prefix and the path, percent-decoded (%00 arrives as NUL)
            return True
        data = [request.GET]
        if request.method == "POST":
            try:
                data += [request.POST, request.FILES]
            except OSError:  # the client went away mid-upload: the CSRF check downstream handles the broken body
                return False
        for querydict in data:
            for key, values in querydict.lists():
                texts = [key, *(getattr(v, "name", v) or "" for v in values)]
                if any("\x00" in str(text) for text in texts):
                    return True
        return False


class RefusedMiddleware:
    """A `Refused` that escapes a view (no form to show it on) becomes a Chinese error page with its status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Refused):
            return render(request, "refused.html", {"message": exception.message}, status=exception.status)
        return None


class FriendlyErrorPagesMiddleware:
    """With DEBUG on (the `make run` demo), answer 403/404/500 with the project's Chinese pages instead of Django's
    English technical pages, as production does. Off with FRIENDLY_ERROR_PAGES=false (a developer who wants the
    traceback page); without DEBUG Django already uses templates/403.html, 404.html, 500.html. Outermost."""

    PAGES = {403: "403.html", 404: "404.html", 500: "500.html"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not (settings.DEBUG and getattr(settings, "FRIENDLY_ERROR_PAGES", True)):
            return response
        template = self.PAGES.get(response.status_code)
        if template is None or not response.get("Content-Type", "").startswith("text/html"):
            return response
        if b'id="summary"' not in getattr(response, "content", b""):
            return response  # one of ours, or a page a view rendered itself: only Django's technical pages go
        return render(request, template, {"exception": ""}, status=response.status_code)
