"""The one way rows get into the audit log: `record(...)` (re-exported as `audit.record`)."""

import contextvars
import re

from django.db.models import Model

from org.selectors import membership_of

from .ip import client_ip
from .models import Action, AuditEntry, Outcome

# The request being served, set by audit.middleware.AuditMiddleware, so that a service that only knows its `actor`
# (e.g. cases.services) still records the client address and path. Never used to decide anything.
current_request = contextvars.ContextVar("audit_current_request", default=None)

# Control characters never reach a column: they are written as \xNN. PostgreSQL refuses NUL in text (a probe such as
# /cases/%00/ would otherwise go unrecorded), and a forged line break must not start a fake row in a path or a name.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_DETAIL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # a detail may keep its tabs and line feeds


def printable(text, limit: int | None = None, *, pattern=_CONTROL) -> str:
    """`text` with its control characters escaped as \\xNN, then cut to `limit` characters."""
    text = pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))
    return text if limit is None else text[:limit]


def record(request=None, *, action: str, obj: Model | None = None, outcome: str = Outcome.SUCCESS,
           detail: str = "", user=None, username: str | None = None, label: str | None = None) -> AuditEntry:
    """Append one audit row.

    request   the HttpRequest, or None from a service (the request being served is then found by the middleware)
    action    an `audit.models.Action` value ("case_write", "pii_view", "export", ...)
    obj       the model instance acted on: its type and primary key are stored, and `label` if given, else its
              `number` (cases) — never str(obj), which for cases and parties carries people's names
    user      the acting user when it is not request.user (services pass their `actor`; signals pass the user)
    username  the typed user name when there is no user (failed logins); request.user is then not consulted
    detail    what happened, in Chinese; no ID numbers, phones or other personal information
    """
    if action not in Action.values:
        raise ValueError(f"未知的审计操作：{action!r}")
    if outcome not in Outcome.values:
        raise ValueError(f"未知的审计结果：{outcome!r}")
    request = request if request is not None else current_request.get()
    if user is None and username is None and request is not None:
        candidate = getattr(request, "user", None)
        if getattr(candidate, "is_authenticated", False):
            user = candidate
    entry = AuditEntry(action=action, outcome=outcome, detail=printable(detail, pattern=_CONTROL_IN_DETAIL),
                       ip=client_ip(request))
    if request is not None:
        entry.path = printable(request.path, 255)
    if user is not None and getattr(user, "is_authenticated", False):
        entry.user_id = user.pk
        entry.username = printable(user.get_username(), 150)
        m = membership_of(user)
        if m is not None:
            entry.role, entry.division_code = m.role, m.division_id
    elif username:
        entry.username = printable(username, 150)
    if obj is not None:
        entry.object_type = obj._meta.label_lower
        entry.object_id = str(obj.pk)[:64]
        entry.object_label = printable(label if label is not None else getattr(obj, "number", "") or "", 200)
    elif label is not None:
        entry.object_label = printable(label, 200)
    entry.save(force_insert=True)
    return entry
