"""Deadlines: which rule applies, and how days are counted (民法典 arts 201, 203). STUB — to be completed.

Interface used by cases/workflow.py:
    deadline_for(dispute, purpose, *, start=None) -> tuple[datetime, DeadlineRule | None]
"""

import datetime

from django.utils import timezone

from .models import DayMode, DeadlineRule


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def due_date(start: datetime.date, days: int, mode: str) -> datetime.date:
    return start + datetime.timedelta(days=days)


def rule_for(dispute, purpose: str) -> DeadlineRule | None:
    return DeadlineRule.objects.filter(purpose=purpose, active=True).first()


def deadline_for(dispute, purpose: str, *, start=None):
    start = start or timezone.now()
    rule = rule_for(dispute, purpose)
    days, mode = (rule.days, rule.mode) if rule else (7, DayMode.CALENDAR)
    return end_of_day(due_date(timezone.localtime(start).date(), days, mode)), rule
