"""Meetings in the admin: read-only and without case content (administrators see no case content, DESIGN.md §7).

Meetings are opened, reviewed and closed on the meeting pages; the admin only lists them (who held which week's
meeting, with the attendance) for support. Reviews, flag overrides and the frozen minutes are not shown here.
"""

from django.contrib import admin

from .models import Attendance, Meeting, ScoreWeight


class AttendanceInline(admin.TabularInline):
    model = Attendance
    fields = ("kind", "name", "role_title", "unit")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("division", "tier", "iso_year", "iso_week", "held_on", "form", "status", "closed_at")
    list_filter = ("tier", "status", "iso_year")
    search_fields = ("division__name", "division__code")
    list_select_related = ("division",)
    fields = ("tier", "division", "iso_year", "iso_week", "held_on", "place", "form", "convener", "status",
              "opened_at", "closed_at")
    readonly_fields = fields
    inlines = [AttendanceInline]
    date_hierarchy = "held_on"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoreWeight)
class ScoreWeightAdmin(admin.ModelAdmin):
    """互学互比 weights (stats.ranking): edited here, never added or deleted (one row per figure, from the migration).
    The 督导组's visits, opinions and samples are case content and are not shown in the admin."""

    list_display = ("key", "weight")
    list_editable = ("weight",)
    fields = ("key", "weight")
    readonly_fields = ("key",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
