import pytest
from django.core.exceptions import ValidationError

from core.validators import id_check_char, mask_id_number, mask_phone, validate_id_number, validate_phone


@pytest.mark.parametrize("value", ["11010519491231002X", "37082919900101123X", "440524188001010014"])
def test_valid_id_numbers(value):
    validate_id_number(value)
    validate_id_number(value.lower())  # a lowercase x is accepted and normalised


@pytest.mark.parametrize("value,code", [
    ("110105194912310021", "id_checksum"),
    ("370829199001011234", "id_checksum"),
    ("37082919900101123", "id_format"),
    ("370829199013011233", "id_birth"),
    ("A70829199001011233", "id_format"),
])
def test_invalid_id_numbers(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    assert exc.value.code == code


def test_check_char_covers_x():
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize("value", ["13812345678", "19912345678", "0537-6812345", "05376812345", "010-62345678"])
def test_valid_phones(value):
    validate_phone(value)


@pytest.mark.parametrize("value", ["12812345678", "1381234567", "138123456789", "6812345", "abc", "0537-0812345"])
def test_invalid_phones(value):
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_masks():
    assert mask_id_number("370829199001011233") == "3708**********1233"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0537-6812345") == "0537-***2345"
    assert mask_id_number("") == ""
