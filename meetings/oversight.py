"""督导组 records (issue 11 #3): visits to meetings, 督导意见 with the convener's answer, 抽查回访 samples, and the
weights of the 互学互比 town score. Models of the meetings app (imported by meetings.models); writes are
meetings.oversight_services, permissions cases.policy (`can_oversee`, …), the ranking stats.ranking.

A sample stores its random seed and the candidate ids in the order they were drawn from, so
`draw_ids(seed, candidates, size)` gives the same case ids again; a sample is never redrawn or deleted (the services
refuse, the admin has no delete).
"""

import random

from django.conf import settings
from django.db import models

from cases.models import Dispute
from org.models import Division


def draw_ids(seed: int, candidate_ids: list[int], size: int) -> list[int]:
    """The sample: `random.Random(seed).sample` over the candidate ids in ascending order (the fixed order)."""
    ordered = sorted(candidate_ids)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


class VisitStatus(models.TextChoices):
    PLANNED = "planned", "计划督导"
    DONE = "done", "已督导"


class OversightVisit(models.Model):
    """A 督导 visit to one division's weekly meeting (village or town), planned for a week, then recorded."""

    division = models.ForeignKey(Division, verbose_name="督导的村/镇街", on_delete=models.PROTECT, related_name="+")
    iso_year = models.PositiveSmallIntegerField("年")
    iso_week = models.PositiveSmallIntegerField("周")
    planned_on = models.DateField("督导日期")
    purpose = models.TextField("督导内容", max_length=1000)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name="督导组成员", related_name="+")
    status = models.CharField("状态", max_length=8, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    meeting = models.ForeignKey("meetings.Meeting", verbose_name="列席的例会", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="oversight_visits")
    findings = models.TextField("督导情况", max_length=4000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="安排人", on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField("安排时间", auto_now_add=True)
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)

    class Meta:
        verbose_name = "督导组列席督导"
        verbose_name_plural = "督导组列席督导"
        ordering = ["-planned_on", "-id"]

    def __str__(self):
        return f"{self.division} {self.iso_year}年第{self.iso_week}周例会督导"


class OversightOpinion(models.Model):
    """督导意见 on a meeting or a case (or a case at a meeting); the convener answers it."""

    meeting = models.ForeignKey("meetings.Meeting", verbose_name="例会", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="oversight_opinions")
    dispute = models.ForeignKey(Dispute, verbose_name="案件", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="oversight_opinions")
    text = models.TextField("督导意见", max_length=2000)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="督导组成员", on_delete=models.PROTECT,
                           related_name="+")
    at = models.DateTimeField("提出时间", auto_now_add=True)
    answer = models.TextField("答复", max_length=2000, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    class Meta:
        verbose_name = "督导意见"
        verbose_name_plural = "督导意见"
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(meeting__isnull=False) | models.Q(dispute__isnull=False),
                                   name="opinion_on_meeting_or_case"),
        ]

    @property
    def is_open(self):
        return self.answered_at is None


class SampleStatus(models.TextChoices):
    OPEN = "open", "回访中"
    CLOSED = "closed", "已完成"


class SpotCheckSample(models.Model):
    """抽查回访: N closed cases of a town closed within a period, drawn at random with a stored seed."""

    town = models.ForeignKey(Division, verbose_name="镇街", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField("结案日期自")
    period_end = models.DateField("结案日期至")
    size = models.PositiveSmallIntegerField("抽取件数")
    seed = models.BigIntegerField("随机种子", editable=False)
    candidate_ids = models.JSONField("候选案件（按编号顺序）", editable=False)
    status = models.CharField("状态", max_length=8, choices=SampleStatus.choices, default=SampleStatus.OPEN)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="抽取人", on_delete=models.PROTECT,
                                 related_name="+")
    drawn_at = models.DateTimeField("抽取时间", auto_now_add=True)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查回访样本"
        verbose_name_plural = "抽查回访样本"
        ordering = ["-drawn_at", "-id"]

    def __str__(self):
        return f"{self.town} {self.period_start:%Y-%m-%d}至{self.period_end:%Y-%m-%d} 抽查{self.size}件"


class SpotCheckItem(models.Model):
    """One drawn case and its phone-back result (电话回访)."""

    sample = models.ForeignKey(SpotCheckSample, verbose_name="样本", on_delete=models.PROTECT, related_name="items")
    dispute = models.ForeignKey(Dispute, verbose_name="案件", on_delete=models.PROTECT, related_name="spot_checks")
    position = models.PositiveSmallIntegerField("抽取顺序")
    reached = models.BooleanField("电话接通", null=True)
    satisfied = models.BooleanField("当事人满意", null=True)
    agreement_kept = models.BooleanField("协议履行", null=True)
    recurred = models.BooleanField("纠纷反复", null=True)
    note = models.TextField("回访记录", max_length=2000, blank=True)
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="回访人", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField("回访时间", null=True, blank=True)

    class Meta:
        verbose_name = "抽查回访结果"
        verbose_name_plural = "抽查回访结果"
        ordering = ["sample_id", "position"]
        constraints = [models.UniqueConstraint(fields=["sample", "dispute"], name="spotcheck_case_once")]

    @property
    def recorded(self):
        return self.called_at is not None


class ScoreKey(models.TextChoices):
    RESOLUTION = "resolution_rate", "化解率"
    ON_TIME = "on_time_rate", "按时办结率"
    MEETINGS = "meeting_rate", "例会召开率"
    SATISFACTION = "satisfaction_rate", "抽查满意率"


class ScoreWeight(models.Model):
    """互学互比 weights (data, editable in the admin): score = Σ weight × rate (rates in %)."""

    key = models.CharField("指标", max_length=20, choices=ScoreKey.choices, unique=True)
    weight = models.DecimalField("权重", max_digits=4, decimal_places=3)

    class Meta:
        verbose_name = "互学互比权重"
        verbose_name_plural = "互学互比权重"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=models.Q(weight__gte=0, weight__lte=1),
                                              name="scoreweight_0_to_1")]

    def __str__(self):
        return f"{self.get_key_display()} {self.weight}"
