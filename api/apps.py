from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "外部系统接口"

    def ready(self):
        from core import changes

        from . import callbacks

        # Resolution and closing of a case that came in through the API queue its result callback (docs/api.md).
        changes.subscribe(callbacks.on_change)
