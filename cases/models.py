"""Disputes (矛盾纠纷), their parties and their append-only timeline."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from org.models import Division, Unit


class Category(models.TextChoices):
    """National reporting list (fixed). Local sub-categories map onto these."""

    MARRIAGE_FAMILY = "marriage_family", "婚姻家庭"
    NEIGHBOUR = "neighbour", "邻里"
    HOUSING = "housing", "房屋宅基地"
    CONTRACT = "contract", "合同"
    BUSINESS = "business", "生产经营"
    DAMAGES = "damages", "损害赔偿"
    LAND = "land", "山林土地"
    EXPROPRIATION = "expropriation", "征地拆迁"
    ENVIRONMENT = "environment", "环境污染"
    LABOUR = "labour", "劳动争议"
    CONSUMER = "consumer", "消费"
    MEDICAL = "medical", "医疗"
    TRAFFIC = "traffic", "道路交通事故"
    PROPERTY_MGMT = "property_mgmt", "物业"
    OTHER = "other", "其他"


class Source(models.TextChoices):
    APPLICATION = "application", "当事人申请"
    SCREENING = "screening", "排查发现（网格员/信息员）"
    VISIT = "visit", "群众来访"
    HOTLINE = "hotline", "12345热线/网格事项流转"
    PETITION = "petition", "信访转办"
    POLICE_COURT = "police_court", "公安/法院移送"
    OTHER = "other", "其他"


class Risk(models.TextChoices):
    RED = "red", "红·重大"
    ORANGE = "orange", "橙·较大"
    YELLOW = "yellow", "黄·一般"
    BLUE = "blue", "蓝·轻微"


# Sort key for risk (most serious first) used by the list's "按风险" ordering.
RISK_RANK = {Risk.RED: 0, Risk.ORANGE: 1, Risk.YELLOW: 2, Risk.BLUE: 3}


class Tier(models.TextChoices):
    VILLAGE = "village", "村"
    TOWN = "town", "镇街"
    COUNTY = "county", "县"


class Status(models.TextChoices):
    LOGGED = "logged", "已登记"
    IN_PROGRESS = "in_progress", "调处中"
    REFERRED = "referred", "已提请"
    RESOLVED = "resolved", "已化解"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"


OPEN_STATUSES = (Status.LOGGED, Status.IN_PROGRESS, Status.REFERRED)


class SubCategory(models.Model):
    """Editable local sub-category (婚恋家庭, 经济借贷, 土地宅基 …) mapped onto a national category."""

    name = models.CharField("名称", max_length=32, unique=True)
    category = models.CharField("对应国家分类", max_length=20, choices=Category.choices)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "本地细分类别"
        verbose_name_plural = "本地细分类别"
        ordering = ["category", "name"]

    def __str__(self):
        return f"{self.name}（{self.get_category_display()}）"


class CaseNumberSequence(models.Model):
    """One row per year; `cases.numbering.next_case_number` increments it under a row lock."""

    year = models.PositiveSmallIntegerField("年份", primary_key=True)
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "案件编号序列"
        verbose_name_plural = "案件编号序列"


class Dispute(models.Model):
    number = models.CharField("案件编号", max_length=20, unique=True, editable=False)
    title = models.CharField("纠纷标题", max_length=100)
    category = models.CharField("纠纷类别", max_length=20, choices=Category.choices)
    subcategory = models.ForeignKey(
        SubCategory, verbose_name="本地细分类别", null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    risk = models.CharField("风险等级", max_length=10, choices=Risk.choices, default=Risk.BLUE)
    people_involved = models.PositiveIntegerField("涉及人数", default=2)
    arose_on = models.DateField("发生日期")
    village = models.ForeignKey(
        Division, verbose_name="所在村/社区", on_delete=models.PROTECT, related_name="disputes",
        limit_choices_to={"level": "village"},
    )
    place = models.CharField("具体地点", max_length=100, blank=True)
    description = models.TextField("纠纷简要情况", max_length=4000)
    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.LOGGED)
    tier = models.CharField("当前层级", max_length=8, choices=Tier.choices, default=Tier.VILLAGE)
    holder_division = models.ForeignKey(
        Division, verbose_name="当前承办区划", on_delete=models.PROTECT, related_name="held_disputes",
        help_text="当前负责的村、镇街或县。",
    )
    holder_unit = models.ForeignKey(
        Unit, verbose_name="当前承办单位", null=True, blank=True, on_delete=models.PROTECT, related_name="held_disputes"
    )
    deadline = models.DateTimeField("办结时限", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    class Meta:
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The case list's default order (newest first), per village subtree.
            models.Index(fields=["village", "-created_at", "-id"], name="dispute_village_created"),
            # The county's list (tier = county) and the agenda's "open at this tier" lookups.
            models.Index(fields=["tier", "status"], name="dispute_tier_status"),
            # Deadline sweeps and "due soon / overdue" agenda items only look at open cases.
            models.Index(
                fields=["deadline"], name="dispute_open_deadline",
                condition=models.Q(status__in=["logged", "in_progress", "referred"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(people_involved__gte=1), name="dispute_people_at_least_one"),
            models.CheckConstraint(
                condition=models.Q(tier__in=["village", "town", "county"]), name="dispute_tier_valid"
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("cases:detail", args=[self.number])


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"
    THIRD = "third", "第三人"
    AGENT = "agent", "代理人"


class Party(models.Model):
    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="parties")
    role = models.CharField("身份", max_length=12, choices=PartyRole.choices, default=PartyRole.APPLICANT)
    name = models.CharField("姓名", max_length=32)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    id_number = models.CharField("身份证号", max_length=18, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    address = models.CharField("住址", max_length=100, blank=True)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["dispute_id", "id"]
        indexes = [models.Index(fields=["name"], name="party_name")]

    def __str__(self):
        return self.name


class EventKind(models.TextChoices):
    LOGGED = "logged", "登记"
    EDITED = "edited", "修改"
    RISK_CHANGED = "risk_changed", "调整风险等级"
    PARTY_ADDED = "party_added", "增加当事人"
    PARTY_CHANGED = "party_changed", "修改当事人"
    STATUS_CHANGED = "status_changed", "状态变更"


class CaseEvent(models.Model):
    """Append-only: written by services, never updated or deleted."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    field = models.CharField("字段", max_length=32, blank=True)
    old_value = models.CharField("原值", max_length=200, blank=True)
    new_value = models.CharField("新值", max_length=200, blank=True)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "案件动态"
        verbose_name_plural = "案件动态"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.dispute_id} {self.get_kind_display()}"
