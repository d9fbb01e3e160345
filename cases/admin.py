from django.contrib import admin

from . import admin_escalation, admin_rules  # noqa: F401  (registers the rule admins)
from .models import SubCategory

# Disputes, parties and events are deliberately not registered: administrators see no case content (DESIGN.md §7).


@admin.register(SubCategory)
class SubCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)
