"""The citizen's forms (docs/citizen.md): typing a 查询码 on /q/, rating the handling after 结案, and the holder's
confirmation before replacing a code."""

from django import forms

from ..models import Satisfaction
from ..services.citizen import COMMENT_MAX, normalize_code


class CodeForm(forms.Form):
    code = forms.CharField(
        label="查询码", max_length=40, strip=True,
        help_text="回执上的12位查询码，字母不区分大小写，可不输入短横线。",
        error_messages={"required": "请输入回执上的查询码。", "max_length": "查询码为12位，请核对回执。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                                      "inputmode": "text"}),
    )

    def clean_code(self):
        code = normalize_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("查询码为12位字母和数字（不含0、1、I、L、O），请核对回执。")
        return code


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label="您对办理情况的评价", choices=Satisfaction.choices, widget=forms.RadioSelect,
        error_messages={"required": "请选择满意、基本满意或不满意。", "invalid_choice": "请选择满意、基本满意或不满意。"},
    )
    comment = forms.CharField(
        label="意见建议（可不填）", required=False, max_length=COMMENT_MAX, strip=True,
        help_text=f"最多{COMMENT_MAX}字。请不要填写姓名、身份证号、电话等个人信息（填写的也会被隐去）。",
        error_messages={"max_length": f"意见建议不能超过{COMMENT_MAX}字。"},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
    )


class ReplaceCodeForm(forms.Form):
    confirm = forms.BooleanField(
        label="我已知晓：原查询码和原回执上的二维码将立即作废，须把新回执交给当事人。",
        error_messages={"required": "请勾选确认后再重新生成查询码。"},
    )
