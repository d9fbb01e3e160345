"""One notification per recipient and queue item (待办)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.fields import EncryptedTextField


class NotificationKind(models.TextChoices):
    REFERRAL = "referral", "待签收的提请"
    RETURNED = "returned", "被退回的案件"
    TRANSFER = "transfer", "新移交待签收"
    TRANSFER_RETURNED = "transfer_returned", "单位退回的移交"
    FEEDBACK = "feedback", "办理反馈待审核"
    WARNING = "warning", "预警待签收、回复"
    EXTENSION = "extension", "延期申请待审批"
    SUPERVISION = "supervision", "纪委督办"
    ASSIGNMENT_DUE = "assignment_due", "包案即将到期"
    ASSIGNMENT_OVERDUE = "assignment_overdue", "包案已逾期"


class Notification(models.Model):
    """What landed in `recipient`'s queue about a case. `key` names the piece of work ("referral:12"); while it is
    open (done_at empty) a recipient has at most one notification per key."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="接收人", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField("类别", max_length=20, choices=NotificationKind.choices)
    dispute = models.ForeignKey(
        "cases.Dispute", verbose_name="案件", on_delete=models.PROTECT, related_name="notifications"
    )
    key = models.CharField("事项标识", max_length=64)
    text = models.CharField("内容", max_length=200)
    url = models.CharField("链接", max_length=200)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    done_at = models.DateTimeField("办结时间", null=True, blank=True, help_text="事项办完后自动填写，不再出现在待办中。")

    class Meta:
        verbose_name = "待办通知"
        verbose_name_plural = "待办通知"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=models.Q(done_at__isnull=True),
                                    name="notification_one_open_per_key"),
        ]
        indexes = [
            # The 待办 page (newest first) and the menu badge (unread count) of one user.
            models.Index(fields=["recipient", "-created_at"], condition=models.Q(done_at__isnull=True),
                         name="notification_open_inbox"),
            # sync_case reconciles one case's open items.
            models.Index(fields=["dispute"], condition=models.Q(done_at__isnull=True), name="notification_open_case"),
        ]

    def __str__(self):
        return f"{self.recipient_id} {self.get_kind_display()} {self.key}"


# --- delivery (notify/delivery/, docs/jobs.md) ---------------------------------------------------------------------


class Channel(models.TextChoices):
    SMS = "sms", "短信"
    WECOM = "wecom", "企业微信群"
    EMAIL = "email", "电子邮件"


def _default_quiet_start():
    return datetime.time(22, 0)


def _default_quiet_end():
    return datetime.time(7, 0)


class Preference(models.Model):
    """How one user wants their 待办 sent besides the in-app queue. A user without a row gets
    settings.NOTIFY_DEFAULT_CHANNELS and the default quiet hours (notify.delivery.rules.channels_for)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE, related_name="notify_preference"
    )
    sms = models.BooleanField("短信提醒", default=True, help_text="发送到人员库中登记的手机号码。")
    email = models.BooleanField("电子邮件提醒", default=False, help_text="发送到账号登记的电子邮箱。")
    quiet_start = models.TimeField(
        "免打扰开始", default=_default_quiet_start,
        help_text="免打扰时段内不发短信（红色预警除外），到时段结束再发。开始与结束相同表示不设免打扰。",
    )
    quiet_end = models.TimeField("免打扰结束", default=_default_quiet_end)

    class Meta:
        verbose_name = "通知偏好"
        verbose_name_plural = "通知偏好"

    def __str__(self):
        return f"{self.user} 的通知偏好"


class Robot(models.Model):
    """A 企业微信 group robot of one division: its group hears of every 待办 that lands on the division's people,
    with the case number and title only (no party data)."""

    class Format(models.TextChoices):
        TEXT = "text", "文本"
        MARKDOWN = "markdown", "Markdown"

    division = models.OneToOneField(
        "org.Division", verbose_name="所属区划", on_delete=models.PROTECT, related_name="wecom_robot"
    )
    name = models.CharField("群名称", max_length=50)
    webhook_key = EncryptedTextField(
        "机器人 Webhook 密钥", max_length=100,
        help_text="企业微信群机器人 Webhook 地址中 key= 后面的部分；加密保存，页面只显示末四位。",
    )
    msgtype = models.CharField("消息格式", max_length=10, choices=Format.choices, default=Format.MARKDOWN)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "企业微信群机器人"
        verbose_name_plural = "企业微信群机器人"
        ordering = ["division_id"]

    def __str__(self):
        return f"{self.name}（{self.division_id}）"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"
    CANCELLED = "cancelled", "已取消"


class Delivery(models.Model):
    """One notification on one channel: created in the transaction that created the notification, sent by the job
    queue, retried with back-off. `key` names the sending ("sms:<notification>", "wecom:<robot>:<notification>"):
    unique, so one sending exists once, and a retry finds it already sent."""

    notification = models.ForeignKey(
        Notification, verbose_name="待办通知", on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    key = models.CharField("发送标识", max_length=64, unique=True)
    robot = models.ForeignKey(
        Robot, verbose_name="群机器人", null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries",
        help_text="有发送记录的群机器人不能删除（发送记录要保留）；不再使用时取消“启用”。",
    )
    destination = models.CharField("发送对象", max_length=100, blank=True, help_text="手机号码、电子邮箱已脱敏；群机器人显示群名称。")
    urgent = models.BooleanField("紧急", default=False, help_text="红色预警：免打扰时段照常发送短信。")
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次发送时间", default=timezone.now)
    sent_at = models.DateTimeField("发送成功时间", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "通知发送记录"
        verbose_name_plural = "通知发送记录"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(channel="wecom") | models.Q(robot__isnull=False),
                                   name="delivery_wecom_has_robot"),
        ]
        indexes = [
            # The catch-up (manage.py deliver_due): pending sendings whose time has come.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="pending"),
                         name="delivery_pending_due"),
        ]

    def __str__(self):
        return self.key


class DeliveryAttempt(models.Model):
    """One try to hand a delivery to its channel, with the provider's answer as it came back."""

    delivery = models.ForeignKey(Delivery, verbose_name="发送记录", on_delete=models.CASCADE, related_name="tries")
    number = models.PositiveSmallIntegerField("第几次")
    at = models.DateTimeField("时间", default=timezone.now)
    ok = models.BooleanField("成功")
    answer = models.TextField("服务商应答", blank=True)
    duration_ms = models.PositiveIntegerField("耗时（毫秒）", default=0)

    class Meta:
        verbose_name = "发送尝试"
        verbose_name_plural = "发送尝试"
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="delivery_attempt_number_once"),
        ]

    def __str__(self):
        return f"{self.delivery.key} #{self.number}"
