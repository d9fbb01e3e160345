"""Admin of external systems and their tokens (Chinese). A token and a callback secret are shown once, on the page
that follows their creation, and never stored in the clear (api.tokens, the encrypted secret); revoking a token is
an action, logged. Work orders and callbacks are read-only records."""

from django.contrib import admin, messages
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import services
from .models import ApiToken, Callback, CallbackAttempt, ExternalSystem, WorkOrder


def _shown_once(request, admin_obj, *, title, what, value, system, lost, notes=()):
    opts = admin_obj.model._meta
    return TemplateResponse(request, "admin/api/shown_once.html", {
        **admin_obj.admin_site.each_context(request), "opts": opts, "title": title, "what": what, "value": value,
        "system": system, "lost": lost, "notes": notes,
        "back_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    })


@admin.register(ExternalSystem)
class ExternalSystemAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # a callback URL typed without scheme
    list_display = ("name", "code", "division", "callback_url", "created_at")
    search_fields = ("name", "code")
    autocomplete_fields = ("division",)
    readonly_fields = ("user", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # The code names the service account and the division bounds every case it registered: fixed once made.
        return (*self.readonly_fields, "code", "division") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        saved, secret = services.create_system(actor=request.user, name=obj.name, code=obj.code,
                                               division=obj.division, callback_url=obj.callback_url)
        obj.pk, obj.user, obj.created_at, obj._state.adding = saved.pk, saved.user, saved.created_at, False
        obj._shown_secret = secret

    def response_add(self, request, obj, post_url_continue=None):
        return _shown_once(
            request, self, title=f"已创建外部系统“{obj.name}”", what="回调签名密钥", value=obj._shown_secret,
            system=obj.name, lost="删除后重新创建该系统",
            notes=[("接口账号", f"{obj.user.username}（不能登录，只作为登记人）"),
                   ("签名方法", "X-Jiaxiang-Signature = sha256=HMAC-SHA256(密钥, 时间戳 + \".\" + 请求体)"),
                   ("下一步", "在“接口令牌”中为该系统签发令牌。")])

    def has_delete_permission(self, request, obj=None):
        return False  # its cases and work orders keep pointing at it


class RevokedFilter(admin.SimpleListFilter):
    title = "状态"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "有效"), ("revoked", "已吊销")]

    def queryset(self, request, queryset):
        if self.value() in ("active", "revoked"):
            return queryset.filter(revoked_at__isnull=self.value() == "active")
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("key_prefix", "state", "system", "label", "can_create", "can_read", "rate_per_minute",
                    "last_used_at")
    list_filter = (RevokedFilter, "system", "can_create", "can_read")
    list_select_related = ("system",)
    readonly_fields = ("key_prefix", "created_at", "created_by", "last_used_at", "revoked_at", "revoked_by")
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (*self.readonly_fields, "system", *(("can_create", "can_read", "rate_per_minute", "label")
                                                   if obj.revoked_at else ()))

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        saved, token = services.issue_token(actor=request.user, system=obj.system, label=obj.label,
                                            can_create=obj.can_create, can_read=obj.can_read,
                                            rate_per_minute=obj.rate_per_minute)
        obj.pk, obj.key_prefix, obj._state.adding = saved.pk, saved.key_prefix, False
        obj._shown_token = token

    def response_add(self, request, obj, post_url_continue=None):
        scopes = "、".join(s for s, on in (("登记案件", obj.can_create), ("查询案件", obj.can_read)) if on) or "无"
        return _shown_once(
            request, self, title=f"已为“{obj.system}”签发接口令牌", what="接口令牌", value=obj._shown_token,
            system=obj.system.name, lost="吊销此令牌并重新签发",
            notes=[("权限", scopes), ("调用上限", f"每分钟{obj.rate_per_minute}次"),
                   ("使用方法", "请求头 Authorization: Bearer <令牌>")])

    @admin.display(description="状态", ordering="revoked_at")
    def state(self, obj):
        return f"已吊销（{timezone.localtime(obj.revoked_at):%Y-%m-%d %H:%M}）" if obj.revoked_at else "有效"

    @admin.action(description="吊销所选令牌（立即失效，不可恢复）")
    def revoke(self, request, queryset):
        done = sum(services.revoke_token(actor=request.user, token=t) for t in queryset.select_related("system"))
        self.message_user(request, f"已吊销 {done} 个令牌。", messages.SUCCESS)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit log and the admin keep naming it


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ("work_order_id", "system", "dispute", "created_at")
    list_filter = ("system",)
    search_fields = ("work_order_id", "dispute__number")
    list_select_related = ("system", "dispute")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = CallbackAttempt
    extra = 0
    can_delete = False
    fields = ("number", "at", "status_code", "ok", "error", "response", "duration_ms")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Callback)
class CallbackAdmin(admin.ModelAdmin):
    list_display = ("work_order", "event", "status", "attempts", "next_attempt_at", "delivered_at", "created_at")
    list_filter = ("status", "event")
    search_fields = ("work_order__work_order_id", "work_order__dispute__number")
    list_select_related = ("work_order__system",)
    inlines = [AttemptInline]
    readonly_fields = ("work_order", "event", "delivery_id", "url", "body", "status", "attempts", "next_attempt_at",
                       "delivered_at", "created_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # a delivery log: viewed, never edited

    def has_delete_permission(self, request, obj=None):
        return False
