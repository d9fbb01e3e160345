from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = "组织与区划"

    def ready(self):
        from . import signals  # noqa: F401
