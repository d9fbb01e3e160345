"""The auditor's filters. Dates are turned into [local midnight, next local midnight) bounds on `at`, so the
`audit_at` index serves them (a `__date` lookup would convert every row's time zone first)."""

import datetime

import django_filters
from django import forms
from django.utils import timezone

from .models import Action, AuditEntry, Outcome


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        label="日期从", method="filter_from", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = django_filters.DateFilter(
        label="至", method="filter_to", widget=forms.DateInput(attrs={"type": "date"}))
    username = django_filters.CharFilter(label="用户名", method="filter_username")
    action = django_filters.ChoiceFilter(label="操作", choices=Action.choices, empty_label="全部操作")
    outcome = django_filters.ChoiceFilter(label="结果", choices=Outcome.choices, empty_label="全部结果")

    class Meta:
        model = AuditEntry
        fields = []

    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=_midnight(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=_midnight(value + datetime.timedelta(days=1)))

    def filter_username(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(username=value) if value else queryset

    def describe(self) -> str:
        """The applied conditions, for the export's own audit row."""
        if not self.is_bound or not self.form.is_valid():
            return "全部"
        parts = []
        for field_name, value in self.form.cleaned_data.items():
            if value not in (None, ""):
                parts.append(f"{self.filters[field_name].label}={value}")
        return "，".join(parts) or "全部"
