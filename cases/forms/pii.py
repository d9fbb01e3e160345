"""The reason form of the "查看完整信息" page, and the form of the 按身份证号/电话查找 page."""

import re

from django import forms

from core.validators import normalize_phone, validate_id_number, validate_phone

from ..models import PiiLookupKind

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


# --- 按身份证号/电话查找 -------------------------------------------------------------------------------------------

# Seven or more digits in a row (hyphens and spaces ignored) look like an ID or phone number.
_NUMBER_IN_TEXT = re.compile(r"\d{7,}")


def _looks_like_id_number(value: str) -> bool:
    """18 characters not starting with 0 (a landline's area code does): checked as an ID number, else as a phone."""
    return len(value) == 18 and not value.startswith("0")


class LookupForm(forms.Form):
    """The number (an ID number or a phone, told apart by its form) and the reason. `cleaned_data["kind"]` is a
    PiiLookupKind; `cleaned_data["number"]` the normalised number. Sent by POST only, never in a URL."""

    number = forms.CharField(
        label="身份证号或电话", max_length=40, strip=True,
        help_text="18位身份证号，或11位手机号、带区号的固定电话。只查完整号码的精确匹配。",
        error_messages={"required": "请填写要查找的身份证号或电话。", "max_length": "号码过长，请核对后重新输入。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    reason = forms.CharField(
        label="查找理由", max_length=200, strip=True,
        help_text="如“当事人来访，核实其是否已有登记的纠纷”。理由将记入查找记录；请勿在理由中填写号码。",
        error_messages={"required": "请填写查找理由。", "max_length": "查找理由不能超过200字。"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def clean_number(self):
        value = "".join(self.cleaned_data["number"].split()).upper()
        if _looks_like_id_number(value):
            validate_id_number(value)
            return value
        try:
            validate_phone(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                "请输入18位身份证号，或11位手机号、带区号的固定电话。", code="lookup_number"
            ) from None
        return value

    def clean(self):
        cleaned = super().clean()
        if "number" in cleaned:
            is_id = _looks_like_id_number(cleaned["number"])
            cleaned["kind"] = PiiLookupKind.ID_NUMBER if is_id else PiiLookupKind.PHONE
        return cleaned

    def clean_reason(self):
        return clean_lookup_reason(self.cleaned_data["reason"])


def clean_lookup_reason(reason: str) -> str:
    """A look-up's reason: at least REASON_MIN_CHARS characters, and no number in it (it is stored and audited)."""
    if len(reason) < REASON_MIN_CHARS:
        raise forms.ValidationError(f"请写明查找理由，至少{REASON_MIN_CHARS}个字。")
    if _NUMBER_IN_TEXT.search(re.sub(r"[\s-]", "", reason)):
        raise forms.ValidationError("查找理由中请勿填写身份证号或电话号码。")
    return reason


class PhoneSearchForm(forms.Form):
    """按电话查找 in the ledger (cases.views.history.phone_search): a phone and the reason, POST only, as on the
    look-up page; `query` carries the ledger's other filters back. `cleaned_data["phone"]` is normalised
    (core.validators.normalize_phone)."""

    phone = forms.CharField(
        label="联系电话", max_length=40, strip=True,
        help_text="11位手机号或带区号的固定电话，完整号码精确匹配；号码不会出现在网址中。",
        error_messages={"required": "请填写要查找的电话号码。", "max_length": "号码过长，请核对后重新输入。"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "spellcheck": "false"}),
    )
    reason = forms.CharField(
        label="查找理由", max_length=200, strip=True,
        help_text="如“当事人来电，核实其是否已有登记的纠纷”。理由将记入查找记录；请勿在理由中填写号码。",
        error_messages={"required": "请填写查找理由。", "max_length": "查找理由不能超过200字。"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "ps_%s")  # the ledger's own filter form has an `id_phone` (the token)
        super().__init__(*args, **kwargs)

    def clean_phone(self):
        value = normalize_phone(self.cleaned_data["phone"])
        validate_phone(value)
        return value

    def clean_reason(self):
        return clean_lookup_reason(self.cleaned_data["reason"])
