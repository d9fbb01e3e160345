"""Rules as data (DESIGN.md §6), editable in the admin."""

from django.db import models

from .choices import (
    CalendarDayKind,
    Category,
    DayMode,
    DeadlinePurpose,
    EscalationAction,
    Risk,
    Source,
    Tier,
    WarningTrigger,
)


class DeadlineRule(models.Model):
    """How long a tier has for a purpose; the most specific matching active rule wins (category/risk/source)."""

    name = models.CharField("名称", max_length=64)
    purpose = models.CharField("用途", max_length=12, choices=DeadlinePurpose.choices)
    tier = models.CharField("层级", max_length=8, choices=Tier.choices, blank=True, help_text="留空表示任何层级。")
    category = models.CharField("纠纷类别", max_length=20, choices=Category.choices, blank=True)
    risk = models.CharField("风险等级", max_length=10, choices=Risk.choices, blank=True)
    source = models.CharField("来源", max_length=20, choices=Source.choices, blank=True)
    days = models.PositiveSmallIntegerField("天数")
    mode = models.CharField("计算方式", max_length=10, choices=DayMode.choices, default=DayMode.CALENDAR)
    warn_before_days = models.PositiveSmallIntegerField("提前提醒天数", default=2)
    extension_days = models.PositiveSmallIntegerField("可延长天数", default=0, help_text="0 表示不可延长；延长只允许一次。")
    basis = models.CharField("依据", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        ordering = ["purpose", "tier", "name"]
        constraints = [models.CheckConstraint(condition=models.Q(days__gte=1), name="deadline_rule_days_positive")]

    def __str__(self):
        return self.name



class CalendarDay(models.Model):
    """Admin-maintained State Council schedule for years the chinesecalendar package does not cover (2027 on).

    Also overrides the package for a covered year, should the schedule change."""

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类别", max_length=8, choices=CalendarDayKind.choices)
    name = models.CharField("名称", max_length=32, help_text="如“春节”“国庆节调休”。")

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"



class EscalationRule(models.Model):
    """Conditions on a case → what must happen and by when. All set conditions must hold (AND)."""

    name = models.CharField("名称", max_length=64)
    active = models.BooleanField("启用", default=True)
    tier = models.CharField("所在层级", max_length=8, choices=Tier.choices, blank=True)
    category = models.CharField("纠纷类别", max_length=20, choices=Category.choices, blank=True)
    risk_levels = models.JSONField("风险等级（任一）", default=list, blank=True, help_text="如 [\"red\"]；留空不限。")
    min_people = models.PositiveIntegerField("涉及人数不少于", null=True, blank=True)
    cross_village = models.BooleanField("当事人跨村", default=False)
    cross_town = models.BooleanField("当事人跨镇街", default=False)
    min_days_open = models.PositiveIntegerField("未化解天数不少于", null=True, blank=True)
    overdue = models.BooleanField("已逾期", default=False)
    petition_source = models.BooleanField("信访来源", default=False)
    action = models.CharField("要求", max_length=16, choices=EscalationAction.choices)
    target_tier = models.CharField("须到达层级", max_length=8, choices=Tier.choices, blank=True)
    warning_trigger = models.CharField("建议预警情形", max_length=20, choices=WarningTrigger.choices, blank=True)
    within_workdays = models.PositiveSmallIntegerField("须在几个工作日内", default=1)
    basis = models.CharField("依据/说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "提级与预警规则"
        verbose_name_plural = "提级与预警规则"
        ordering = ["id"]

    def __str__(self):
        return self.name
