"""The api app's background jobs (django-tasks; the backend is settings.TASKS)."""

from django_tasks import task

from . import callbacks


@task()
def deliver_callback(callback_id: int) -> str:
    """One attempt at a result callback (api.callbacks.send); a failure schedules the next one."""
    return callbacks.send(callback_id)
