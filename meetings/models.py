"""平安周例会: one meeting per division and ISO week; its reviews (研判) of cases and its attendance."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from cases.models import Dispute, Tier
from org.models import Division


class MeetingForm(models.TextChoices):
    ROOM = "room", "会议室"
    ON_SITE = "on_site", "现场"
    FIELD = "field", "田间地头"
    ONLINE = "online", "线上"


class MeetingStatus(models.TextChoices):
    OPEN = "open", "进行中"
    CLOSED = "closed", "已闭会"


# 记录人 and 审核人 are two people: the one who checks the minutes did not write them.
SAME_RECORDER_AND_CHECKER = "审核人不能与记录人为同一人，请另选一名参会成员审核纪要。"


class Meeting(models.Model):
    tier = models.CharField("层级", max_length=8, choices=Tier.choices)
    division = models.ForeignKey(Division, verbose_name="区划", on_delete=models.PROTECT, related_name="meetings")
    iso_year = models.PositiveSmallIntegerField("年")
    iso_week = models.PositiveSmallIntegerField("周")
    held_on = models.DateField("会议日期")
    place = models.CharField("地点", max_length=100)
    form = models.CharField("形式", max_length=10, choices=MeetingForm.choices, default=MeetingForm.ROOM)
    convener = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="召集人", on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=8, choices=MeetingStatus.choices, default=MeetingStatus.OPEN)
    opened_at = models.DateTimeField("开会时间", auto_now_add=True)
    closed_at = models.DateTimeField("闭会时间", null=True, blank=True)
    summary = models.TextField("会议小结", blank=True, max_length=4000)
    minutes = models.JSONField("会议纪要（闭会时冻结）", null=True, blank=True, editable=False)
    # Chosen from the meeting's 参会成员 when it closes (services.close_meeting); names, as the minutes print them.
    minutes_recorder = models.CharField("记录人", max_length=32, blank=True, editable=False)
    minutes_checker = models.CharField("审核人", max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = "平安周例会"
        verbose_name_plural = "平安周例会"
        ordering = ["-iso_year", "-iso_week", "division_id"]
        constraints = [
            models.UniqueConstraint(fields=["division", "iso_year", "iso_week"], name="meeting_one_per_week"),
            models.CheckConstraint(condition=models.Q(iso_week__gte=1, iso_week__lte=53), name="meeting_iso_week_range"),
        ]
        indexes = [
            # The compliance dashboard: who held this week's meeting.
            models.Index(fields=["iso_year", "iso_week", "tier"], name="meeting_week_tier"),
        ]

    def __str__(self):
        return f"{self.division} {self.iso_year}年第{self.iso_week}周平安周例会"

    def get_absolute_url(self):
        return reverse("meetings:detail", args=[self.pk])


class AttendeeKind(models.TextChoices):
    MEMBER = "member", "参会成员"
    GUEST = "guest", "邀请列席"
    OBSERVER = "observer", "督导组"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name="例会", on_delete=models.CASCADE, related_name="attendance")
    kind = models.CharField("类别", max_length=10, choices=AttendeeKind.choices, default=AttendeeKind.MEMBER)
    name = models.CharField("姓名", max_length=32)
    role_title = models.CharField("职务/身份", max_length=64, blank=True)
    unit = models.CharField("单位", max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="系统用户", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "org.Person", verbose_name="人员库人员", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="从人员库选入的参会人员（有无系统账号均可）；外来人员为空。",
    )

    class Meta:
        verbose_name = "参会人员"
        verbose_name_plural = "参会人员"
        ordering = ["kind", "id"]


class Decision(models.TextChoices):
    MEDIATE = "mediate", "当场调解"
    ASSIGN = "assign", "落实四定继续办理"
    START = "start", "开始调处"
    REFER = "refer", "提请上一级"
    ACCEPT = "accept", "签收下级提请"
    RETURN = "return", "退回下级"
    TRANSFER = "transfer", "移交责任单位"
    WARN = "warn", "发出预警"
    RESOLVE = "resolve", "已化解"
    REJECT = "reject", "不予受理"
    CONTINUE = "continue", "继续跟踪"


class Review(models.Model):
    """研判: the meeting's analysis and decision on one case."""

    meeting = models.ForeignKey(Meeting, verbose_name="例会", on_delete=models.PROTECT, related_name="reviews")
    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="reviews")
    analysis = models.TextField("研判意见", max_length=4000)
    decision = models.CharField("决定", max_length=10, choices=Decision.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("记录时间", auto_now=True)

    class Meta:
        verbose_name = "研判"
        verbose_name_plural = "研判"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "dispute"], name="review_once_per_meeting")]


class FlagOverride(models.Model):
    """A rule flag on the agenda that the meeting decided not to act on, with the reason (DESIGN.md §6)."""

    meeting = models.ForeignKey(Meeting, verbose_name="例会", on_delete=models.PROTECT, related_name="overrides")
    dispute = models.ForeignKey(Dispute, verbose_name="纠纷", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey("cases.EscalationRule", verbose_name="规则", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("不予处理理由", max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="决定人", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则提示处理说明"
        verbose_name_plural = "规则提示处理说明"
        constraints = [models.UniqueConstraint(fields=["meeting", "dispute", "rule"], name="override_once")]


# 督导组 records (issue 11 #3) live in their own module of this app.
from .oversight import (  # noqa: E402, F401
    OversightOpinion,
    OversightVisit,
    ScoreWeight,
    SpotCheckItem,
    SpotCheckSample,
)
