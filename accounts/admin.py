from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import duties, security
from org.models import Division, Membership, MembershipRequest, Unit

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
        user = cleaned.get("user") or (self.instance.user if self.instance.pk else None)
        role = cleaned.get("role")
        if user is not None and role:
            conflict = duties.duty_conflict(role=role, is_staff=user.is_staff, is_superuser=user.is_superuser)
            if conflict:
                duties.refuse_duty_conflict(self.request, user=user, message=conflict)
                raise ValidationError(conflict, code="duty_conflict")
            old = None
            if self.instance.pk:
                old = Membership.objects.filter(pk=self.instance.pk).values(*duties.MEMBERSHIP_FIELDS).first()
            new = {"role": role, "division_id": getattr(cleaned.get("division"), "pk", None),
                   "unit_id": getattr(cleaned.get("unit"), "pk", None)}
            pending = duties.pending_grant_of(user)
            if pending is not None and duties.grant_needs_approval(old=old, new=new):
                raise ValidationError(duties.pending_grant_message(pending), code="grant_pending")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(RequestFormMixin, admin.ModelAdmin):
    """A grant that gives case access is saved as a pending `MembershipRequest` (accounts.duties.save_membership):
    the membership itself appears only once a 安全管理员 approves it."""

    form = MembershipAdminForm
    list_display = ("user", "division", "role", "unit", "title", "must_change_password", "password_changed_at")
    list_filter = ("role", "must_change_password")
    search_fields = ("user__username", "user__first_name", "division__name")
    list_select_related = ("user", "division", "unit")
    autocomplete_fields = ("user", "division", "unit")
    readonly_fields = ("password_changed_at",)

    def get_readonly_fields(self, request, obj=None):
        # A membership is never moved to another account: that would hand its case access over unapproved.
        return ("user", *self.readonly_fields) if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        saved = duties.save_membership(request, membership=obj, created=not change)
        obj._grant_request = saved if isinstance(saved, MembershipRequest) else None

    def log_addition(self, request, obj, message):
        if getattr(obj, "_grant_request", None) is None:  # a pending grant added nothing (it has its audit row)
            return super().log_addition(request, obj, message)
        return None

    def log_change(self, request, obj, message):
        if getattr(obj, "_grant_request", None) is None:
            return super().log_change(request, obj, message)
        return None

    def _pending_response(self, request, obj):
        grant = obj._grant_request
        self.message_user(request, f"“{grant.user.get_username()}”的岗位授权（{grant.division.name} · "
                                   f"{grant.get_role_display()}）已提交，申请编号 {grant.pk}；须经安全管理员审批后生效。",
                          messages.WARNING)
        return redirect("admin:org_membershiprequest_changelist")

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "_grant_request", None) is not None:
            return self._pending_response(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(obj, "_grant_request", None) is not None:
            return self._pending_response(request, obj)
        return super().response_change(request, obj)

    def delete_model(self, request, obj):
        duties.delete_membership(request, membership=obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset.select_related("user"):
            duties.delete_membership(request, membership=membership)


@admin.register(MembershipRequest)
class MembershipRequestAdmin(admin.ModelAdmin):
    """Read only: the administrator follows its requests here; only a 安全管理员 decides them (account:security)."""

    list_display = ("user", "division", "role", "unit", "status", "requested_by", "requested_at", "decided_by",
                    "decided_at")
    list_filter = ("status", "role")
    search_fields = ("user__username", "user__first_name")
    list_select_related = ("user", "division", "unit", "requested_by", "decided_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Permissions are rows whose names Django wrote in English at migrate time ("Can add user"): the admin's permission
# pickers show them in Chinese from their codename instead ("认证和授权 | 用户 | 可增加用户"), changing no row.
PERMISSION_APPS = {"axes": "登录锁定", "otp_totp": "双因素认证", "django_tasks_database": "后台任务"}  # no translatable name
PERMISSION_MODELS = {("otp_totp", "totpdevice"): "TOTP 验证器", ("django_tasks_database", "dbtaskresult"): "任务记录"}
PERMISSION_ACTIONS = {"add": "增加", "change": "修改", "delete": "删除", "view": "查看"}


def permission_label(permission) -> str:
    ct = permission.content_type
    model = ct.model_class()
    try:
        app = PERMISSION_APPS.get(ct.app_label) or apps.get_app_config(ct.app_label).verbose_name
    except LookupError:  # a stale content type of a removed app
        app = ct.app_label
    name = PERMISSION_MODELS.get((ct.app_label, ct.model)) or (model._meta.verbose_name if model else ct.model)
    action, _, rest = permission.codename.partition("_")
    text = f"可{PERMISSION_ACTIONS[action]}{name}" if action in PERMISSION_ACTIONS and rest == ct.model else permission.name
    return f"{app} | {name} | {text}"


class ChinesePermissionsMixin:
    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name in ("permissions", "user_permissions") and field is not None:
            field.label_from_instance = permission_label
        return field


if admin.site.is_registered(Group):
    admin.site.unregister(Group)


@admin.register(Group)
class ChineseGroupAdmin(ChinesePermissionsMixin, GroupAdmin):
    pass


class AccountChangeForm(UserAdmin.form):
    request = None

    def clean(self):
        cleaned = super().clean()
        m = Membership.objects.filter(user_id=self.instance.pk).first() if self.instance.pk else None
        if m is not None:
            conflict = duties.duty_conflict(role=m.role, is_staff=cleaned.get("is_staff", False),
                                            is_superuser=cleaned.get("is_superuser", False))
            if conflict:
                duties.refuse_duty_conflict(self.request, user=self.instance, message=conflict)
                raise ValidationError(conflict, code="duty_conflict")
        return cleaned


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(RequestFormMixin, ChinesePermissionsMixin, UserAdmin):
    """Django's user admin, with every account change, admin-set password and refused duty conflict recorded."""

    form = AccountChangeForm

    def save_model(self, request, obj, form, change):
        duties.save_account(request, user=obj, created=not change)

    def delete_model(self, request, obj):
        duties.delete_account(request, user=obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            duties.delete_account(request, user=user)

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                security.password_set_by_admin(request, user=user)
        return response
