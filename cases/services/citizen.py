"""The citizen's side (issue 13 #4, docs/citizen.md): the 查询码, the public status, the rating, the rate limits.

* A 查询码 is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn with `secrets`: 31¹² ≈ 2⁵⁹
  codes. It is made with the case (`create_dispute` calls `create_code`); a case registered before codes existed gets
  one when its holder first opens the receipt (`issue_code`), and a holder may replace a lost or leaked one
  (`issue_code(replace=True)`: the old code stops working at once).
* Stored encrypted (reprinting) and as a keyed hash (`code_hashes`); a public look-up compares hashes only, through
  the unique index, never the plaintext and never a prefix.
* `public_status(case)` is THE list of what the public page may show: status, tier, the town, dates. The public
  templates receive that object, never the case, so a party's name or the description cannot reach them.
* A rating is taken once per case and only after 结案 (`rate_case`); names, ID numbers, phones and house numbers
  typed into the comment are replaced before it is stored (`rules.anonymise.scrub`).
* `throttle(ip, bucket)`: per client address and window, in the cache (settings.CITIZEN_*).

These are not `record_change` services: a code and a rating change no field of the case and the citizen has no
account (a timeline row needs an actor), so each writes one audit row instead, about the case.
"""

import dataclasses
import datetime
import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from audit.models import Action
from core import crypto
from core.errors import Conflict, Forbidden, Refused, TooMany

from .. import policy
from ..models import CitizenCode, CitizenRating, Dispute, Satisfaction, Status
from ..rules.anonymise import labels, scrub
from ._common import lock_case

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12
COMMENT_MAX = 300
_HASH_PREFIX = "查询码:"  # keeps these hashes apart from the ID-number hashes made with the same key
_TYPED = re.compile(r"[\s\-－—_·.]")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(text) -> str | None:
    """A typed or scanned code as stored: spaces and dashes dropped, upper case; None when it cannot be one."""
    code = _TYPED.sub("", str(text or "")).upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN: how a code is printed (the dashes are optional when typed)."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def code_hash(code: str) -> str:
    return crypto.id_hash(_HASH_PREFIX + code)


def code_hashes(code: str) -> list[str]:
    """The code's hash under the current and old keys (a look-up keeps working through a key rotation)."""
    return crypto.id_hash_candidates(_HASH_PREFIX + code)


def _store_code(case: Dispute, actor, *, replace: bool) -> CitizenCode:
    """A fresh code for `case` (a new row, or the existing row rewritten). A hash collision (2⁻⁵⁹ per pair) is
    retried inside a savepoint."""
    for _ in range(5):
        code = new_code()
        row = CitizenCode(dispute=case, code=code, code_hash=code_hash(code), issued_at=timezone.now(),
                          issued_by=actor)
        try:
            with transaction.atomic():
                if replace:
                    old = CitizenCode.objects.select_for_update().get(dispute=case)
                    row.replaced = old.replaced + 1
                    row.save(force_update=True)
                else:
                    row.save(force_insert=True)
            return row
        except IntegrityError:
            continue
    raise Conflict("生成查询码失败，请重试。")


def create_code(*, actor, dispute: Dispute) -> CitizenCode:
    """The code of a case being registered: called by `create_dispute` inside its transaction (its audit row is the
    registration's)."""
    return _store_code(dispute, actor, replace=False)


@transaction.atomic
def issue_code(*, actor, dispute: Dispute, replace: bool = False) -> CitizenCode:
    """The case's code for its receipt: the existing one (a repeated click changes nothing), a first one for a case
    registered before codes existed, or with `replace` a new one that voids the old. One audit row when a code is
    made."""
    case = lock_case(actor, dispute)
    if not policy.can_print_receipt(actor, case):
        raise Forbidden("只有承办该案件的人员可以为当事人出具回执。")
    existing = CitizenCode.objects.filter(dispute=case).first()
    if existing is not None and not replace:
        return existing
    row = _store_code(case, actor, replace=existing is not None)
    audit.record(None, action=Action.CASE_WRITE, obj=case, user=actor, label=case.number,
                 detail="重新生成查询码（原查询码作废）" if existing is not None else "生成查询码")
    return row


def receipt_code(dispute: Dispute) -> CitizenCode | None:
    return CitizenCode.objects.filter(dispute=dispute).select_related("issued_by").first()


def applicant_label(dispute: Dispute) -> str:
    """The first applicant as 张某 (rules.anonymise.labels), or "" — all the receipt says about a person."""
    parties = list(dispute.parties.all())
    applicant = next((p for p in parties if p.role == "applicant"), None)
    return labels(parties).get(applicant.name, "") if applicant is not None else ""


# --- the public page --------------------------------------------------------------------------------------------------


def find_by_code(text) -> Dispute | None:
    """The case whose current code is `text` (typed or scanned), or None. By keyed hash through the unique index."""
    code = normalize_code(text)
    if code is None:
        return None
    row = (CitizenCode.objects.filter(code_hash__in=code_hashes(code))
           .select_related("dispute__village__parent").first())
    return row.dispute if row is not None else None


STATUS_EXPLAINED = {
    Status.LOGGED: "已登记，等待调处。",
    Status.IN_PROGRESS: "正在调处。",
    Status.REFERRED: "已提请上一级处理，等待签收。",
    Status.RESOLVED: "已化解，将安排回访。",
    Status.CLOSED: "已办结。",
    Status.REJECTED: "不予受理。原因请向登记单位或热线咨询。",
}
TIER_EXPLAINED = {"village": "村（社区）调处", "town": "镇（街道）调处", "county": "县级调处"}


@dataclasses.dataclass(frozen=True)
class PublicStatus:
    """Everything the public page shows about a case, and nothing else (no name, description, village, holder)."""

    number: str
    status: str
    status_label: str
    status_note: str
    tier_label: str
    town: str
    registered_on: datetime.date
    updated_on: datetime.date
    deadline_on: datetime.date | None
    resolved_on: datetime.date | None
    closed_on: datetime.date | None
    rejected: bool
    can_rate: bool
    rating_label: str


def _local_date(value):
    return timezone.localdate(value) if value else None


def public_status(case: Dispute) -> PublicStatus:
    rating = case.citizen_ratings.first()
    return PublicStatus(
        number=case.number, status=case.status, status_label=case.get_status_display(),
        status_note=STATUS_EXPLAINED.get(case.status, ""), tier_label=TIER_EXPLAINED.get(case.tier, ""),
        town=case.village.parent.name if case.village.parent_id else "",
        registered_on=_local_date(case.created_at), updated_on=_local_date(case.updated_at),
        deadline_on=_local_date(case.deadline) if case.is_open else None,
        resolved_on=_local_date(case.resolved_at), closed_on=_local_date(case.closed_at),
        rejected=case.status == Status.REJECTED,
        can_rate=case.status == Status.CLOSED and rating is None,
        rating_label=rating.get_satisfaction_display() if rating is not None else "",
    )


class AlreadyRated(Conflict):
    def __init__(self):
        super().__init__("该案件已经评价过了，每件案件只能评价一次。感谢您的反馈！")


@transaction.atomic
def rate_case(*, dispute: Dispute, satisfaction: str, comment: str = "") -> CitizenRating:
    """The citizen's rating: once per case (AlreadyRated, also when two arrive at once), only after 结案."""
    case = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if case.status != Status.CLOSED:
        raise Refused("案件结案后才能评价办理情况。")
    if satisfaction not in Satisfaction.values:
        raise Refused("请选择满意、基本满意或不满意。", field="satisfaction")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise Refused(f"意见建议不能超过{COMMENT_MAX}字。", field="comment")
    if CitizenRating.objects.filter(dispute=case).exists():
        raise AlreadyRated()
    try:
        with transaction.atomic():
            rating = CitizenRating.objects.create(dispute=case, satisfaction=satisfaction,
                                                  comment=scrub(comment, case.parties.all())[:COMMENT_MAX])
    except IntegrityError:  # the other request won the race (citizen_rating_once_per_case)
        raise AlreadyRated() from None
    audit.record(None, action=Action.CASE_WRITE, obj=case, label=case.number,
                 detail=f"群众评价：{rating.get_satisfaction_display()}（公开查询页）")
    return rating


# --- rate limits --------------------------------------------------------------------------------------------------------

LIMITS = {"lookup": "CITIZEN_LOOKUPS_PER_WINDOW", "rating": "CITIZEN_RATINGS_PER_WINDOW"}


class TooManyLookups(TooMany):
    def __init__(self, retry_after: int):
        minutes = max(1, -(-retry_after // 60))
        super().__init__(f"查询过于频繁，请{minutes}分钟后再试。如有急事，请拨打{settings.CITIZEN_HOTLINE}。")
        self.retry_after = retry_after


def throttle(ip: str | None, bucket: str, *, now=None) -> None:
    """Count one request of `ip` in `bucket` ("lookup", "rating") for the current fixed window; past the limit
    TooManyLookups (429). The cache's add + incr are atomic (Redis; per process with the local-memory default)."""
    window = max(1, settings.CITIZEN_WINDOW_SECONDS)
    limit = getattr(settings, LIMITS[bucket])
    now = int((now or timezone.now()).timestamp())
    slot = now // window
    key = f"citizen:{bucket}:{ip or '-'}:{slot}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        raise TooManyLookups(retry_after=(slot + 1) * window - now)
