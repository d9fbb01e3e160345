"""Personal information: reveal log and case attachments (docs/pii.md). Both are append-only evidence."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual

from .choices import AttachmentKind, AttachmentType
from .dispute import Dispute, Party


class PiiReveal(models.Model):
    """One "查看完整信息" of a party: who, why, when. Evidence for 个人信息保护法 and the per-user hourly limit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查看人", on_delete=models.PROTECT, related_name="+"
    )
    party = models.ForeignKey(Party, verbose_name="当事人", on_delete=models.PROTECT, related_name="reveals")
    reason = models.CharField("查看理由", max_length=200)
    at = models.DateTimeField("查看时间", auto_now_add=True)

    class Meta:
        verbose_name = "完整信息查看记录"
        verbose_name_plural = "完整信息查看记录"
        ordering = ["-at", "-id"]
        indexes = [
            # The rate limit counts one user's reveals in the last hour (cases/pii.py reveal_party_pii).
            models.Index(fields=["user", "at"], name="piireveal_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("reason"), 4), name="piireveal_reason_at_least_4_chars"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} 查看 {self.party_id}"


class PiiLookupKind(models.TextChoices):
    ID_NUMBER = "id", "身份证号"
    PHONE = "phone", "电话"


class PiiLookup(models.Model):
    """One "按身份证号/电话查找": who, by what kind of number, why, how many cases it found, when. The typed number
    itself is never stored (only its kind). Shares the hourly budget with `PiiReveal` (services.pii)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="查找人", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField("查找方式", max_length=8, choices=PiiLookupKind.choices)
    reason = models.CharField("查找理由", max_length=200)
    hits = models.PositiveIntegerField("命中案件数")
    at = models.DateTimeField("查找时间", auto_now_add=True)

    class Meta:
        verbose_name = "按身份证号/电话查找记录"
        verbose_name_plural = "按身份证号/电话查找记录"
        ordering = ["-at", "-id"]
        indexes = [
            # The shared hourly budget counts one user's look-ups in the last hour (services.pii).
            models.Index(fields=["user", "at"], name="piilookup_user_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThanOrEqual(Length("reason"), 4), name="piilookup_reason_at_least_4_chars"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} 按{self.get_kind_display()}查找"



class Attachment(models.Model):
    """A photo or scanned document of a case. Stored outside any public URL under a random name
    (cases/attachments.py); served only through a jurisdiction-checked view; never deleted."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField("类别", max_length=12, choices=AttachmentKind.choices)
    original_name = models.CharField("文件名", max_length=100, help_text="上传时的文件名（已去除路径），仅用于显示。")
    stored_name = models.CharField("存储名", max_length=32, unique=True, editable=False)
    content_type = models.CharField("文件类型", max_length=32, choices=AttachmentType.choices)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField("SHA-256", max_length=64, help_text="所存文件（图片为去除EXIF后重新编码的文件）的摘要。")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "案件附件"
        verbose_name_plural = "案件附件"
        ordering = ["uploaded_at", "id"]
        constraints = [
            # Random uuid4 hex only: no user-supplied text ever reaches a file path.
            models.CheckConstraint(condition=models.Q(stored_name__regex=r"^[0-9a-f]{32}$"),
                                   name="attachment_stored_name_random_hex"),
            models.CheckConstraint(
                condition=models.Q(content_type__in=["image/jpeg", "image/png", "application/pdf"]),
                name="attachment_content_type_allowed",
            ),
            models.CheckConstraint(condition=models.Q(size__gte=1), name="attachment_not_empty"),
        ]

    def __str__(self):
        return self.original_name

    @property
    def is_image(self):
        return self.content_type in (AttachmentType.JPEG, AttachmentType.PNG)
