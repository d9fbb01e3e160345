from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "账号与登录安全"

    def ready(self):
        from . import checks, signals  # noqa: F401  (connect the login/logout/lockout receivers, register checks)
