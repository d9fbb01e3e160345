"""The job queue's tasks of this app, and the one way to enqueue a job from inside a change (docs/jobs.md).

Jobs run on django-tasks (the backport of Django 6's `django.tasks`) with its database backend: a job is a row
in our database, so `enqueue_on_commit` called inside a transaction writes the job in that transaction — it is
committed with the change or rolled back with it, and no job can be lost between the two. Workers
(`manage.py db_worker --queue-name '*'`, systemd `jiaxiang-worker@.service`) claim rows with row locks, so any
number of them may run on any number of machines.

Other apps define their own tasks with `django_tasks.task` and enqueue them through `enqueue_on_commit` too:

    from django_tasks import task
    from notify.jobs import enqueue_on_commit

    @task(queue_name="callbacks")
    def send_callback(case_id: int) -> None: ...

    enqueue_on_commit(send_callback, case.pk, run_after=timezone.now() + timedelta(minutes=5))

Arguments must be JSON (ids, strings); a task looks its rows up again when it runs.
"""

from django.db import transaction
from django_tasks import task, task_backends

from .delivery import send


def enqueue_on_commit(task_, *args, run_after=None, **kwargs):
    """Enqueue `task_` so that it runs only if the current transaction commits.

    The database backend writes the job row right now, inside the caller's transaction (atomic with the change;
    the worker sees it at commit). Any other backend (the tests' immediate one runs the job at once) is called at
    commit. `run_after` defers the job when the backend can; where it cannot, nothing is enqueued and the job is left
    to the catch-up (`manage.py deliver_due`), which is what a deferred delivery falls back to anyway."""
    backend = task_backends[task_.backend]
    if run_after is not None:
        if not backend.supports_defer:
            return None
        task_ = task_.using(run_after=run_after)
    if _writes_rows(backend):
        return task_.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task_.enqueue(*args, **kwargs))
    return None


def _writes_rows(backend) -> bool:
    try:
        from django_tasks_db import DatabaseBackend
    except ImportError:  # pragma: no cover - the database backend is a requirement
        return False
    return isinstance(backend, DatabaseBackend)


@task(queue_name="delivery")
def deliver(delivery_id: int) -> str:
    """Send one notification on one channel (notify.delivery.send.deliver)."""
    return send.deliver(delivery_id)


@task(queue_name="delivery")
def deliver_due() -> dict:
    """Catch up every delivery that is due (the timer runs `manage.py deliver_due`, which does the same)."""
    return send.deliver_due()
