"""Password rules beyond Django's own validators (等保 8.1.4.1 a: 口令具有复杂度要求并定期更换).

Listed in settings.AUTH_PASSWORD_VALIDATORS after Django's length, similarity, common-password and all-digits checks,
whose messages are worded in Chinese by the project's catalogue (locale/zh_Hans/LC_MESSAGES/django.po).
"""

import string

from django.core.exceptions import ValidationError
from django.utils import timezone

CLASSES = (
    ("大写字母", lambda c: c in string.ascii_uppercase),
    ("小写字母", lambda c: c in string.ascii_lowercase),
    ("数字", lambda c: c in string.digits),
    ("符号", lambda c: not c.isalnum() and not c.isspace()),
)


class CharacterClassValidator:
    """At least `min_classes` of: upper-case letters, lower-case letters, digits, symbols."""

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        present = sum(1 for _, test in CLASSES if any(test(c) for c in password))
        if present < self.min_classes:
            raise ValidationError(
                f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。",
                code="password_too_few_classes",
            )

    def get_help_text(self):
        return f"密码须至少包含大写字母、小写字母、数字、符号中的 {self.min_classes} 类。"


class PasswordChangeTracker:
    """Not a rule: Django calls `password_changed` whenever a user's password is set and saved — by the user, an
    administrator, `seed_demo` or `manage.py changepassword` — so the age rule always counts from the real change.

    Whether the user must change it again (admin-set passwords) is decided by the caller, see accounts.security."""

    def validate(self, password, user=None):
        return None

    def password_changed(self, password, user=None):
        if user is None or user.pk is None:
            return
        from org.models import Membership

        Membership.objects.filter(user_id=user.pk).update(password_changed_at=timezone.now())

    def get_help_text(self):
        from django.conf import settings

        days = settings.PASSWORD_MAX_AGE_DAYS
        return f"密码每 {days} 天须更换一次。" if days else ""
