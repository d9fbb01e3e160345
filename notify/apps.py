from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "notify"
    verbose_name = "待办与通知"

    def ready(self):
        from core import changes

        from . import queue

        changes.subscribe(queue.on_change)
