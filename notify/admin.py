"""Admin of delivery: per-user preferences, the divisions' 企业微信 group robots, the delivery log (read only).

Notifications themselves are case content (they name cases): administrators never see them, so `Notification` is
not registered, and the delivery log shows the kind of item, the channel, the masked destination and the provider's
answers — never the case or the text.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone

from . import jobs
from .delivery import wecom
from .models import Delivery, DeliveryAttempt, DeliveryStatus, Preference, Robot


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "sms", "email", "quiet_start", "quiet_end")
    list_filter = ("sms", "email")
    search_fields = ("user__username", "user__first_name")
    autocomplete_fields = ("user",)


class RobotForm(forms.ModelForm):
    webhook_key = forms.CharField(
        label="机器人 Webhook 密钥", required=False, max_length=100, widget=forms.PasswordInput(render_value=False),
        help_text="企业微信群机器人 Webhook 地址中 key= 后面的部分。修改时留空表示不变。",
    )

    class Meta:
        model = Robot
        fields = ("division", "name", "webhook_key", "msgtype", "active")

    def clean_webhook_key(self):
        key = self.cleaned_data["webhook_key"].strip()
        if not key and not self.instance.pk:
            raise forms.ValidationError("请填写机器人 Webhook 密钥。")
        if key.startswith("http"):
            raise forms.ValidationError("只填写 key= 后面的部分，不要粘贴整个地址。")
        return key or self.instance.webhook_key


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotForm
    list_display = ("name", "division", "key_tail", "msgtype", "active")
    list_filter = ("active", "msgtype")
    search_fields = ("name", "division__name")
    autocomplete_fields = ("division",)
    actions = ["send_test"]

    @admin.action(description="向所选的群发送一条测试消息")
    def send_test(self, request, queryset):
        for robot in queryset:
            outcome = wecom.post(key=robot.webhook_key, msgtype="text",
                                 content="【平安周例会】测试消息：本群机器人已接入，待办将推送到本群（只含案件编号和标题）。")
            level, word = (messages.SUCCESS, "发送成功") if outcome.ok else (messages.ERROR, "发送失败")
            messages.add_message(request, level, f"{robot.name}：{word}（{outcome.answer[:200]}）")

    @admin.display(description="密钥（末四位）")
    def key_tail(self, obj):
        return f"****{obj.webhook_key[-4:]}" if obj.webhook_key else "—"


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ("number", "at", "ok", "answer", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "channel", "destination", "status", "attempts", "when", "note")
    list_filter = ("status", "channel", "urgent")
    search_fields = ("key",)
    list_select_related = ("notification",)
    fields = ("key", "kind", "channel", "robot", "destination", "urgent", "status", "attempts", "next_attempt_at",
              "sent_at", "note", "created_at")
    readonly_fields = fields
    inlines = [AttemptInline]
    actions = ["send_again"]
    date_hierarchy = "created_at"

    @admin.display(description="待办类别", ordering="notification__kind")
    def kind(self, obj):
        return obj.notification.get_kind_display()

    @admin.display(description="发送时间 / 下次发送", ordering="next_attempt_at")
    def when(self, obj):
        if obj.status == DeliveryStatus.SENT and obj.sent_at:
            return f"{timezone.localtime(obj.sent_at):%m-%d %H:%M}"
        if obj.status == DeliveryStatus.PENDING:
            return f"下次 {timezone.localtime(obj.next_attempt_at):%m-%d %H:%M}"
        return "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="重新发送所选的“发送失败”记录（再试一次）", permissions=["view"])
    def send_again(self, request, queryset):
        with transaction.atomic():
            ids = list(queryset.filter(status=DeliveryStatus.FAILED).select_for_update().values_list("pk", flat=True))
            Delivery.objects.filter(pk__in=ids).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(),
                                                        note="管理员要求重新发送。")
            for pk in ids:
                jobs.enqueue_on_commit(jobs.deliver, pk)
        messages.success(request, f"已安排重新发送{len(ids)}条记录。" if ids else "所选记录中没有“发送失败”的记录。")


# The job rows (django-tasks' DBTaskResult) carry only ids; their English admin is not shown (docs/jobs.md).
try:
    from django_tasks_db.models import DBTaskResult

    admin.site.unregister(DBTaskResult)
except (ImportError, admin.sites.NotRegistered):  # pragma: no cover
    pass
