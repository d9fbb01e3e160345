"""Forms of the account pages (accounts/views.py). Validation only; the writes are in accounts.security."""

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model

from core.spreadsheets import FileRefused

from .onboarding_sheet import MAX_BYTES, read_rows


class ChangePasswordForm(auth_forms.PasswordChangeForm):
    """Django's form (old password, new twice, AUTH_PASSWORD_VALIDATORS with the user), plus: not the same again."""

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("new_password2")
        if password and not self.has_error("new_password2") and self.user.check_password(password):
            self.add_error("new_password2", forms.ValidationError("新密码不能与当前密码相同。", code="unchanged"))
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label="验证码", max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
        help_text="打开手机上的验证器应用，输入当前显示的 6 位数字。",
    )


class UsernameForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)

    def clean_username(self):
        return self.cleaned_data["username"].strip()


class AccountForm(UsernameForm):
    """A user name that must belong to an existing account."""

    def clean_username(self):
        username = super().clean_username()
        self.user = get_user_model().objects.filter(username=username).first()
        if self.user is None:
            raise forms.ValidationError("没有这个用户名的账号。")
        return username


class EnrolmentCodeForm(forms.Form):
    enrolment_code = forms.CharField(
        label="绑定码", max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "autofocus": True}),
        help_text="由安全管理员核实身份后签发，形如 ABCD-EFGH-JKMN-PQRS，24 小时内有效，只能使用一次。",
    )


class GrantDecisionForm(forms.Form):
    """Approve (note optional) or refuse (note required, checked by the service) a pending role grant."""

    note = forms.CharField(label="审批意见", max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": "如：已电话核实本人及岗位"}))


class OnboardingUploadForm(forms.Form):
    """The people and accounts workbook (accounts.onboarding_sheet): .xlsx, at most 10 MB and 5,000 rows; the sheet
    is read here, so a corrupt or wrong file is a field error in Chinese."""

    file = forms.FileField(
        label="Excel 文件",
        help_text="请使用下载的模板填写，.xlsx 格式，不超过10 MB，最多5000行。",
        error_messages={"required": "请选择要导入的 Excel 文件。", "empty": "文件是空的。"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument"
                                                         ".spreadsheetml.sheet"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(".xlsx"):
            raise forms.ValidationError("只能导入 .xlsx 格式的 Excel 文件。如为 .xls、.csv 或 WPS 文件，请先另存为 .xlsx。")
        if upload.size > MAX_BYTES:
            raise forms.ValidationError("文件不能超过10 MB，请分成几个文件导入。")
        data = b"".join(upload.chunks())
        try:
            self.rows = read_rows(data)
        except FileRefused as refused:
            raise forms.ValidationError(refused.message) from None
        self.data_bytes = data
        return upload
