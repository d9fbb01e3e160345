"""Token authentication of the API, with the token's scope and rate limit checked before the body is read."""

from ninja.security import HttpBearer

from . import ratelimit, tokens


class Refusal(Exception):
    """A call refused after the token was read: 403 (scope) or 429 (rate); answered by the API's handler."""

    def __init__(self, status: int, message: str, headers=None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


SCOPES = {"create": ("can_create", "登记案件"), "read": ("can_read", "查询案件")}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` for one operation ("create" or "read"). Unknown or revoked: 401; over the
    token's rate: 429 with Retry-After; scope missing: 403. Sets request.api_token and request.api_operation for
    the audit row."""

    def __init__(self, operation: str):
        super().__init__()
        self.operation = operation

    def __call__(self, request):
        request.api_operation = self.operation
        value = request.headers.get(self.header) or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None  # never logs the header (HttpBearer does in DEBUG)
        return self.authenticate(request, token.strip())

    def authenticate(self, request, token):
        row = tokens.find(token)
        if row is None or row.revoked_at is not None:
            request.api_token = row  # a revoked token is named in the audit row
            request.api_presented = tokens.display_prefix(token) + "…"
            return None
        request.api_token = row
        wait = ratelimit.retry_after(row)
        if wait is not None:
            raise Refusal(429, f"调用过于频繁：每分钟最多{row.rate_per_minute}次，请{wait}秒后重试。",
                          {"Retry-After": str(wait)})
        flag, label = SCOPES[self.operation]
        if not getattr(row, flag):
            raise Refusal(403, f"该令牌没有“{label}”权限。")
        tokens.touch(row)
        return row
