"""Which reads may come from the read replica (docs/deploy.md, jiaxiang/db_router.py).

Statistics and exports may read a second database alias, `replica` (REPLICA_DATABASE_URL; by default the primary
itself). They say so by running inside `reports_from_replica()`; jiaxiang.db_router.ReplicaRouter then sends the
case-content reads of that block there. A management command that writes a report can use the same block.
"""

import contextlib
import contextvars

_reports = contextvars.ContextVar("jiaxiang_reports_from_replica", default=False)


def reading_reports() -> bool:
    return _reports.get()


@contextlib.contextmanager
def reports_from_replica():
    token = _reports.set(True)
    try:
        yield
    finally:
        _reports.reset(token)


def begin_reports():
    """The non-block form for middleware: returns the token for `end_reports`."""
    return _reports.set(True)


def end_reports(token) -> None:
    _reports.reset(token)
