"""Seeing a party's full ID number, phone and address: how often, and the record it leaves (docs/pii.md).

Everywhere else these values are masked (core.validators mask_*). Who may is `cases.policy.can_reveal_pii`. A
reveal writes a `PiiReveal` row (the evidence table and the rate-limit counter), a timeline row and an audit row
in one transaction: if any write fails, nothing is shown. A refused reveal (over the limit) is audited too.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import audit
from audit.models import Action
from core.errors import TooMany

from ..models import EventKind, Party, PiiReveal
from .record import record_change

REVEAL_WINDOW = datetime.timedelta(hours=1)
REVEAL_LIMIT_DEFAULT = 10


class RevealLimitExceeded(TooMany):
    """The user has already seen `limit` parties' full information in the last hour."""

    def __init__(self, limit):
        super().__init__(f"您在一小时内查看完整信息已达{limit}次上限，请稍后再试。")
        self.limit = limit


def reveal_limit() -> int:
    return getattr(settings, "PII_REVEALS_PER_HOUR", REVEAL_LIMIT_DEFAULT)


def reveals_in_window(user, *, now=None) -> int:
    now = now or timezone.now()
    return PiiReveal.objects.filter(user=user, at__gt=now - REVEAL_WINDOW).count()


def reveal_party_pii(*, actor, party: Party, reason: str) -> PiiReveal:
    """Record that `actor` saw `party` in full; refuse past the hourly limit (RevealLimitExceeded, audited).

    The actor's user row is locked first so two simultaneous reveals cannot both pass the count (PostgreSQL)."""
    with transaction.atomic():
        get_user_model().objects.select_for_update().only("pk").get(pk=actor.pk)
        if reveals_in_window(actor) < reveal_limit():
            reveal = PiiReveal.objects.create(user=actor, party=party, reason=reason)
            record_change(party.dispute, actor, EventKind.PII_VIEWED, field="party", new=party.name, bump=False,
                          note=f"查看理由：{reason}", action=Action.PII_VIEW, obj=party, detail=reason)
            return reveal
    audit.record(None, action=Action.PII_VIEW, obj=party, user=actor, outcome="failure",
                 detail=f"超过每小时上限：{reason}", label=party.dispute.number)
    raise RevealLimitExceeded(reveal_limit())
