"""The citizen's side (issue 13 #4, docs/citizen.md): the 查询码 printed on a case's receipt (回执) and the citizen's
rating of the handling after 结案.

The code is a bearer secret: whoever holds it sees the case's status on the public page `/q/<查询码>/` and may rate
the case once. So it is stored twice: encrypted (AES-GCM, bound to its row, like a party's ID number), so that the
case holder can reprint the receipt, and as a keyed hash (HMAC-SHA256, `core.crypto`), which is what a public look-up
compares with. The database alone never gives a usable code.
"""

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField

from .choices import Satisfaction
from .dispute import Dispute


class CitizenCode(models.Model):
    """A case's current 查询码. One per case (the case is the primary key); replacing it voids the old code."""

    dispute = models.OneToOneField(
        Dispute, verbose_name="纠纷", primary_key=True, on_delete=models.PROTECT, related_name="citizen_code"
    )
    # Plaintext only to reprint the receipt; looked up by `code_hash` only (EncryptedTextField allows no lookups).
    code = EncryptedTextField("查询码", max_length=16)
    code_hash = models.CharField(
        "查询码检索码", max_length=64, unique=True, editable=False,
        help_text="查询码的带密钥哈希（HMAC-SHA256），公开查询页只按它查找。",
    )
    issued_at = models.DateTimeField("生成时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="生成人", on_delete=models.PROTECT, related_name="+"
    )
    replaced = models.PositiveSmallIntegerField("重新生成次数", default=0)

    class Meta:
        verbose_name = "查询码"
        verbose_name_plural = "查询码"

    def __str__(self):
        return f"{self.dispute_id} 的查询码"  # never the code itself


class CitizenRating(models.Model):
    """The citizen's rating of the handling (群众评价), given once per case after 结案 from the public page. Feeds
    the figure 群众评价满意率 (stats.figures.citizen_satisfaction)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="citizen_ratings")
    satisfaction = models.CharField("评价", max_length=12, choices=Satisfaction.choices)
    # Names, ID numbers, phones and house numbers typed in are replaced before it is stored (services.citizen).
    comment = models.TextField("意见建议", max_length=300, blank=True)
    rated_at = models.DateTimeField("评价时间", auto_now_add=True)

    class Meta:
        verbose_name = "群众评价"
        verbose_name_plural = "群众评价"
        ordering = ["-rated_at", "-id"]
        constraints = [
            # Once per case: the second attempt is refused politely by the service, and by the database if two
            # arrive at once.
            models.UniqueConstraint(fields=["dispute"], name="citizen_rating_once_per_case"),
            models.CheckConstraint(condition=models.Q(satisfaction__in=Satisfaction.values),
                                   name="citizen_rating_satisfaction_valid"),
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.get_satisfaction_display()}"

    @property
    def satisfied(self) -> bool:
        """满意 or 基本满意: what 群众评价满意率 counts."""
        return self.satisfaction in SATISFIED_VALUES


# 群众评价满意率's numerator (docs/statistics.md): 满意 and 基本满意.
SATISFIED_VALUES = (Satisfaction.SATISFIED, Satisfaction.BASIC)
