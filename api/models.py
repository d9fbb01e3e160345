"""External systems, their tokens, the work orders they sent and the result callbacks we owe them (docs/api.md)."""

import uuid

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField


class ExternalSystem(models.Model):
    """A system outside ours that sends work orders (县12345热线, 网格事项流转平台 …). Cases it creates are registered
    by its own service account (`user`: no password, inactive, no role), within `division` and below."""

    name = models.CharField("系统名称", max_length=64, unique=True, help_text="如“县12345热线”“网格事项流转平台”。")
    code = models.SlugField("系统代码", max_length=32, unique=True,
                            help_text="英文字母、数字、连字符，如 hotline12345；接口账号名为 api-系统代码。")
    division = models.ForeignKey(
        "org.Division", verbose_name="辖区", on_delete=models.PROTECT, related_name="+",
        help_text="只能在该区划及其下辖村/社区登记和查询案件。",
    )
    callback_url = models.URLField("结果回调地址", blank=True,
                                   help_text="案件化解、结案时向该地址推送签名的结果；留空则不回调。")
    callback_secret = EncryptedTextField("回调签名密钥", editable=False, help_text="仅在创建时显示一次。")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="接口账号", on_delete=models.PROTECT,
                                editable=False, related_name="external_system")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "外部系统"
        verbose_name_plural = "外部系统"
        ordering = ["name"]

    def __str__(self):
        return self.name


class ApiToken(models.Model):
    """A bearer token of one system. Only its keyed hash is stored (api.tokens); the token is shown once."""

    system = models.ForeignKey(ExternalSystem, verbose_name="外部系统", on_delete=models.PROTECT,
                               related_name="tokens")
    label = models.CharField("用途说明", max_length=64, blank=True, help_text="如“生产环境”“联调测试”。")
    key_prefix = models.CharField("令牌前缀", max_length=16, editable=False, help_text="令牌的前几位，便于辨认。")
    key_hash = models.CharField("令牌摘要", max_length=64, unique=True, editable=False)
    can_create = models.BooleanField("可登记案件", default=True)
    can_read = models.BooleanField("可查询案件", default=True)
    rate_per_minute = models.PositiveSmallIntegerField("每分钟调用上限", default=60,
                                                       help_text="超过后返回429，请对方稍后重试。")
    created_at = models.DateTimeField("签发时间", auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签发人", null=True, blank=True,
                                   on_delete=models.SET_NULL, editable=False, related_name="+")
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="吊销人", null=True, blank=True,
                                   on_delete=models.SET_NULL, editable=False, related_name="+")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["system", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(rate_per_minute__gte=1), name="api_token_rate_positive"),
        ]

    def __str__(self):
        return f"{self.system} · {self.key_prefix}…"

    @property
    def name(self) -> str:
        """How the audit log names the token: system, label and prefix (never the token)."""
        label = f"（{self.label}）" if self.label else ""
        return f"{self.system.name}{label} {self.key_prefix}…"


class WorkOrder(models.Model):
    """A work order of an external system and the case it became: a second POST of the same id finds it."""

    system = models.ForeignKey(ExternalSystem, verbose_name="外部系统", on_delete=models.PROTECT,
                               related_name="work_orders")
    work_order_id = models.CharField("工单编号", max_length=64)
    dispute = models.OneToOneField("cases.Dispute", verbose_name="案件", on_delete=models.PROTECT,
                                   related_name="work_order")
    created_at = models.DateTimeField("接收时间", auto_now_add=True)

    class Meta:
        verbose_name = "外部工单"
        verbose_name_plural = "外部工单"
        ordering = ["-created_at", "-id"]
        constraints = [
            # Idempotency: one case per work order of a system, even when two POSTs race (api.services).
            models.UniqueConstraint(fields=["system", "work_order_id"], name="api_work_order_once_per_system"),
        ]

    def __str__(self):
        return f"{self.system} {self.work_order_id}"


class CallbackEvent(models.TextChoices):
    RESOLVED = "resolved", "化解"
    CLOSED = "closed", "结案"


class CallbackStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "已放弃"


class Callback(models.Model):
    """One result we owe a system (a case of its work order was resolved or closed). `body` is fixed when the event
    happens; every try is a `CallbackAttempt`. Sent by the task api.tasks.deliver_callback (api.callbacks)."""

    work_order = models.ForeignKey(WorkOrder, verbose_name="外部工单", on_delete=models.PROTECT,
                                   related_name="callbacks")
    event = models.CharField("事件", max_length=10, choices=CallbackEvent.choices)
    delivery_id = models.UUIDField("投递编号", default=uuid.uuid4, unique=True, editable=False,
                                   help_text="每次重试相同，对方据此去重。")
    url = models.URLField("回调地址")
    body = models.TextField("推送内容", help_text="JSON，不含当事人信息。")
    status = models.CharField("状态", max_length=10, choices=CallbackStatus.choices, default=CallbackStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试时间", null=True, blank=True)
    locked_until = models.DateTimeField("发送锁定至", null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)
    created_at = models.DateTimeField("产生时间", auto_now_add=True)

    class Meta:
        verbose_name = "结果回调"
        verbose_name_plural = "结果回调"
        ordering = ["-created_at", "-id"]
        indexes = [
            # `manage.py send_callbacks` looks only at pending callbacks that are due.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"),
                         name="api_callback_pending_due"),
        ]

    def __str__(self):
        return f"{self.work_order} {self.get_event_display()}"


class CallbackAttempt(models.Model):
    """One try of a callback, with the receiver's answer (or the error) — the delivery log."""

    callback = models.ForeignKey(Callback, verbose_name="结果回调", on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField("第几次")
    at = models.DateTimeField("时间")
    status_code = models.PositiveSmallIntegerField("响应状态码", null=True, blank=True)
    ok = models.BooleanField("成功")
    error = models.CharField("错误", max_length=200, blank=True)
    response = models.CharField("响应内容（节选）", max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)

    class Meta:
        verbose_name = "回调尝试"
        verbose_name_plural = "回调尝试"
        ordering = ["callback", "number"]
        constraints = [
            models.UniqueConstraint(fields=["callback", "number"], name="api_callback_attempt_number_once"),
        ]

    def __str__(self):
        return f"{self.callback} #{self.number}"
