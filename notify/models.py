"""One notification per recipient and queue item (待办)."""

from django.conf import settings
from django.db import models


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
