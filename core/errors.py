"""The one "refused" error type (STYLE.md: HackSoft's ApplicationError).

A service that will not do what it was asked raises `Refused("…")` with a Chinese sentence for the user; nothing has
changed then (the service's transaction rolls back). Views turn it into a form error with `attempt(form, …)`; one
that escapes a view is turned into a page with the subclass's status by `core.middleware.RefusedMiddleware`.
"""


class Refused(Exception):
    """The request breaks a rule; `message` is shown as is. `field` names the form field it belongs to, if any."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class Forbidden(Refused):
    """The user's role or position does not allow this (403)."""

    status = 403


class Conflict(Refused):
    """The object changed since the user loaded it (409)."""

    status = 409


class TooMany(Refused):
    """A rate limit was reached (429)."""

    status = 429


def attempt(form, call, /, **kwargs):
    """Run a service for a valid form; a `Refused` becomes the form's error (non-field unless it names a field of
    the form) and the result is None. Anything else propagates."""
    try:
        return call(**kwargs)
    except (Conflict, TooMany):
        raise
    except Refused as refused:
        field = refused.field if refused.field in getattr(form, "fields", {}) else None
        form.add_error(field, refused.message)
        return None
