"""The project's catalogue words Django's own messages in Chinese; its compiled .mo matches the .po."""

import gettext
import pathlib
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

LOCALE = pathlib.Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _po_entries():
    """(msgid, msgstr) pairs of the .po (the first plural form for plural entries); enough for our small file."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        msgid = re.search(r'^msgid "(.*)"$', block, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? "(.*)"$', block, re.M)
        if msgid and msgstr and msgid.group(1):
            entries.append((msgid.group(1), msgstr.group(1)))
    return entries


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    entries = _po_entries()
    assert len(entries) >= 8
    for msgid, msgstr in entries:
        assert compiled.gettext(msgid) == msgstr or compiled.ngettext(msgid, msgid, 1) == msgstr, msgid


@pytest.mark.django_db
@pytest.mark.parametrize("password, message", [
    ("Ab1!", "密码太短：至少需要 10 个字符。"),
    ("1234567890123", "密码不能全是数字。"),
    ("password123", "这个密码太常见，容易被猜中。"),
])
def test_djangos_password_rules_speak_our_chinese(password, message):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert message in refused.value.messages
