"""Bearer tokens: made here, stored as a keyed hash (HMAC-SHA256 under SECRET_KEY, like Django's own signed values),
shown once. A token is `jxapi_` + 43 random URL-safe characters (256 bits), so a hash lookup is safe."""

import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

PREFIX = "jxapi_"
_SALT = "jiaxiang.api.token"


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str, secret: str | None = None) -> str:
    return salted_hmac(_SALT, token, secret=secret, algorithm="sha256").hexdigest()


def digests(token: str) -> list[str]:
    """The hash under the current SECRET_KEY and under each fallback (a key rotation keeps tokens working)."""
    return [digest(token), *(digest(token, old) for old in getattr(settings, "SECRET_KEY_FALLBACKS", []))]


def display_prefix(token: str) -> str:
    return token[: len(PREFIX) + 4]


def find(token: str):
    """The token row for a presented token, revoked or not (the caller refuses revoked ones), or None."""
    from .models import ApiToken

    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    return (ApiToken.objects.select_related("system__division", "system__user")
            .filter(key_hash__in=digests(token)).first())


def touch(token_row) -> None:
    """Note the last use, at most once a minute per token (one UPDATE, not one per call)."""
    now = timezone.now()
    if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 60:
        type(token_row).objects.filter(pk=token_row.pk).update(last_used_at=now)
        token_row.last_used_at = now
