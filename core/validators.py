"""Identity-number and phone checks, and the masks used wherever they are shown."""

import datetime
import re

from django.core.exceptions import ValidationError

# GB 11643-1999: 17 digits weighted, sum mod 11 maps to the check character.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[1-9]\d{16}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?[2-9]\d{6,7}$")


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper()


def validate_id_number(value: str) -> None:
    value = normalize_id_number(value)
    if not _ID_RE.match(value):
        raise ValidationError("身份证号应为18位：前17位数字，最后一位为数字或X。", code="id_format")
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError("身份证号中的出生日期无效。", code="id_birth") from None
    if id_check_char(value[:17]) != value[17]:
        raise ValidationError("身份证号校验位不正确，请核对后重新输入。", code="id_checksum")


def normalize_phone(value: str) -> str:
    return re.sub(r"[\s]", "", value or "")


def validate_phone(value: str) -> None:
    value = normalize_phone(value)
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise ValidationError(
            "请输入11位手机号（如13812345678）或带区号的固定电话（如0537-6812345）。", code="phone_format"
        )


def mask_id_number(value: str) -> str:
    """3708**********1234: first 4 and last 4 characters kept."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; landlines keep the area code and last 4 digits."""
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    area = value.split("-")[0] if "-" in value else digits[:4]
    return area + "-" + "*" * max(len(digits) - len(area) - 4, 1) + digits[-4:]


_ADDRESS_PLACE = re.compile(r"^.*?(?:村|社区|居委会|小区)")


def mask_address(value: str) -> str:
    """嘉祥街道刘山村东街88号 → 嘉祥街道刘山村****: the village or community stays, house details do not."""
    if not value:
        return ""
    m = _ADDRESS_PLACE.match(value)
    kept = m.group(0) if m and len(m.group(0)) < len(value) else value[: min(4, len(value) // 2)]
    return kept + "****"
