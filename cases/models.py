"""Disputes (矛盾纠纷), their parties and their append-only timeline."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import GreaterThanOrEqual
from django.urls import reverse

from org.models import Division, Unit

from .fields import BlindIndexField, EncryptedTextField


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


class Outcome(models.TextChoices):
    SUCCESS = "success", "调解成功"
    PARTIAL = "partial", "部分达成"
    FAILED = "failed", "调解不成（已告知其他途径）"
    WITHDRAWN = "withdrawn", "当事人撤回"


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
    outcome = models.CharField("化解结果", max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField("结果说明", blank=True, help_text="调解不成时写明告知当事人的途径（诉讼、仲裁、行政处理等）。")
    resolved_at = models.DateTimeField("化解时间", null=True, blank=True)
    closed_at = models.DateTimeField("结案时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("反复次数", default=0)

    class Meta:
        verbose_name = "矛盾纠纷"
        verbose_name_plural = "矛盾纠纷"
        ordering = ["-created_at", "-id"]
        indexes = [
            # The case list's default order (newest first), per village subtree.
            models.Index(fields=["village", "-created_at", "-id"], name="dispute_village_created"),
            # The county's list (tier = county) and the agenda's "open at this tier" lookups.
            models.Index(fields=["tier", "status"], name="dispute_tier_status"),
            # The county's list in its default order (newest first) without sorting the whole tier.
            models.Index(fields=["tier", "-created_at", "-id"], name="dispute_tier_created"),
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
    # Encrypted at rest (cases/fields.py, docs/pii.md); shown masked, in full only through the logged reveal page.
    id_number = EncryptedTextField("身份证号", max_length=18, blank=True)
    phone = EncryptedTextField("联系电话", max_length=20, blank=True)
    address = EncryptedTextField("住址", max_length=100, blank=True)
    id_hash = BlindIndexField(
        "身份证号检索码", source="id_number", help_text="身份证号的带密钥哈希，仅用于按身份证号精确查找。"
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
        ]

    def __str__(self):
        return self.name

    def save(self, *args, update_fields=None, **kwargs):
        # id_hash follows id_number (BlindIndexField.pre_save), also on a partial save.
        if update_fields is not None and "id_number" in update_fields:
            update_fields = {*update_fields, "id_hash"}
        super().save(*args, update_fields=update_fields, **kwargs)


class EventKind(models.TextChoices):
    LOGGED = "logged", "登记"
    EDITED = "edited", "修改"
    RISK_CHANGED = "risk_changed", "调整风险等级"
    PARTY_ADDED = "party_added", "增加当事人"
    PARTY_CHANGED = "party_changed", "修改当事人"
    STATUS_CHANGED = "status_changed", "状态变更"
    STARTED = "started", "开始调处"
    ASSIGNED = "assigned", "落实四定"
    DUTY = "duty", "三包记录"
    REFERRED = "referred", "提请上级"
    ACCEPTED = "accepted", "签收"
    RETURNED = "returned", "退回"
    TRANSFERRED = "transferred", "移交单位"
    WARNING_RAISED = "warning_raised", "发出预警"
    WARNING_REASSESSED = "warning_reassessed", "预警重新评估"
    WARNING_CLOSED = "warning_closed", "解除预警"
    RESOLVED = "resolved", "化解"
    VISITED = "visited", "回访"
    CLOSED = "closed", "结案"
    REJECTED = "rejected", "不予受理"
    REOPENED = "reopened", "纠纷反复，重新办理"
    DEADLINE_SET = "deadline_set", "设定时限"
    DEADLINE_EXTENDED = "deadline_extended", "延长时限"
    DUE_SOON = "due_soon", "临期提醒（黄牌）"
    OVERDUE = "overdue", "逾期（红牌）"
    SUPERVISION_OPENED = "supervision_opened", "纪委督办"
    SUPERVISION_CLOSED = "supervision_closed", "督办办结"
    SUPERVISION_OVERDUE = "supervision_overdue", "督办逾期，提级到县"
    FLAG_OVERRIDDEN = "flag_overridden", "规则提示不予处理（已说明理由）"
    EDIT_CONFLICT = "edit_conflict", "修改冲突（未保存的修改已留存）"
    ATTACHED = "attached", "上传附件"


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
    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name="所在例会", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )

    class Meta:
        verbose_name = "案件动态"
        verbose_name_plural = "案件动态"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.dispute_id} {self.get_kind_display()}"


# ---------------------------------------------------------------------------------------------------------------
# The workflow records (DESIGN.md §4–6). Each is written by one service in cases/workflow.py.
# ---------------------------------------------------------------------------------------------------------------


class Assignment(models.Model):
    """四定: lead leader, responsible unit, responsible person, deadline (+ measures). One active per case."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="assignments")
    tier = models.CharField("层级", max_length=8, choices=Tier.choices)
    lead_leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包案领导", on_delete=models.PROTECT, related_name="led_assignments"
    )
    responsible_unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    responsible_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任人", on_delete=models.PROTECT, related_name="responsible_assignments"
    )
    measures = models.TextField("调处措施", max_length=2000)
    deadline = models.DateTimeField("办结时限")
    active = models.BooleanField("当前有效", default=True)
    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name="例会", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="确定人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("确定时间", auto_now_add=True)

    class Meta:
        verbose_name = "四定"
        verbose_name_plural = "四定"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["dispute"], condition=models.Q(active=True), name="assignment_one_active"),
        ]
        indexes = [
            # "我的包案": a leader's / responsible person's active assignments.
            models.Index(fields=["lead_leader"], condition=models.Q(active=True), name="assignment_active_leader"),
            models.Index(fields=["responsible_person"], condition=models.Q(active=True), name="assignment_active_person"),
        ]

    def __str__(self):
        return f"{self.dispute_id} 四定"


class DutyKind(models.TextChoices):
    HANDLE = "handle", "包调处"
    TRACK = "track", "包跟踪"
    FEEDBACK = "feedback", "包反馈"


class DutyLog(models.Model):
    """三包 entry: what the responsible people did (handle, track, feed back)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="duty_logs")
    assignment = models.ForeignKey(
        Assignment, verbose_name="四定", null=True, blank=True, on_delete=models.PROTECT, related_name="duty_logs"
    )
    kind = models.CharField("类别", max_length=10, choices=DutyKind.choices)
    on_date = models.DateField("日期")
    text = models.TextField("内容", max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "三包记录"
        verbose_name_plural = "三包记录"
        ordering = ["on_date", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.on_date}"


class ReferralKind(models.TextChoices):
    REFER = "refer", "提请上级"
    TRANSFER = "transfer", "移交单位"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "待签收"
    ACCEPTED = "accepted", "已签收"
    RETURNED = "returned", "已退回"


class Referral(models.Model):
    """One hop of a case: village → town → county (提请), or county/town → unit (移交)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="referrals")
    kind = models.CharField("类型", max_length=10, choices=ReferralKind.choices)
    from_tier = models.CharField("提请层级", max_length=8, choices=Tier.choices)
    from_division = models.ForeignKey(Division, verbose_name="提请方", on_delete=models.PROTECT, related_name="+")
    to_tier = models.CharField("接收层级", max_length=8, choices=Tier.choices)
    to_division = models.ForeignKey(Division, verbose_name="接收区划", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, verbose_name="接收单位", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("提请/移交理由", max_length=2000)
    deadline = models.DateTimeField("办理时限", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING)
    decision_note = models.TextField("签收/退回意见", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name="例会", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提请人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("提请时间", auto_now_add=True)

    class Meta:
        verbose_name = "提请/移交"
        verbose_name_plural = "提请/移交"
        ordering = ["created_at", "id"]
        constraints = [
            # At most one referral of a case waits for 签收 at any time (concurrent refers make one row).
            models.UniqueConstraint(
                fields=["dispute"], condition=models.Q(status="pending", kind="refer"), name="referral_one_pending"
            ),
        ]
        indexes = [
            # The upper tier's "待签收" inbox.
            models.Index(fields=["to_division"], condition=models.Q(status="pending"), name="referral_pending_inbox"),
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.get_kind_display()}"


class WarningTrigger(models.TextChoices):
    GROUP_PETITION = "group_petition", "集体访"
    SKIP_LEVEL = "skip_level", "越级访"
    EXTREME = "extreme", "个人极端事件"
    CRIMINAL = "criminal", "民转刑/命案风险"
    INTENSIFY = "intensify", "可能激化"
    SPECIAL_GROUP = "special_group", "涉特殊人群"


class WarningLevel(models.TextChoices):
    RED = "red", "红色预警"
    ORANGE = "orange", "橙色预警"
    YELLOW = "yellow", "黄色预警"


class WarningTarget(models.TextChoices):
    TOWN_JOINT = "town_joint", "镇街党政联席会议"
    COUNTY = "county", "县社会治理协调中心"


class WarningStatus(models.TextChoices):
    OPEN = "open", "预警中"
    CLOSED = "closed", "已解除"


class Warning(models.Model):
    """预警: raised at town or county, confirmed by a person (rules only suggest)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="warnings")
    level = models.CharField("预警等级", max_length=8, choices=WarningLevel.choices)
    triggers = models.JSONField("预警情形", default=list, help_text="WarningTrigger 代码列表")
    reasons = models.TextField("预警理由", max_length=2000)
    submitted_to = models.CharField("报送", max_length=12, choices=WarningTarget.choices)
    reassess_on = models.DateField("重新评估日期")
    status = models.CharField("状态", max_length=8, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    tier = models.CharField("发出层级", max_length=8, choices=Tier.choices)
    division = models.ForeignKey(Division, verbose_name="发出区划", on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(
        "meetings.Meeting", verbose_name="例会", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="发出人", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField("发出时间", auto_now_add=True)
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)
    close_note = models.TextField("解除说明", blank=True)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["division"], condition=models.Q(status="open"), name="warning_open_division")]

    def __str__(self):
        return f"{self.dispute_id} {self.get_level_display()}"

    def trigger_labels(self):
        return [WarningTrigger(t).label for t in self.triggers if t in WarningTrigger.values]


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class Visit(models.Model):
    """回访 after resolution."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="visits")
    visited_on = models.DateField("回访日期")
    agreement_kept = models.BooleanField("协议是否履行", null=True)
    satisfaction = models.CharField("满意度", max_length=12, choices=Satisfaction.choices)
    relapse_signs = models.BooleanField("有反复苗头", default=False)
    note = models.TextField("回访情况", max_length=2000, blank=True)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回访人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["visited_on", "id"]


class SupervisionStatus(models.TextChoices):
    OPEN = "open", "督办中"
    DONE = "done", "已办结"
    ESCALATED = "escalated", "逾期提级"


class Supervision(models.Model):
    """督办 by the discipline commission, opened once per case and missed deadline (sweep_deadlines)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="supervisions")
    missed_deadline = models.DateTimeField("逾期的时限")
    due_at = models.DateTimeField("督办时限")
    status = models.CharField("状态", max_length=10, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN)
    division = models.ForeignKey(Division, verbose_name="督办纪委所在区划", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField("督办时间", auto_now_add=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    note = models.TextField("督办意见", blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "missed_deadline"], name="supervision_once_per_deadline"),
        ]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(status="open"), name="supervision_open_due")]


class ClockMarkKind(models.TextChoices):
    DUE_SOON = "due_soon", "临期（黄牌）"
    OVERDUE = "overdue", "逾期（红牌）"
    SUPERVISION_OVERDUE = "supervision_overdue", "督办逾期"


class ClockMark(models.Model):
    """Proof that the sweep recorded a clock event for this case and deadline; the unique key makes it once-only."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField("类别", max_length=20, choices=ClockMarkKind.choices)
    deadline = models.DateTimeField("时限")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "时限标记"
        verbose_name_plural = "时限标记"
        constraints = [
            models.UniqueConstraint(fields=["dispute", "kind", "deadline"], name="clockmark_once"),
        ]


# ---------------------------------------------------------------------------------------------------------------
# Rules as data (DESIGN.md §6), editable in the admin.
# ---------------------------------------------------------------------------------------------------------------


class DayMode(models.TextChoices):
    CALENDAR = "calendar", "自然日"
    WORKDAY = "workday", "工作日"


class DeadlinePurpose(models.TextChoices):
    SETTLE = "settle", "化解或提请"
    ASSIGNMENT = "assignment", "四定办结"
    TRANSFER = "transfer", "部门移交办理"
    SUPERVISION = "supervision", "纪委督办"


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


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    WORKDAY = "workday", "调休上班"


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


class EscalationAction(models.TextChoices):
    REFER_UP = "refer_up", "提请上一级"
    RAISE_WARNING = "raise_warning", "发出预警"
    NOTIFY_COUNTY = "notify_county", "报县协调中心"


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


# ---------------------------------------------------------------------------------------------------------------
# Personal information: reveal log and case attachments (docs/pii.md). Both are append-only evidence.
# ---------------------------------------------------------------------------------------------------------------


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


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", "现场照片"
    AGREEMENT = "agreement", "调解协议扫描件"
    OTHER = "other", "其他材料"


class AttachmentType(models.TextChoices):
    JPEG = "image/jpeg", "JPEG 图片"
    PNG = "image/png", "PNG 图片"
    PDF = "application/pdf", "PDF 文档"


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
