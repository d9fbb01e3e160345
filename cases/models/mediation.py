"""The mediation file (人民调解卷宗, DESIGN.md §9, issue 12; 人民调解法 arts 17–33): the register of mediators, the
mediators of a case, a party's request to change one, the sessions with their 笔录, the agreement (written or oral)
with its performance and 司法确认, and the 回访 a resolution schedules. Written by `cases.services.mediation`."""

from django.conf import settings
from django.db import models

from org.models import Division, Person, Unit

from .choices import EVENT_FIELDS
from .dispute import Dispute, Party
from .evidence import Attachment
from .records import Visit


class MediatorKind(models.TextChoices):
    FULL_TIME = "full_time", "专职"
    PART_TIME = "part_time", "兼职"
    ELDER = "elder", "五老"
    INVITED = "invited", "特邀代表"
    LAWYER = "lawyer", "律师"
    COUNSELLOR = "counsellor", "心理咨询师"
    SOCIAL_WORKER = "social_worker", "社会工作者"


class SessionForm(models.TextChoices):
    ON_SITE = "on_site", "现场"
    PHONE = "phone", "电话"
    VIDEO = "video", "视频"
    HOME = "home", "上门"


class AgreementForm(models.TextChoices):
    WRITTEN = "written", "书面协议"
    ORAL = "oral", "口头协议"


class Performance(models.TextChoices):
    NOT_DUE = "not_due", "未到期"
    PERFORMED = "performed", "已履行"
    PARTLY = "partly", "部分履行"
    NOT_PERFORMED = "not_performed", "未履行"


class ConfirmationResult(models.TextChoices):
    VALID = "valid", "确认有效"
    REJECTED = "rejected", "驳回"


# The timeline's field codes of the mediation records (CaseEvent.field → label and the choices of its values).
EVENT_FIELDS.update({
    "mediator": ("调解员", None), "session": ("调解形式", SessionForm), "agreement": ("调解协议", AgreementForm),
    "performance": ("履行情况", Performance), "confirmation": ("司法确认", ConfirmationResult),
    "follow_up": ("回访安排", None),
})


class Mediator(models.Model):
    """人民调解员 of one mediation committee: a village's or town's 调委会 (a division) or a specialised committee
    (an `org.Unit` of kind 专业调解委员会). The person is a row of the people directory (with or without account)."""

    person = models.ForeignKey(Person, verbose_name="人员", on_delete=models.PROTECT, related_name="mediator_posts")
    committee_division = models.ForeignKey(
        Division, verbose_name="所属调委会（村/镇街）", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text="村（居）或镇街人民调解委员会：选择其区划；专业调解委员会则不填、选择单位。",
    )
    committee_unit = models.ForeignKey(
        Unit, verbose_name="所属专业调委会", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": "mediation"},
    )
    kind = models.CharField("类别", max_length=16, choices=MediatorKind.choices)
    active = models.BooleanField("在任", default=True, help_text="不再担任调解员后取消勾选；历史记录保留。")
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    class Meta:
        verbose_name = "人民调解员"
        verbose_name_plural = "人民调解员名册"
        ordering = ["committee_division_id", "committee_unit_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(committee_division__isnull=False, committee_unit__isnull=True)
                           | models.Q(committee_division__isnull=True, committee_unit__isnull=False)),
                name="mediator_one_committee",
            ),
            models.UniqueConstraint(fields=["person", "committee_division"], condition=models.Q(
                committee_division__isnull=False), name="mediator_once_per_division_committee"),
            models.UniqueConstraint(fields=["person", "committee_unit"], condition=models.Q(
                committee_unit__isnull=False), name="mediator_once_per_unit_committee"),
        ]
        indexes = [
            # The pick lists: the active mediators of one committee.
            models.Index(fields=["committee_division"], condition=models.Q(active=True), name="mediator_division_on"),
        ]

    def __str__(self):
        return f"{self.person.name}（{self.get_kind_display()}）"

    @property
    def committee_name(self) -> str:
        if self.committee_unit_id:
            return self.committee_unit.name
        return committee_name(self.committee_division)


def committee_name(division) -> str:
    """嘉祥县刘山村人民调解委员会 / 嘉祥县纸坊镇人民调解委员会 (a village's short name: 刘山村委会 → 刘山村)."""
    return f"嘉祥县{division.short_name}人民调解委员会"


class CaseMediator(models.Model):
    """A mediator named on a case (art 19): one lead, any others. Ended, never deleted, when replaced."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="case_mediators")
    mediator = models.ForeignKey(Mediator, verbose_name="调解员", on_delete=models.PROTECT, related_name="cases")
    is_lead = models.BooleanField("主持调解员", default=False)
    active = models.BooleanField("当前参与", default=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="指定人", on_delete=models.PROTECT,
                                 related_name="+")
    added_at = models.DateTimeField("指定时间", auto_now_add=True)
    ended_at = models.DateTimeField("退出时间", null=True, blank=True)

    class Meta:
        verbose_name = "案件调解员"
        verbose_name_plural = "案件调解员"
        ordering = ["-is_lead", "added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute"], condition=models.Q(active=True, is_lead=True),
                                    name="case_mediator_one_lead"),
            models.UniqueConstraint(fields=["dispute", "mediator"], condition=models.Q(active=True),
                                    name="case_mediator_once"),
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.mediator}"


class MediatorChange(models.Model):
    """A party's request to change a mediator (arts 19–20, 23): who asked, whom, why, and who replaces them."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="mediator_changes")
    party = models.ForeignKey(Party, verbose_name="提出的当事人", on_delete=models.PROTECT, related_name="+")
    mediator = models.ForeignKey(Mediator, verbose_name="要求更换的调解员", on_delete=models.PROTECT, related_name="+")
    replacement = models.ForeignKey(Mediator, verbose_name="更换为", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reason = models.TextField("理由", max_length=1000)
    requested_on = models.DateField("提出日期")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "更换调解员申请"
        verbose_name_plural = "更换调解员申请"
        ordering = ["created_at", "id"]


class MediationSession(models.Model):
    """One mediation session (art 27: 调解工作记录): when, where, how, who mediated, who attended, the 笔录."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT,
                                related_name="mediation_sessions")
    held_on = models.DateField("调解日期")
    place = models.CharField("调解地点", max_length=100)
    form = models.CharField("调解形式", max_length=10, choices=SessionForm.choices)
    mediators = models.ManyToManyField(Mediator, verbose_name="调解员", related_name="sessions")
    attendees = models.TextField("参加人员", max_length=1000, help_text="到场的当事人、亲属、邻里及邀请参与的人员。")
    record = models.TextField("调解笔录", max_length=8000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "调解记录"
        verbose_name_plural = "调解记录"
        ordering = ["held_on", "id"]

    def __str__(self):
        return f"{self.dispute_id} {self.held_on} {self.get_form_display()}"


class Agreement(models.Model):
    """调解协议 (arts 28–30). Written: the parties (the case's), the main facts and issues, the agreed terms, the
    manner and deadline of performance, the date it was signed and sealed (it takes effect then, art 29). Oral: the
    content and the day it was reached (effective that day, art 30). 部分达成 also records the issues that remain and
    the way shown to the parties for them. The 司法确认 (art 33) is recorded on the agreement."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="agreements")
    form = models.CharField("协议形式", max_length=8, choices=AgreementForm.choices)
    partial = models.BooleanField("部分达成", default=False)
    facts = models.TextField("纠纷主要事实、争议事项及各方责任", max_length=4000, blank=True)
    terms = models.TextField("协议内容", max_length=4000)
    performance_manner = models.TextField("履行方式", max_length=1000, blank=True)
    performance_deadline = models.DateField("履行期限", null=True, blank=True)
    effective_on = models.DateField("生效日期", help_text="书面协议：各方签名盖章之日；口头协议：达成之日。")
    amount_involved = models.DecimalField("涉及金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    amount_agreed = models.DecimalField("协议金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    remaining_issues = models.TextField("未达成的事项", max_length=2000, blank=True)
    remaining_route = models.TextField("告知的解决途径", max_length=2000, blank=True)
    performance = models.CharField("履行情况", max_length=16, choices=Performance.choices,
                                   default=Performance.NOT_DUE)
    performance_on = models.DateField("履行情况日期", null=True, blank=True)
    scan = models.ForeignKey(Attachment, verbose_name="协议扫描件", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    # 司法确认 (art 33)
    court = models.CharField("申请确认的法院", max_length=60, blank=True)
    confirmation_applied_on = models.DateField("申请司法确认日期", null=True, blank=True)
    confirmation_result = models.CharField("司法确认结果", max_length=10, choices=ConfirmationResult.choices,
                                           blank=True)
    confirmation_decided_on = models.DateField("法院裁定日期", null=True, blank=True)
    confirmation_reminded_at = models.DateTimeField("司法确认提醒时间", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "调解协议"
        verbose_name_plural = "调解协议"
        ordering = ["created_at", "id"]
        constraints = [
            # Art 29: a written agreement states the terms and the deadline of performance; art 30: an oral one
            # is recorded with its content.
            models.CheckConstraint(
                condition=~models.Q(terms="") & (models.Q(form="oral") | models.Q(
                    performance_deadline__isnull=False) & ~models.Q(performance_manner="")),
                name="agreement_written_has_terms_and_deadline",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmation_result="") | models.Q(confirmation_applied_on__isnull=False,
                                                                      confirmation_decided_on__isnull=False),
                name="agreement_confirmation_result_after_application",
            ),
        ]
        indexes = [
            # The sweep's 司法确认 reminders: agreements with no application and no reminder yet.
            models.Index(fields=["effective_on"], name="agreement_confirmation_open",
                         condition=models.Q(confirmation_applied_on__isnull=True,
                                            confirmation_reminded_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.dispute_id} {self.get_form_display()}"


class FollowUpDay(models.Model):
    """When 回访 fall due after a resolution (days as data; defaults 7, 30 and 90). Editable in the admin."""

    days = models.PositiveSmallIntegerField("化解后第几天", unique=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "回访时间安排"
        verbose_name_plural = "回访时间安排"
        ordering = ["days"]
        constraints = [models.CheckConstraint(condition=models.Q(days__gte=1), name="follow_up_day_positive")]

    def __str__(self):
        return f"化解后第{self.days}天回访"


class FollowUp(models.Model):
    """One scheduled 回访 of one resolution. It stands while the case keeps that resolution (`resolution_at` equals
    the case's `resolved_at`): a reopened case drops it, the next resolution schedules its own. Done when a visit
    is recorded for it; `reminded_at` proves the sweep put it in the 待办 (once)."""

    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="follow_ups")
    resolution_at = models.DateTimeField("所属化解时间")
    days = models.PositiveSmallIntegerField("化解后第几天")
    due_on = models.DateField("应回访日期")
    visit = models.ForeignKey(Visit, verbose_name="回访记录", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="follow_ups")
    reminded_at = models.DateTimeField("提醒时间", null=True, blank=True)

    class Meta:
        verbose_name = "回访安排"
        verbose_name_plural = "回访安排"
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["dispute", "resolution_at", "days"], name="follow_up_once"),
        ]
        indexes = [
            # The sweep: follow-ups due and neither visited nor reminded yet.
            models.Index(fields=["due_on"], condition=models.Q(visit__isnull=True, reminded_at__isnull=True),
                         name="follow_up_unreminded"),
        ]

    def __str__(self):
        return f"{self.dispute_id} 第{self.days}天回访"


class DocumentKind(models.TextChoices):
    APPLICATION = "application", "人民调解申请书"
    SESSION = "session", "调解笔录"
    AGREEMENT = "agreement", "人民调解协议书"
    ORAL = "oral", "口头协议登记表"
    VISIT = "visit", "回访记录"


class DocumentTemplate(models.Model):
    """An administrator's replacement for one of the .docx templates kept in cases/doc_templates/ (docxtpl: the
    same {{ placeholders }}, see docs/mediation.md). The newest active one of a kind is used; none → the built-in."""

    kind = models.CharField("文书", max_length=12, choices=DocumentKind.choices)
    content = models.BinaryField("模板文件（.docx）")
    note = models.CharField("说明", max_length=100, blank=True)
    active = models.BooleanField("启用", default=True, help_text="取消勾选即恢复使用系统内置模板。")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT,
                                    related_name="+")
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    class Meta:
        verbose_name = "调解文书模板"
        verbose_name_plural = "调解文书模板"
        ordering = ["kind", "-uploaded_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.uploaded_at:%Y-%m-%d}）" if self.uploaded_at else self.get_kind_display()
