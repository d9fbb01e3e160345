from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import security
from org.models import Division, Membership, Unit

User = get_user_model()

# Authenticators are reset through the logged view account:reset_2fa; the admin never sees or sets a TOTP secret.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


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


class RequestFormMixin:
    """Hands the request to the form class, so a refused separation of duties is recorded with who tried it."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request": request})


class MembershipAdminForm(forms.ModelForm):
    request = None

    class Meta:
        model = Membership
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        user, role = cleaned.get("user"), cleaned.get("role")
        if user is not None and role:
            conflict = security.duty_conflict(role=role, is_staff=user.is_staff, is_superuser=user.is_superuser)
            if conflict:
                security.refuse_duty_conflict(self.request, user=user, message=conflict)
                raise ValidationError(conflict, code="duty_conflict")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(RequestFormMixin, admin.ModelAdmin):
    form = MembershipAdminForm
    list_display = ("user", "division", "role", "unit", "title", "must_change_password", "password_changed_at")
    list_filter = ("role", "must_change_password")
    search_fields = ("user__username", "user__first_name", "division__name")
    list_select_related = ("user", "division", "unit")
    autocomplete_fields = ("user", "division", "unit")
    readonly_fields = ("password_changed_at",)

    def save_model(self, request, obj, form, change):
        security.save_membership(request, membership=obj, created=not change)

    def delete_model(self, request, obj):
        security.delete_membership(request, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user"):
            security.delete_membership(request, membership=membership)


class AccountChangeForm(UserAdmin.form):
    request = None

    def clean(self):
        cleaned = super().clean()
        m = Membership.objects.filter(user_id=self.instance.pk).first() if self.instance.pk else None
        if m is not None:
            conflict = security.duty_conflict(role=m.role, is_staff=cleaned.get("is_staff", False),
                                              is_superuser=cleaned.get("is_superuser", False))
            if conflict:
                security.refuse_duty_conflict(self.request, user=self.instance, message=conflict)
                raise ValidationError(conflict, code="duty_conflict")
        return cleaned


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(RequestFormMixin, UserAdmin):
    """Django's user admin, with every account change, admin-set password and refused duty conflict recorded."""

    form = AccountChangeForm

    def save_model(self, request, obj, form, change):
        security.save_account(request, user=obj, created=not change)

    def delete_model(self, request, obj):
        security.delete_account(request, user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            security.delete_account(request, user=user)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                security.password_set_by_admin(request, user=user)
        return response
