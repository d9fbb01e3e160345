"""The workflow records (DESIGN.md §4–6). Each is written by one service in cases/services/."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from org.models import Division, Unit

from .choices import (
    ClockMarkKind,
    DayMode,
    DutyKind,
    ExtensionStatus,
    Outcome,
    ReferralKind,
    ReferralStatus,
    Satisfaction,
    SupervisionActionKind,
    SupervisionStatus,
    Tier,
    TransferMode,
    WarningLevel,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
)
from .dispute import Dispute


class Assignment(models.Model):
    """四定: lead leader, responsible unit, responsible person, deadline (+ measures). One active per case."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="assignments")
    tier = models.CharField("层级", max_length=8, choices=Tier.choices)
    # 四定 people come from the people directory (人员库): a 包案领导 or 责任人 need not have an account. Who is
    # allowed where is decided in `org.people` (one rule) and checked by `services.handling.fix_assignment`.
    lead_leader = models.ForeignKey(
        "org.Person", verbose_name="包案领导", on_delete=models.PROTECT, related_name="led_assignments"
    )
    responsible_unit = models.ForeignKey(Unit, verbose_name="责任单位", on_delete=models.PROTECT, related_name="+")
    responsible_person = models.ForeignKey(
        "org.Person", verbose_name="责任人", on_delete=models.PROTECT, related_name="responsible_assignments"
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



class DutyState(models.TextChoices):
    DONE = "done", "已完成"
    DUE = "due", "办理中"
    OVERDUE = "overdue", "已逾期"


class Duty(models.Model):
    """三包 of a 四定: who handles (包调处), tracks (包跟踪) and feeds back (包反馈), each by a due date. A duty is done
    when its first 三包 record of that kind is entered (`services.handling.record_duty`)."""

    assignment = models.ForeignKey(Assignment, verbose_name="四定", on_delete=models.PROTECT, related_name="duties")
    kind = models.CharField("类别", max_length=10, choices=DutyKind.choices)
    person = models.ForeignKey("org.Person", verbose_name="负责人", on_delete=models.PROTECT, related_name="duties")
    due_on = models.DateField("完成期限")
    done_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "三包责任"
        verbose_name_plural = "三包责任"
        ordering = ["assignment_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["assignment", "kind"], name="duty_one_per_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.person}"

    @property
    def current_state(self) -> DutyState:
        return self.state(timezone.localdate())

    def state(self, today) -> DutyState:
        if self.done_at:
            return DutyState.DONE
        return DutyState.OVERDUE if today > self.due_on else DutyState.DUE


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
    # 移交 only: lead or assisting unit, its sign-for clock, its 办理反馈 and the transferring tier's 审核.
    mode = models.CharField("办理方式", max_length=8, choices=TransferMode.choices, blank=True)
    sign_by = models.DateTimeField("签收时限", null=True, blank=True)
    feedback = models.TextField("办理反馈", max_length=4000, blank=True)
    feedback_outcome = models.CharField("反馈的化解结果", max_length=12, choices=Outcome.choices, blank=True)
    feedback_at = models.DateTimeField("反馈时间", null=True, blank=True)
    review_note = models.TextField("审核意见", blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True, help_text="改派、退回或审核通过后，本次移交结束。")

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
            # A unit's 新移交 inbox and its running transfers.
            models.Index(fields=["to_unit"], condition=models.Q(kind="transfer", ended_at__isnull=True),
                         name="referral_open_transfer_unit"),
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.get_kind_display()}"

    @property
    def awaiting_review(self) -> bool:
        return bool(self.feedback_at) and not self.reviewed_at and not self.ended_at



class EarlyWarning(models.Model):
    """预警: raised at town or county, confirmed by a person (rules only suggest).

    Not called `Warning`, which would shadow the Python builtin; the table keeps its name."""

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
    # Delivery (DESIGN.md §7): the 报送 target is a recipient who signs for it and answers by `respond_by`.
    recipient_tier = models.CharField("接收层级", max_length=8, choices=Tier.choices, blank=True)
    recipient_division = models.ForeignKey(Division, verbose_name="接收区划", null=True, blank=True,
                                           on_delete=models.PROTECT, related_name="+")
    respond_by = models.DateTimeField("回复时限", null=True, blank=True)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="签收人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    reply = models.TextField("批示/回复", max_length=2000, blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回复人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    replied_at = models.DateTimeField("回复时间", null=True, blank=True)

    class Meta:
        db_table = "cases_warning"
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["division"], condition=models.Q(status="open"), name="warning_open_division"),
            # The recipient's queue and the sweep's overdue replies: open warnings not yet answered.
            models.Index(fields=["recipient_division", "respond_by"],
                         condition=models.Q(status="open", replied_at__isnull=True), name="warning_unanswered"),
        ]

    @property
    def awaiting_reply(self) -> bool:
        return self.status == WarningStatus.OPEN and self.replied_at is None and self.recipient_division_id is not None

    def __str__(self):
        return f"{self.dispute_id} {self.get_level_display()}"

    def trigger_labels(self):
        return [WarningTrigger(t).label for t in self.triggers if t in WarningTrigger.values]



class WarningDeadline(models.Model):
    """How long the recipient of a warning has to answer it, by level (rule as data; defaults red 24 h, orange 3
    days, yellow 7 days). Editable in the admin."""

    level = models.CharField("预警等级", max_length=8, choices=WarningLevel.choices, unique=True)
    hours = models.PositiveIntegerField("回复时限（小时）")

    class Meta:
        verbose_name = "预警回复时限"
        verbose_name_plural = "预警回复时限"
        ordering = ["hours"]
        constraints = [models.CheckConstraint(condition=models.Q(hours__gte=1), name="warning_deadline_positive")]

    def __str__(self):
        return f"{self.get_level_display()}：{self.hours}小时"


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



class SupervisionNoticeSequence(models.Model):
    """督办通知书 numbers: one row per issuing 纪委 (division) and year, incremented under a row lock."""

    division = models.ForeignKey(Division, verbose_name="发文纪委所在区划", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年份")
    last = models.PositiveIntegerField("已用序号", default=0)

    class Meta:
        verbose_name = "督办通知书编号序列"
        verbose_name_plural = "督办通知书编号序列"
        constraints = [models.UniqueConstraint(fields=["division", "year"], name="supervision_notice_seq_once")]


class SupervisionAction(models.Model):
    """What the 纪委 did on a supervision (催办, 督办通知书, 约谈, 通报, 问责) and the 回复 to it. Append-only.

    A notice carries its number (allocated once, so every download shows the same), the year and sequence it came
    from, and the date by which a reply is due; a reply names the notice it answers (`reply_to`)."""

    supervision = models.ForeignKey(Supervision, verbose_name="督办", on_delete=models.PROTECT, related_name="actions")
    kind = models.CharField("类别", max_length=16, choices=SupervisionActionKind.choices)
    on_date = models.DateField("日期")
    text = models.TextField("内容", max_length=2000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)
    # 督办通知书
    number = models.CharField("通知书文号", max_length=40, blank=True)
    notice_division = models.ForeignKey(Division, verbose_name="发文区划", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    notice_year = models.PositiveSmallIntegerField("文号年份", null=True, blank=True)
    notice_seq = models.PositiveIntegerField("文号序号", null=True, blank=True)
    reply_by = models.DateField("要求回复日期", null=True, blank=True)
    # 回复
    reply_to = models.ForeignKey("self", verbose_name="回复的通知书", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="replies")
    replier = models.CharField("回复人", max_length=50, blank=True)

    class Meta:
        verbose_name = "督办工作记录"
        verbose_name_plural = "督办工作记录"
        ordering = ["on_date", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["notice_division", "notice_year", "notice_seq"],
                                    condition=models.Q(kind="notice"), name="supervision_notice_number_once"),
        ]
        indexes = [models.Index(fields=["supervision", "kind"], name="supervision_action_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number or self.on_date}"



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


class Extension(models.Model):
    """延期: the holder asks once per deadline for more time; the tier above (for a unit, the transferring tier)
    approves or refuses. An approved one moves the case's deadline (and the active 四定's)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="extensions")
    old_deadline = models.DateTimeField("原时限")
    days = models.PositiveSmallIntegerField("延长天数")
    mode = models.CharField("计算方式", max_length=10, choices=DayMode.choices)
    new_deadline = models.DateTimeField("延长后的时限")
    reason = models.TextField("延期理由", max_length=2000)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="申请人", on_delete=models.PROTECT,
                                     related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    approver_tier = models.CharField("审批层级", max_length=8, choices=Tier.choices)
    approver_division = models.ForeignKey(Division, verbose_name="审批区划", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审批人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-requested_at", "-id"]
        constraints = [
            # Once per deadline: a refused request is not asked again for the same deadline either.
            models.UniqueConstraint(fields=["dispute", "old_deadline"], name="extension_once_per_deadline"),
        ]
        indexes = [
            models.Index(fields=["approver_division"], condition=models.Q(status="pending"),
                         name="extension_pending_approver"),
        ]

    def __str__(self):
        return f"{self.dispute_id} 延期{self.days}天"
