"""Admin for the deadline rules (时限规则) and the holiday table (节假日与调休). Imported by cases/admin.py.

Neither holds case content, so administrators may edit them (DESIGN.md §2, §7)."""

import datetime

from django.contrib import admin, messages
from django.utils import timezone

from .deadlines import calendar_gaps, gap_message
from .models import CalendarDay, DeadlineRule


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
