"""Calls per token per minute, counted in the cache (a fixed one-minute window; shared by every process when the
cache is shared — Redis in production, docs/api.md)."""

import math
import time

from django.core.cache import cache

WINDOW = 60


def retry_after(token, *, now: float | None = None) -> int | None:
    """Count one call of `token`; None while within its `rate_per_minute`, else the seconds until the window ends."""
    now = time.time() if now is None else now
    window = int(now // WINDOW)
    key = f"api-rate:{token.key_hash[:32]}:{window}"
    cache.add(key, 0, timeout=WINDOW + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=WINDOW + 5)
        count = 1
    if count <= token.rate_per_minute:
        return None
    return max(1, math.ceil((window + 1) * WINDOW - now))
