"""What a channel says after one try, and the small HTTP helper the HTTP channels share (standard library only)."""

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Outcome:
    ok: bool
    answer: str  # the provider's answer as it came back (trimmed), or the error
    permanent: bool = False  # a retry cannot help (a wrong number, a deleted robot): give up now
    duration_ms: int = 0


def http(method: str, url: str, *, body: bytes | None = None, headers=None) -> tuple[int, str, int]:
    """(HTTP status, body text, milliseconds). Network errors raise OSError (URLError is one)."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFY_HTTP_TIMEOUT) as response:  # noqa: S310
            status, text = response.status, response.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as e:  # a 4xx/5xx answer is an answer: keep its body for the log
        status, text = e.code, e.read(4096).decode("utf-8", "replace")
    return status, text, int((time.monotonic() - started) * 1000)


def parse_json(text: str) -> dict:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def failure(error: Exception, started: float) -> Outcome:
    return Outcome(False, f"{type(error).__name__}: {error}"[:500], duration_ms=int((time.monotonic() - started) * 1000))
