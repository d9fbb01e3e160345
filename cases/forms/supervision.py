"""Forms of the 纪委's supervision page."""

from django import forms

SHOW_OPEN, SHOW_ALL = "open", "all"


class SupervisionFilterForm(forms.Form):
    show = forms.ChoiceField(label="范围", required=False, choices=[(SHOW_OPEN, "督办中"), (SHOW_ALL, "全部")])


class CloseSupervisionForm(forms.Form):
    note = forms.CharField(
        label="办结意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写督办办结意见。", "max_length": "办结意见不能超过2000字。"},
    )
    confirm = forms.BooleanField(
        label="确认办结：办结后督办结束，不能撤销", error_messages={"required": "请勾选“确认办结”后再提交。"},
    )
