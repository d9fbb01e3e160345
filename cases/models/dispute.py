"""Disputes (矛盾纠纷), their parties and their append-only timeline."""

import json

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.fields import BlindIndexField, EncryptedTextField
from org.models import Division, Unit

from .choices import (
    BASIC_FIELDS,
    OPEN_STATUSES,
    Category,
    EventKind,
    Outcome,
    PartyRole,
    Risk,
    Sex,
    Source,
    Status,
    Tier,
    event_field_label,
    event_value_label,
)


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
    """One row per year; `cases.services.numbering.next_case_number` increments it under a row lock."""

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
    outcome = models.CharField("化解结果", max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("结果说明", blank=True, help_text="调解不成时写明告知当事人的途径（诉讼、仲裁、行政处理等）。")
    resolved_at = models.DateTimeField("化解时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("反复次数", default=0)
    # Kept through a relapse (reopen clears resolved_at, never these): 按时办结率 counts the first resolution against
    # the deadline then in force (DESIGN.md §8, stats.figures.on_time_rate), and a relapse is never a second success.
    first_resolved_at = models.DateTimeField("首次化解时间", null=True, blank=True, editable=False)
    first_resolved_on_time = models.BooleanField("首次化解是否按时", null=True, editable=False)
    # The town of `village` (a village never moves, so this never changes): the town ledger reads its newest cases
    # from the index (town, -created_at, -id) instead of sorting the whole town (docs/performance.md). Set by save().
    town = models.ForeignKey(
        Division, verbose_name="所在镇街", null=True, editable=False, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )
    # Case number, title and party names, lower-cased: what the ledger's keyword searches. Kept by database triggers
    # (cases/migrations/0022_ledger_scale.py) on every write of the number, the title or a party's name, whoever
    # writes (services, imports, anonymisation, the admin); PostgreSQL indexes it with pg_trgm (GIN).
    search_text = models.TextField("检索文本", blank=True, default="", editable=False)

    class Meta:
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The case list's default order (newest first), per village subtree.
            models.Index(fields=["village", "-created_at", "-id"], name="dispute_village_created"),
            # A town's ledger in its default order: its first page reads 26 index entries, page 200 reads 5,000.
            models.Index(fields=["town", "-created_at", "-id"], name="dispute_town_created"),
            # Open cases newest first, for a town and for the county: 未办结, 已逾期 and 三日内到期 read a few entries of
            # these (a tenth of the cases) instead of walking every case of the jurisdiction in time order.
            models.Index(fields=["town", "-created_at", "-id"], name="dispute_town_open",
                         condition=models.Q(status__in=["logged", "in_progress", "referred"])),
            models.Index(fields=["-created_at", "-id"], name="dispute_open_created",
                         condition=models.Q(status__in=["logged", "in_progress", "referred"])),
            # A meeting's agenda: the open cases held at its tier by its division (meetings.agenda.candidates).
            models.Index(fields=["holder_division", "tier"], name="dispute_holder_open",
                         condition=models.Q(status__in=["logged", "in_progress", "referred"])),
            # The county's list (tier = county) and the agenda's "open at this tier" lookups.
            models.Index(fields=["tier", "status"], name="dispute_tier_status"),
            # The county's list in its default order (newest first) without sorting the whole tier.
            models.Index(fields=["tier", "-created_at", "-id"], name="dispute_tier_created"),
            # Statistics: a period's cohort is a range of registration times (stats.figures.cohort).
            models.Index(fields=["created_at"], name="dispute_created"),
            # The flow figure 本期化解 (stats.figures.resolved_in_period): first resolutions in a period.
            models.Index(fields=["first_resolved_at"], name="dispute_first_resolved",
                         condition=models.Q(first_resolved_at__isnull=False)),
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

    def save(self, *args, **kwargs):
        if self.town_id is None and self.village_id:
            self.town_id = self.village.parent_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        """已登记, 调处中 or 已提请: its deadline clock is running."""
        return self.status in OPEN_STATUSES



class Party(models.Model):
    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="parties")
    role = models.CharField("身份", max_length=12, choices=PartyRole.choices, default=PartyRole.APPLICANT)
    name = models.CharField("姓名", max_length=32)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    # Encrypted at rest (cases/fields.py, docs/pii.md); shown masked, in full only through the logged reveal page.
    id_number = EncryptedTextField("身份证号", max_length=18, blank=True)
    phone = EncryptedTextField("联系电话", max_length=20, blank=True)
    address = EncryptedTextField("住址", max_length=100, blank=True)
    id_hash = BlindIndexField(
        "身份证号检索码", source="id_number", help_text="身份证号的带密钥哈希，仅用于按身份证号精确查找。"
    )
    # The same keyed hash of the phone as stored (forms store core.validators.normalize_phone's result; the hash's
    # own normalisation — drop whitespace — is the same): exact 按电话查找 only (services.pii.lookup_pii).
    phone_hash = BlindIndexField(
        "电话检索码", source="phone", help_text="联系电话的带密钥哈希，仅用于按电话精确查找。"
    )
    village = models.ForeignKey(
        Division, verbose_name="居住村/社区", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"level": "village"}, help_text="与纠纷发生地不同村时填写，用于判断是否跨村、跨镇街。",
    )

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        ordering = ["dispute_id", "id"]
        indexes = [
            models.Index(fields=["name"], name="party_name"),
            # The case list's exact search by ID number (cases/filters.py filter_keyword); parties without one
            # are left out of the index.
            models.Index(fields=["id_hash"], name="party_id_hash", condition=~models.Q(id_hash="")),
            # 按电话查找 (services.pii.lookup_pii); parties without a phone are left out too.
            models.Index(fields=["phone_hash"], name="party_phone_hash", condition=~models.Q(phone_hash="")),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, update_fields=None, **kwargs):
        # id_hash follows id_number and phone_hash follows phone (BlindIndexField.pre_save), also on a partial save.
        if update_fields is not None and "id_number" in update_fields:
            update_fields = {*update_fields, "id_hash"}
        if update_fields is not None and "phone" in update_fields:
            update_fields = {*update_fields, "phone_hash"}
        super().save(*args, update_fields=update_fields, **kwargs)



class CaseEvent(models.Model):
    """Append-only: written by services, never updated or deleted."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("事项", max_length=24, choices=EventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)
    # Facts, not labels: `field` is a code of EVENT_FIELDS, old/new are codes ("in_progress") or ISO datetimes;
    # the template shows labels (`field_label`, `old_display`, `new_display`), statistics read the codes.
    field = models.CharField("字段", max_length=32, blank=True)
    old_value = models.TextField("原值", blank=True)
    new_value = models.TextField("新值", blank=True)
    note = models.TextField("说明", blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name="所在例会", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        verbose_name = "案件动态"
        verbose_name_plural = "案件动态"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.dispute_id} {self.get_kind_display()}"

    @property
    def field_label(self) -> str:
        return event_field_label(self.field)

    @property
    def old_display(self) -> str:
        return event_value_label(self.field, self.old_value)

    @property
    def new_display(self) -> str:
        return event_value_label(self.field, self.new_value)

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """An edit of the basic record (field "basic"): [(label, old, new)] from the JSON objects it stores."""
        if self.field != BASIC_FIELDS:
            return []
        try:
            old, new = json.loads(self.old_value or "{}"), json.loads(self.new_value or "{}")
        except ValueError:
            return []
        return [(event_field_label(k), event_value_label(k, old.get(k, "")), event_value_label(k, v))
                for k, v in new.items()]
