"""Seeing a party's full ID number, phone and address: how often, and the record it leaves (docs/pii.md).

Everywhere else these values are masked (core.validators mask_*). Who may is `cases.policy.can_reveal_pii`. A
reveal writes a `PiiReveal` row (the evidence table and the rate-limit counter), a timeline row and an audit row
in one transaction: if any write fails, nothing is shown. A refused reveal (over the limit) is audited too.

按身份证号/电话查找 (`lookup_pii`, who may: `cases.policy.can_lookup_pii`) is the only way to find a case by a
typed ID number or phone: the ledger's `?q=` does not match them, because a hit confirms a number the page shows
masked (issue 8, defect 1: ~2,300 guesses recover an ID number from its mask). A look-up writes a `PiiLookup` row
and an audit row whether it finds anything or not, and shares the reveal's hourly budget: reveals and look-ups
together, at most `PII_REVEALS_PER_HOUR`. The typed number is never stored, logged or put in a URL.
"""

import dataclasses
import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import audit
from audit.models import Action
from core import crypto
from core.errors import TooMany
from core.validators import normalize_phone

from .. import policy
from ..models import Dispute, EventKind, Party, PiiLookup, PiiLookupKind, PiiReveal
from ..selectors import cases_visible_to
from .record import record_change

REVEAL_WINDOW = datetime.timedelta(hours=1)
REVEAL_LIMIT_DEFAULT = 10


class RevealLimitExceeded(TooMany):
    """The user has already used the hourly budget (`limit` reveals and look-ups) in the last hour."""

    def __init__(self, limit, message=None):
        super().__init__(message or f"您在一小时内查看完整信息已达{limit}次上限，请稍后再试。")
        self.limit = limit


class LookupLimitExceeded(RevealLimitExceeded):
    """A look-up past the shared hourly budget."""

    def __init__(self, limit):
        super().__init__(limit, f"您在一小时内查看完整信息和按身份证号/电话查找合计已达{limit}次上限，请稍后再试。")


def reveal_limit() -> int:
    """The hourly budget of one user: reveals and look-ups together."""
    return getattr(settings, "PII_REVEALS_PER_HOUR", REVEAL_LIMIT_DEFAULT)


def budget_used(user, *, now=None) -> int:
    """Reveals plus look-ups of `user` in the last hour (two indexed counts: piireveal_user_at, piilookup_user_at)."""
    since = (now or timezone.now()) - REVEAL_WINDOW
    return (PiiReveal.objects.filter(user=user, at__gt=since).count()
            + PiiLookup.objects.filter(user=user, at__gt=since).count())


def _lock_user(actor):
    """The actor's user row, locked, so two simultaneous requests cannot both pass the count (PostgreSQL)."""
    get_user_model().objects.select_for_update().only("pk").get(pk=actor.pk)


def reveal_party_pii(*, actor, party: Party, reason: str) -> PiiReveal:
    """Record that `actor` saw `party` in full; refuse past the hourly limit (RevealLimitExceeded, audited).

    The actor's user row is locked first so two simultaneous reveals cannot both pass the count (PostgreSQL)."""
    with transaction.atomic():
        _lock_user(actor)
        if budget_used(actor) < reveal_limit():
            reveal = PiiReveal.objects.create(user=actor, party=party, reason=reason)
            record_change(party.dispute, actor, EventKind.PII_VIEWED, field="party", new=party.name, bump=False,
                          note=f"查看理由：{reason}", action=Action.PII_VIEW, obj=party, detail=reason)
            return reveal
    audit.record(None, action=Action.PII_VIEW, obj=party, user=actor, outcome="failure",
                 detail=f"超过每小时上限：{reason}", label=party.dispute.number)
    raise RevealLimitExceeded(reveal_limit())


# --- 按身份证号/电话查找 ------------------------------------------------------------------------------------------

KIND_LABELS = {PiiLookupKind.ID_NUMBER: "身份证号", PiiLookupKind.PHONE: "电话"}


@dataclasses.dataclass(frozen=True)
class LookupHit:
    """One case found, with the parties on it whose number matched (shown masked)."""

    case: Dispute
    parties: tuple[Party, ...]


def phone_spellings(value: str) -> list[str]:
    """The spellings a stored phone may have for a typed one: as typed (normalised), without its hyphen, and for a
    landline typed without one, with the hyphen after a 3- or 4-digit area code (0537-6812345 / 05376812345)."""
    typed = normalize_phone(value)
    digits = typed.replace("-", "")
    spellings = [typed, digits]
    if digits.startswith("0"):
        spellings += [f"{digits[:3]}-{digits[3:]}", f"{digits[:4]}-{digits[4:]}"]
    return list(dict.fromkeys(s for s in spellings if s))


def phone_hashes(value: str) -> list[str]:
    """The keyed hashes (`Party.phone_hash`) a typed phone may be stored under: every spelling, every key."""
    return [h for spelling in phone_spellings(value) for h in crypto.id_hash_candidates(spelling)]


def _hashes(kind: str, value: str) -> tuple[str, list[str]]:
    if kind == PiiLookupKind.ID_NUMBER:
        return "id_hash", crypto.id_hash_candidates(value)
    return "phone_hash", phone_hashes(value)


def _find(actor, kind: str, value: str) -> list[LookupHit]:
    """Cases the actor sees and may reveal on, with a party whose keyed hash matches: exact match, never LIKE.
    A case the actor sees only masked (a unit's 四定-only case) is left out, so a hit never confirms a number the
    actor could not reveal there."""
    column, hashes = _hashes(kind, value)
    if not hashes:
        return []
    parties = (Party.objects.filter(**{f"{column}__in": hashes}, dispute__in=cases_visible_to(actor).values("pk"))
               .select_related("dispute").order_by("-dispute__created_at", "-dispute_id", "id"))
    found: dict[int, list[Party]] = {}
    for party in parties:
        if policy.can_reveal_pii(actor, party.dispute):
            found.setdefault(party.dispute_id, []).append(party)
    return [LookupHit(case=ps[0].dispute, parties=tuple(ps)) for ps in found.values()]


def lookup_pii(*, actor, kind: str, value: str, reason: str) -> list[LookupHit]:
    """Find the cases with a party of this ID number or phone (`kind`: PiiLookupKind); refuse past the hourly budget
    shared with reveals (LookupLimitExceeded). Every call writes one audit row `pii_view` — found, not found or
    refused — whose detail names the kind, the number of cases found and the reason, never the number itself.

    The caller checked `policy.can_lookup_pii`; the actor's user row is locked so that two simultaneous requests
    cannot both pass the count (PostgreSQL)."""
    label = KIND_LABELS[kind]
    with transaction.atomic():
        _lock_user(actor)
        if budget_used(actor) < reveal_limit():
            hits = _find(actor, kind, value)
            row = PiiLookup.objects.create(user=actor, kind=kind, reason=reason, hits=len(hits))
            audit.record(None, action=Action.PII_VIEW, obj=row, user=actor,
                         detail=f"按{label}查找（命中{len(hits)}件）；理由：{reason}",
                         label="、".join(hit.case.number for hit in hits))
            return hits
    audit.record(None, action=Action.PII_VIEW, user=actor, outcome="failure",
                 detail=f"按{label}查找（超过每小时上限，未查找）；理由：{reason}")
    raise LookupLimitExceeded(reveal_limit())
