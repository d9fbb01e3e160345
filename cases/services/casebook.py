"""典型案例: list a resolved case in the casebook (典型案例汇编) and withdraw it again.

The text that goes into the casebook must not identify anyone: `rules.anonymise.leaks` checks the title, the
summary and the experience for a party's name, an ID number, a phone and a house number, and the service refuses
with the field it found them in (the ID number or phone itself is never echoed back).
"""

from django.db import transaction
from django.utils import timezone

from core.errors import Forbidden, Refused

from .. import policy
from ..models import GOVERNANCE_FIELDS, EventKind, GovernanceTag, MethodTag, Outcome, Status, TypicalCase, methods_value
from ..rules.anonymise import leaks
from ._common import lock_case, required
from .record import record_change

TYPICAL_STATUSES = (Status.RESOLVED, Status.CLOSED)
TYPICAL_OUTCOMES = (Outcome.SUCCESS, Outcome.PARTIAL)
FIELD_WORDS = {"title": "案例标题", "summary": "案情简介", "experience": "化解过程与经验"}


def _check_text(field: str, text: str, parties) -> None:
    found = leaks(text, parties)
    if not found:
        return
    names = [f for f in found if f.startswith("当事人")]
    advice = "请改为张某、李某等" if names and len(names) == len(found) else (
        "请将姓名改为张某、李某等，并删除身份证号、电话和门牌号" if names else "请删除或改写")
    raise Refused(f"{FIELD_WORDS[field]}中仍含有{'、'.join(found)}，{advice}。", field=field)


def _check_case(actor, case) -> None:
    if not policy.can_mark_typical(actor, case):
        raise Forbidden("只有案件所在镇街或县社会治理协调中心可以列入或撤销典型案例。")


@transaction.atomic
def mark_typical(*, actor, dispute, summary, self_gov_tags, method_tags, title: str = "", experience: str = "",
                 meeting=None) -> TypicalCase:
    """List the case as 典型案例 (again, after a withdrawal; or edit the text of one already listed)."""
    case = lock_case(actor, dispute)
    _check_case(actor, case)
    if case.status not in TYPICAL_STATUSES or case.outcome not in TYPICAL_OUTCOMES:
        raise Refused("只有已化解或已结案、且调解成功或部分达成的案件可以列为典型案例。", field="summary")
    texts = {
        "title": required(title or case.title, "案例标题", 100),
        "summary": required(summary, "案情简介", 3000),
        "experience": required(experience, "化解过程与经验", 3000) if experience else "",
    }
    parties = list(case.parties.only("id", "name"))
    for field, text in texts.items():
        _check_text(field, text, parties)
    tags = {str(t) for t in self_gov_tags or ()}
    if not tags or not tags <= set(GovernanceTag.values):
        raise Refused("请至少选择一项“三治”标签（自治、法治、德治）。", field="self_gov_tags")
    methods = {str(m) for m in method_tags or ()}
    if not methods <= set(MethodTag.values):
        raise Refused("调解方法中有无效的选项。", field="method_tags")
    typical = TypicalCase.objects.select_for_update().filter(dispute=case).first() or TypicalCase(dispute=case)
    again = typical.pk is not None
    for field, text in texts.items():
        setattr(typical, field, text)
    for tag, field in GOVERNANCE_FIELDS.items():
        setattr(typical, field, tag in tags)
    typical.methods = methods_value(methods)
    typical.marked_by, typical.marked_at = actor, timezone.now()
    typical.withdrawn, typical.withdrawn_by, typical.withdrawn_at, typical.withdraw_reason = False, None, None, ""
    typical.full_clean(exclude=["dispute", "marked_by", "withdrawn_by"])
    typical.save()
    record_change(case, actor, EventKind.TYPICAL_MARKED, meeting=meeting, note=typical.title, bump=False, obj=typical,
                  detail="修改典型案例" if again else "列为典型案例")
    return typical


@transaction.atomic
def withdraw_typical(*, actor, dispute, reason, meeting=None) -> TypicalCase:
    """Take the case out of the casebook (the record stays, marked withdrawn; it can be listed again)."""
    case = lock_case(actor, dispute)
    _check_case(actor, case)
    reason = required(reason, "撤销原因", 200)
    typical = TypicalCase.objects.select_for_update().filter(dispute=case, withdrawn=False).first()
    if typical is None:
        raise Refused("该案件未列为典型案例。", field="reason")
    typical.withdrawn, typical.withdrawn_by, typical.withdrawn_at = True, actor, timezone.now()
    typical.withdraw_reason = reason
    typical.save(update_fields=["withdrawn", "withdrawn_by", "withdrawn_at", "withdraw_reason"])
    record_change(case, actor, EventKind.TYPICAL_WITHDRAWN, meeting=meeting, note=reason, bump=False, obj=typical,
                  detail="撤销典型案例")
    return typical
