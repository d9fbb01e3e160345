"""The workflow records (DESIGN.md §4–6). Each is written by one service in cases/services/."""

from django.conf import settings
from django.db import models

from org.models import Division, Unit

from .choices import (
    ClockMarkKind,
    DutyKind,
    ReferralKind,
    ReferralStatus,
    Satisfaction,
    SupervisionStatus,
    Tier,
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

    class Meta:
        db_table = "cases_warning"
        verbose_name = "预警"
        verbose_name_plural = "预警"
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["division"], condition=models.Q(status="open"), name="warning_open_division")]

    def __str__(self):
        return f"{self.dispute_id} {self.get_level_display()}"

    def trigger_labels(self):
        return [WarningTrigger(t).label for t in self.triggers if t in WarningTrigger.values]



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
