"""Identity-number and phone checks, and the masks used wherever they are shown."""

import datetime
import re
from typing import NamedTuple

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
    """Upper-case, without the spaces people type to group the digits (370829 19800101 0013)."""
    return re.sub(r"\s", "", value or "").upper()


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


class IdFacts(NamedTuple):
    """What an 18-digit ID number says about its holder. `sex` uses the party's codes (cases.models.Sex)."""

    sex: str  # "M" 男 / "F" 女
    birth_date: datetime.date


def id_number_facts(value: str) -> IdFacts | None:
    """Sex and birth date read from a valid 18-digit ID number (GB 11643-1999: digits 7-14 are the birth date, the
    17th digit is odd for men and even for women); None when the number is empty or fails `validate_id_number`."""
    value = normalize_id_number(value)
    try:
        validate_id_number(value)
    except ValidationError:
        return None
    birth = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    return IdFacts(sex="M" if int(value[16]) % 2 else "F", birth_date=birth)


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
