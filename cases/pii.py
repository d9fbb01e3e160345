"""Seeing a party's full ID number, phone and address: who may, how often, and the record it leaves (docs/pii.md).

Everywhere else these values are masked (cases/validators.py mask_*). A reveal is one POST with a reason; it
writes a `PiiReveal` row (the evidence table and the rate-limit counter) and an audit record (cases/views_pii.py).
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from org.models import CASE_WRITER_ROLES, Role
from org.selectors import membership_of

from .models import Dispute, Party, PiiReveal

REVEAL_WINDOW = datetime.timedelta(hours=1)
REVEAL_LIMIT_DEFAULT = 10
REASON_MIN_CHARS = 4


class RevealLimitExceeded(Exception):
    """The user has already seen `limit` parties' full information in the last hour."""


def reveal_limit() -> int:
    return getattr(settings, "PII_REVEALS_PER_HOUR", REVEAL_LIMIT_DEFAULT)


def works_on_case(user, dispute: Dispute) -> bool:
    """Who handles the case: case-writer roles, the county centre, and staff of the unit currently holding it.
    Jurisdiction is settled by `get_case_for_user` before this is asked; supervisors, discipline and units that
    only see the case through a 四定 read it masked."""
    m = membership_of(user)
    if m is None:
        return False
    if m.role in CASE_WRITER_ROLES or m.role == Role.COUNTY_CENTRE:
        return True
    return m.role == Role.UNIT_STAFF and m.unit_id is not None and m.unit_id == dispute.holder_unit_id


def can_reveal_pii(user, dispute: Dispute) -> bool:
    return works_on_case(user, dispute)


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


def reveals_in_window(user, *, now=None) -> int:
    now = now or timezone.now()
    return PiiReveal.objects.filter(user=user, at__gt=now - REVEAL_WINDOW).count()


@transaction.atomic
def reveal_party_pii(*, actor, party: Party, reason: str) -> PiiReveal:
    """Record that `actor` saw `party` in full; refuse past the hourly limit (RevealLimitExceeded).

    The actor's user row is locked first so two simultaneous reveals cannot both pass the count (PostgreSQL)."""
    get_user_model().objects.select_for_update().only("pk").get(pk=actor.pk)
    if reveals_in_window(actor) >= reveal_limit():
        raise RevealLimitExceeded(reveal_limit())
    return PiiReveal.objects.create(user=actor, party=party, reason=reason)
