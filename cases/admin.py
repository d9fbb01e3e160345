"""The cases app's admin: local sub-categories, deadline rules and the holiday calendar, escalation rules.

Rules are data (DESIGN.md §6): administrators edit them here; the code reads them through cases.rules.
"""

import datetime

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from .mediation_docx import check_template
from .models import (
    CalendarDay,
    DeadlineRule,
    DocumentTemplate,
    EscalationAction,
    EscalationRule,
    FollowUpDay,
    Mediator,
    Risk,
    SubCategory,
    Tier,
)
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


# --- 人民调解卷宗: the register of mediators, the 回访 schedule, the document templates (issue 12) ------------------


@admin.register(Mediator)
class MediatorAdmin(admin.ModelAdmin):
    """人民调解员名册: a person of the people directory (人员库) on one committee — a village's or town's 调委会, or a
    specialised committee (a unit of kind 专业调解委员会)."""

    list_display = ("person", "kind", "committee", "active")
    list_filter = ("kind", "active", "committee_unit")
    search_fields = ("person__name", "committee_division__name", "committee_unit__name")
    raw_id_fields = ("person", "committee_division")
    list_select_related = ("person", "committee_division", "committee_unit")

    @admin.display(description="调委会")
    def committee(self, obj):
        return obj.committee_name


class MediatorForm(forms.ModelForm):
    class Meta:
        model = Mediator
        fields = ("person", "committee_division", "committee_unit", "kind", "active")

    def clean(self):
        data = super().clean()
        if bool(data.get("committee_division")) == bool(data.get("committee_unit")):
            raise forms.ValidationError("请在“所属调委会（村/镇街）”和“所属专业调委会”中选择且只选择一个。")
        division = data.get("committee_division")
        if division is not None and division.level not in ("village", "township"):
            self.add_error("committee_division", "村（居）或镇街人民调解委员会请选择村/社区或镇街。")
        return data


MediatorAdmin.form = MediatorForm


@admin.register(FollowUpDay)
class FollowUpDayAdmin(admin.ModelAdmin):
    list_display = ("days", "active")
    list_filter = ("active",)


class DocumentTemplateForm(forms.ModelForm):
    upload = forms.FileField(label="模板文件（.docx）", help_text="使用与系统内置模板相同的 {{ 占位符 }}，见 docs/mediation.md。")

    class Meta:
        model = DocumentTemplate
        fields = ("kind", "note", "active")

    def clean(self):
        data = super().clean()
        upload, kind = data.get("upload"), data.get("kind")
        if upload and kind:
            content = upload.read()
            try:
                check_template(kind, content)
            except Exception as exc:  # noqa: BLE001 - any failure to render is the same answer to the administrator
                raise forms.ValidationError(f"该文件不能作为模板使用（{type(exc).__name__}），请检查是否为 .docx 及占位符是否正确。") from None
            self.instance.content = content
        return data


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    form = DocumentTemplateForm
    list_display = ("kind", "note", "active", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "active")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)
