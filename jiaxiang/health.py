"""GET /healthz — for the load balancer, systemd watchdogs and monitoring (docs/deploy.md).

No login, no personal data, no session, no cookie; at most two queries:

* database   — the primary answers (the migration query below is that proof);
* migrations — every migration of the running code is recorded as applied (a release whose `migrate` has not run
               yet answers 503, so the balancer keeps sending traffic to the servers that still match the schema);
* queue      — the job queue's table answers, if a database-backed django-tasks backend is installed; "absent" when
               the package or its database backend is not (that is not an error: the sweep then runs from cron).

200 {"status": "ok", "checks": {...}} or 503 {"status": "error", "checks": {...}}. Failure details go to the log,
never into the answer (they could name hosts or users).
"""

import functools
import logging

from django.apps import apps
from django.db import DatabaseError, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@functools.cache
def expected_migrations() -> tuple:
    """(key, replaced keys) of every migration on disk: fixed for the life of the process, read once."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return tuple((key, tuple(migration.replaces or ())) for key, migration in loader.graph.nodes.items())


def applied_migrations(alias="default") -> set:
    """One query (MigrationRecorder.applied_migrations() would first introspect the table list: a second one)."""
    return set(MigrationRecorder(connections[alias]).migration_qs.values_list("app", "name"))


def check_migrations(alias="default") -> str:
    applied = applied_migrations(alias)
    missing = [key for key, replaces in expected_migrations()
               if key not in applied and not (replaces and all(r in applied for r in replaces))]
    if missing:
        logger.error("healthz: %d unapplied migrations, e.g. %s.%s", len(missing), *missing[0])
        return "unapplied"
    return "ok"


def queue_models() -> list:
    """The models of an installed django-tasks database backend (django_tasks.backends.database, django_tasks_db …),
    or [] when no such app is installed."""
    try:
        import django_tasks  # noqa: F401
    except ImportError:
        return []
    return [model for config in apps.get_app_configs() if config.name.startswith("django_tasks")
            for model in config.get_models()]


def check_queue() -> str:
    models = queue_models()
    if not models:
        return "absent"
    for model in models[:1]:  # one table proves the queue's database is reachable and migrated
        list(model._base_manager.order_by().values_list("pk", flat=True)[:1])
    return "ok"


def _run(name, check) -> str:
    try:
        return check()
    except DatabaseError:
        logger.exception("healthz: %s check failed", name)
        return "error"


@never_cache
@require_GET
def healthz(request):
    checks = {"database": "ok", "migrations": _run("migrations", check_migrations)}
    if checks["migrations"] == "error":
        checks["database"] = "error"
    checks["queue"] = _run("queue", check_queue) if checks["database"] == "ok" else "error"
    healthy = all(value in ("ok", "absent") for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
