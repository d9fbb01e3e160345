"""Security audit log. Colleagues call `audit.record(request_or_none, action=..., obj=..., ...)`.

The wrapper imports lazily so that `import audit` works before the app registry is ready (settings, apps.py).
"""


def record(request=None, **kwargs):
    """See audit.services.record."""
    from .services import record as _record

    return _record(request, **kwargs)
