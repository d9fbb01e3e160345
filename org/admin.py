from django.contrib import admin

from .models import Division, Membership, Unit


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "division", "active")
    list_filter = ("kind", "active")
    search_fields = ("name",)
    list_select_related = ("division",)
    autocomplete_fields = ("division",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "division", "role", "unit", "title")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "division__name")
    list_select_related = ("user", "division", "unit")
    autocomplete_fields = ("user", "division", "unit")
