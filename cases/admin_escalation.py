"""Admin for escalation rules (提级与预警规则). Imported by cases/admin.py.

Only the rules are registered: warnings, referrals and flags are case content, which administrators never see
(DESIGN.md §7)."""

from django import forms
from django.contrib import admin

from .escalation import describe_conditions
from .models import EscalationAction, EscalationRule, Risk, Tier


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
