from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "安全审计"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks, signals  # noqa: F401  (connect the login/logout/lockout receivers, register checks)
