"""The filter form of the 预警 list."""

from django import forms

from ..models import WarningLevel, WarningStatus

STATUS_ALL = "all"
ORDER_LEVEL, ORDER_REASSESS, ORDER_NEWEST = "level", "reassess", "newest"


class WarningFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态", required=False,
        choices=[(WarningStatus.OPEN, "预警中"), (WarningStatus.CLOSED, "已解除"), (STATUS_ALL, "全部")],
    )
    level = forms.ChoiceField(label="预警等级", required=False, choices=[("", "全部等级"), *WarningLevel.choices])
    order = forms.ChoiceField(
        label="排序", required=False,
        choices=[(ORDER_LEVEL, "按预警等级"), (ORDER_REASSESS, "按重新评估日期"), (ORDER_NEWEST, "最新发出")],
    )


class AnswerWarningForm(forms.Form):
    reply = forms.CharField(
        label="批示/回复意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明处置要求、牵头单位和时间，或对报送方的答复。",
        error_messages={"required": "请填写批示/回复意见。", "max_length": "批示/回复意见不能超过2000字。"},
    )
