"""Registering a batch of 排查 results from an Excel upload (issue 10, point 7). Rows are validated by the
registration form (cases/imports.py); each one is registered by `create_dispute`, exactly like a case typed in by
hand (number, 登记 timeline row, audit row), and the batch leaves one `import` audit row. All or nothing."""

from django.db import transaction

import audit
from audit.models import Action
from core.errors import Forbidden, Refused
from org.selectors import membership_of, villages_within

from .. import policy
from ..models import Dispute
from .disputes import create_dispute

MAX_ROWS = 5000


@transaction.atomic
def import_cases(*, actor, rows: list[dict], file_name: str = "") -> list[Dispute]:
    """Register every row (`{"village": Division, "fields": {...}, "parties": [...]}`, as `create_dispute` takes
    them) in one transaction: if one fails, none is registered. Villages must lie in the actor's jurisdiction."""
    if not policy.can_register(actor):
        raise Forbidden("您的角色不能登记矛盾纠纷。")
    if not rows:
        raise Refused("没有可导入的数据行。")
    if len(rows) > MAX_ROWS:
        raise Refused(f"一次最多导入{MAX_ROWS}行。")
    allowed = set(villages_within(membership_of(actor).division).values_list("pk", flat=True))
    if any(row["village"].pk not in allowed for row in rows):
        raise Refused("导入的数据中有不在您辖区内的村/社区。")
    cases = [create_dispute(actor=actor, village=row["village"], fields=row["fields"], parties=row["parties"])
             for row in rows]
    audit.record(None, action=Action.IMPORT, user=actor, label=f"{file_name or 'Excel'}（{len(cases)}件）"[:200],
                 detail=f"批量导入排查登记{len(cases)}件：{cases[0].number}至{cases[-1].number}")
    return cases
