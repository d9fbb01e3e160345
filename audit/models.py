"""The security audit log (等保 8.1.4.3 安全审计; 个人信息保护法 第五十一条、第五十四条).

One append-only table. Rows are written by `audit.record(...)` only; nothing in the application updates or deletes
them: the model and its queryset refuse, and on PostgreSQL a trigger refuses (migration 0002). Auditors read them
through `audit.views`; administrators cannot (the model is not registered in the admin).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from org.models import Role


class Action(models.TextChoices):
    LOGIN = "login", "登录成功"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出登录"
    LOCKOUT = "lockout", "账号锁定"
    UNLOCK = "unlock", "解除锁定"
    ACCESS_DENIED = "access_denied", "越权或不存在的访问"
    CASE_WRITE = "case_write", "案件写入"
    MEETING_WRITE = "meeting_write", "例会记录"
    PII_VIEW = "pii_view", "查看个人信息明文"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    ACCOUNT_CHANGE = "account_change", "账号变更"
    ROLE_CHANGE = "role_change", "角色变更"
    DUTY_CONFLICT = "duty_conflict", "职责分离冲突"
    PASSWORD_CHANGE = "password_change", "修改密码"
    PASSWORD_RESET = "password_reset", "管理员重置密码"
    OTP_SETUP = "otp_setup", "绑定双因素认证"
    OTP_VERIFY = "otp_verify", "双因素认证通过"
    OTP_FAILED = "otp_failed", "双因素认证失败"
    OTP_RESET = "otp_reset", "重置双因素认证"
    OTP_CODE = "otp_code", "签发双因素绑定码"


class Outcome(models.TextChoices):
    SUCCESS = "success", "成功"
    FAILURE = "failure", "失败"


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计日志只允许追加，禁止修改。")

    def delete(self):
        raise PermissionError("审计日志只允许追加，禁止删除。")

    update.queryset_only = True
    delete.queryset_only = True


class AuditEntry(models.Model):
    at = models.DateTimeField("时间", default=timezone.now)
    # No database FK and no cascade: deleting an account never touches (or is blocked by) its audit rows, and the
    # username column keeps who it was.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", null=True, blank=True, on_delete=models.DO_NOTHING,
        db_constraint=False, related_name="+",
    )
    username = models.CharField("用户名", max_length=150, blank=True, help_text="登录失败时为输入的用户名。")
    role = models.CharField("角色", max_length=20, choices=Role.choices, blank=True)
    division_code = models.CharField("区划代码", max_length=12, blank=True)
    ip = models.GenericIPAddressField("客户端地址", null=True, blank=True)
    action = models.CharField("操作", max_length=20, choices=Action.choices)
    object_type = models.CharField("对象类型", max_length=64, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_label = models.CharField("对象", max_length=200, blank=True, help_text="案件编号等，不含姓名。")
    outcome = models.CharField("结果", max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    path = models.CharField("请求路径", max_length=255, blank=True)
    detail = models.TextField("说明", blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"
        ordering = ["-id"]
        indexes = [
            # The auditor's list: newest first, by date range (audit.selectors.entries).
            models.Index(fields=["at"], name="audit_at"),
            # Filter by user name or by action, newest first.
            models.Index(fields=["username", "at"], name="audit_username_at"),
            models.Index(fields=["action", "at"], name="audit_action_at"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.get_action_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("审计日志只允许追加，禁止修改。")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只允许追加，禁止删除。")
