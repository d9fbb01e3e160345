"""人员库 in the Django admin: the 系统管理员 keeps the directory (people with or without an account); phones are
masked in the list and editable in the form. Division, unit and membership admins are in accounts/admin.py (they
record who changed what through accounts.duties); the Excel import is accounts.views_onboarding."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from core.validators import mask_phone, normalize_phone, validate_phone

from .jurisdiction import subtree_q
from .models import Division, Level, Person, Role
from .selectors import membership_of


def is_administrator(user) -> bool:
    """The 系统管理员 (DESIGN.md §2): the only role that keeps the directory."""
    m = membership_of(user)
    return m is not None and m.role == Role.ADMIN


class TownFilter(admin.SimpleListFilter):
    """镇街: a town and its villages (the county's ~20 towns, not its 450 villages, in the sidebar)."""

    title = "镇街"
    parameter_name = "town"

    def lookups(self, request, model_admin):
        return list(Division.objects.filter(level=Level.TOWNSHIP).values_list("code", "name"))

    def queryset(self, request, queryset):
        town = Division.objects.filter(code=self.value(), level=Level.TOWNSHIP).first() if self.value() else None
        return queryset.filter(subtree_q("division__code", town)) if town else queryset


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = ("name", "post", "division", "unit", "phone", "active")
        help_texts = {"phone": "手机号或带区号的固定电话，加密保存；列表中只显示部分号码。"}

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data.get("phone") or "")
        if phone:
            try:
                validate_phone(phone)
            except ValidationError as error:
                raise forms.ValidationError(error.messages[0]) from None
        return phone

    def clean(self):
        cleaned = super().clean()
        division, unit = cleaned.get("division"), cleaned.get("unit")
        if division is not None and division.level not in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
            self.add_error("division", "人员只能录入到嘉祥县、镇街或村/社区。")
        if division is not None and unit is not None and unit.division_id != division.code:
            self.add_error("unit", f"“{unit}”属于{unit.division}，不属于{division}：请选择该区划的单位，或改选所属区划。")
        return cleaned


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    form = PersonForm
    list_display = ("name", "post", "division", "unit", "account", "masked_phone", "active")
    list_display_links = ("name",)
    list_filter = ("division__level", TownFilter, ("unit", admin.RelatedOnlyFieldListFilter), "active")
    search_fields = ("name",)
    list_select_related = ("division", "unit", "user")
    autocomplete_fields = ("division", "unit")
    readonly_fields = ("account", "created_at")
    fieldsets = (
        (None, {"fields": ("name", "post", "division", "unit", "phone", "active")}),
        ("系统账号", {"fields": ("account", "created_at"),
                      "description": "有账号的人员，姓名、职务、区划和单位随其岗位（用户归属与角色）自动同步。"}),
    )
    list_per_page = 50
    change_list_template = "admin/org/person/change_list.html"

    @admin.display(description="系统账号", ordering="user__username")
    def account(self, obj):
        return obj.user.get_username() if obj.user_id else "—（无账号）"

    @admin.display(description="联系电话")
    def masked_phone(self, obj):
        return mask_phone(obj.phone) or "—"

    # Only the 系统管理员 keeps the directory (a staff account of another role never exists: accounts.duties).
    def has_module_permission(self, request):
        return is_administrator(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return is_administrator(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return is_administrator(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        # People are named on cases' records: 调离 or 退休 is 在岗 unticked, never a deletion.
        return False
