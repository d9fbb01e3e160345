"""The reason form of the "查看完整信息" page."""

from django import forms

REASON_MIN_CHARS = 4


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="查看理由", max_length=200, strip=True,
        help_text="如“电话联系当事人安排调解”“核对身份后制作调解协议”。理由将记入查看记录。",
        error_messages={"required": "请填写查看理由。", "max_length": "查看理由不能超过200字。"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"]
        if len(reason) < REASON_MIN_CHARS:
            raise forms.ValidationError(f"请写明查看理由，至少{REASON_MIN_CHARS}个字。")
        return reason
