"""Request-level helpers every app may rely on."""

from django.shortcuts import render

from .errors import Refused


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
