"""The read-replica router (docs/deploy.md, "more than one app server").

Two aliases: `default`, the primary, for every write and every read that decides who may do what; `replica`
(REPLICA_DATABASE_URL, otherwise the primary again), for the case-content reads of statistics and exports. A report
may lag the primary by the replication delay — a page of counts or a spreadsheet can; a permission, a session or a
workflow step cannot, so only the models of settings.REPLICA_APPS are routed, and only inside a report view
(settings.REPLICA_VIEWS, marked by ReportsFromReplicaMiddleware) or a `core.replica.reports_from_replica()` block,
and only while settings.REPLICA_READS is on (the default when REPLICA_DATABASE_URL is set).
"""

from django.conf import settings

from core.replica import begin_reports, end_reports, reading_reports

PRIMARY, REPLICA = "default", "replica"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if (getattr(settings, "REPLICA_READS", False) and reading_reports()
                and model._meta.app_label in settings.REPLICA_APPS):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY  # never where an instance happened to be read from

    def allow_relation(self, obj1, obj2, **hints):
        return {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY  # the replica receives the schema by replication (or is the primary itself)


def is_report_view(view_name: str | None) -> bool:
    if not view_name:
        return False
    for pattern in settings.REPLICA_VIEWS:
        if pattern == view_name or pattern.endswith(":*") and view_name.startswith(pattern[:-1]):
            return True
    return False


class ReportsFromReplicaMiddleware:
    """Marks the views of settings.REPLICA_VIEWS as report reads, from their view call to their response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            token = request.__dict__.pop("_replica_token", None)
            if token is not None:
                end_reports(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if getattr(settings, "REPLICA_READS", False) and match and is_report_view(match.view_name):
            request._replica_token = begin_reports()
        return None
