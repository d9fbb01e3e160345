from django.contrib import admin

from .models import SubCategory

# Disputes, parties and events are deliberately not registered: administrators see no case content (DESIGN.md §7).


@admin.register(SubCategory)
class SubCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "active")
    list_filter = ("category", "active")
    search_fields = ("name",)
