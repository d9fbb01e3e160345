"""典型案例: a resolved case a town or the county marks for the casebook (典型案例汇编), with an anonymised title and
text and its tags. Written only by `cases.services.casebook` (mark_typical / withdraw_typical)."""

from django.conf import settings
from django.db import models

from .dispute import Dispute


class GovernanceTag(models.TextChoices):
    """三治融合: which of 自治/法治/德治 the case shows (stored as three booleans, see TypicalCase)."""

    SELF = "self", "自治"
    LAW = "law", "法治"
    VIRTUE = "virtue", "德治"


# GovernanceTag → the boolean field that stores it.
GOVERNANCE_FIELDS = {GovernanceTag.SELF: "self_governance", GovernanceTag.LAW: "rule_of_law",
                     GovernanceTag.VIRTUE: "rule_of_virtue"}


class MethodTag(models.TextChoices):
    LEGAL_EXPLANATION = "legal", "法律释明"
    FAMILY = "family", "亲情感化"
    JOINT = "joint", "多方联调"
    JUDICIAL_CONFIRMATION = "judicial", "司法确认"
    ON_SITE = "on_site", "现场调解"
    BACK_TO_BACK = "back_to_back", "背靠背调解"
    ELDERS = "elders", "五老调解"
    COOLING = "cooling", "冷处理"


class TypicalCase(models.Model):
    dispute = models.OneToOneField(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="typical")
    title = models.CharField("案例标题", max_length=100, help_text="已隐去当事人姓名的标题。")
    summary = models.TextField("案情简介", max_length=3000)
    experience = models.TextField("化解过程与经验", max_length=3000, blank=True)
    self_governance = models.BooleanField("自治", default=False)
    rule_of_law = models.BooleanField("法治", default=False)
    rule_of_virtue = models.BooleanField("德治", default=False)
    # Method codes between commas (",legal,on_site,"): `methods__contains=",legal,"` filters on every database.
    methods = models.CharField("调解方法", max_length=200, blank=True)
    marked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="列入人", on_delete=models.PROTECT,
                                  related_name="+")
    marked_at = models.DateTimeField("列入时间")
    withdrawn = models.BooleanField("已撤销", default=False)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True)
    withdraw_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "典型案例"
        verbose_name_plural = "典型案例"
        ordering = ["-marked_at", "-id"]
        indexes = [
            # The casebook page and its export: the cases in force, newest first.
            models.Index(fields=["-marked_at", "-id"], name="typical_current_marked",
                         condition=models.Q(withdrawn=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(self_governance=True) | models.Q(rule_of_law=True) | models.Q(rule_of_virtue=True),
                name="typical_has_governance_tag",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn=False) | models.Q(withdrawn_at__isnull=False),
                name="typical_withdrawn_has_time",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def governance_labels(self) -> list[str]:
        return [str(tag.label) for tag, field in GOVERNANCE_FIELDS.items() if getattr(self, field)]

    @property
    def method_codes(self) -> list[str]:
        return [c for c in self.methods.split(",") if c]

    @property
    def method_labels(self) -> list[str]:
        return [str(MethodTag(c).label) for c in self.method_codes if c in MethodTag.values]


def methods_value(codes) -> str:
    """The stored form of a list of method codes (table order, no duplicates)."""
    chosen = [c for c in MethodTag.values if c in set(codes or ())]
    return f",{','.join(chosen)}," if chosen else ""
