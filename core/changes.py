"""A case change, announced to whoever listens — inside the change's transaction.

`cases.services.record_change` publishes every recorded change; apps above cases (notify: the 待办 queue)
subscribe in their `AppConfig.ready`. Subscribers run in the caller's transaction, so what they write commits or
rolls back with the change. This is an explicit call from the one place that records changes, not a model signal.
"""

_subscribers = []


def subscribe(fn):
    """Register `fn(case=..., kind=..., actor=...)`; registering the same function twice is a no-op."""
    if fn not in _subscribers:
        _subscribers.append(fn)
    return fn


def publish(**change):
    for fn in list(_subscribers):
        fn(**change)
