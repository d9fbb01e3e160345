"""The cases app's admin: local sub-categories, deadline rules and the holiday calendar, escalation rules.

Rules are data (DESIGN.md §6): administrators edit them here; the code reads them through cases.rules.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from .models import CalendarDay, DeadlineRule, EscalationAction, EscalationRule, Risk, SubCategory, Tier
from .rules.deadlines import calendar_gaps, gap_message
from .rules.escalation import describe_conditions


@admin.register(SubCategory)
class SubCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)


# --- deadline rules and the calendar --------------------------------------------------------------------------------


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "purpose", "tier", "category", "risk", "source", "days", "mode", "warn_before_days",
                    "extension_days", "active")
    list_filter = ("purpose", "tier", "mode", "active")
    search_fields = ("name", "basis")
    fieldsets = (
        (None, {"fields": ("name", "purpose", "active")}),
        ("适用条件（留空表示不限；条件越多越优先，相同时取编号小的）", {"fields": ("tier", "category", "risk", "source")}),
        ("时限", {"fields": ("days", "mode", "warn_before_days", "extension_days", "basis")}),
    )


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"

    def changelist_view(self, request, extra_context=None):
        """Say which of this year and next year still lack the State Council schedule."""
        today = timezone.localdate()
        gaps = calendar_gaps(today, datetime.date(today.year + 1, 12, 31))
        if gaps and request.method == "GET":
            messages.warning(request, gap_message(gaps) + "（按国务院办公厅每年公布的放假安排，录入法定节假日和调休上班日）。")
        return super().changelist_view(request, extra_context)


# --- escalation rules -----------------------------------------------------------------------------------------------


class EscalationRuleForm(forms.ModelForm):
    risk_levels = forms.MultipleChoiceField(
        label="风险等级（任一）", choices=Risk.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="不勾选表示不限风险等级。",
    )

    class Meta:
        model = EscalationRule
        fields = "__all__"

    CONDITIONS = ("tier", "category", "risk_levels", "min_people", "cross_village", "cross_town", "min_days_open",
                  "overdue", "petition_source")

    def clean(self):
        data = super().clean()
        if not any(data.get(name) not in (None, "", False, []) for name in self.CONDITIONS):
            raise forms.ValidationError("至少设置一个条件；没有条件的规则会提示所有未办结案件。")
        action = data.get("action")
        if action == EscalationAction.REFER_UP and data.get("target_tier") == Tier.VILLAGE:
            self.add_error("target_tier", "提请上一级的目标层级只能是镇街或县（留空表示上一级）。")
        if action == EscalationAction.RAISE_WARNING and not data.get("warning_trigger"):
            self.add_error("warning_trigger", "发出预警的规则须选择建议的预警情形。")
        if action != EscalationAction.RAISE_WARNING and data.get("warning_trigger"):
            self.add_error("warning_trigger", "只有“发出预警”的规则才建议预警情形。")
        if data.get("within_workdays") is not None and data["within_workdays"] < 1:
            self.add_error("within_workdays", "至少为1个工作日。")
        return data


@admin.register(EscalationRule)
class EscalationRuleAdmin(admin.ModelAdmin):
    form = EscalationRuleForm
    list_display = ("name", "conditions", "action", "target_tier", "warning_trigger", "within_workdays", "active")
    list_filter = ("active", "action", "tier")
    search_fields = ("name", "basis")
    fieldsets = (
        (None, {"fields": ("name", "active", "basis")}),
        ("条件（均须满足；留空不限）", {"fields": (
            "tier", "category", "risk_levels", "min_people", "cross_village", "cross_town", "min_days_open",
            "overdue", "petition_source",
        )}),
        ("要求", {"fields": ("action", "target_tier", "warning_trigger", "within_workdays")}),
    )

    @admin.display(description="条件")
    def conditions(self, rule):
        return describe_conditions(rule)
