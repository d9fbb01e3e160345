"""The ledger as an Excel workbook (导出Excel; issue 10): one row per case, written in constant memory.

`write_ledger(cases, target)` writes a queryset (the ledger's filtered `selectors.case_export_rows`) to a path or a
binary file and returns the number of rows. XlsxWriter's constant_memory mode flushes each row as it is written, and
the queryset is read with `.iterator(chunk_size=CHUNK_SIZE)`: memory and the query count stay flat however many rows
(one parties query per chunk). The view (cases.views.export) and `manage.py benchmark --export` both call it.

ID numbers and phones are written masked with core.validators' masks, never in full. Every text cell is written
with write_string, so a title that starts with "=" stays text and never becomes a formula. Times are local
(Asia/Shanghai), written as real Excel dates (naive, as Excel has no time zones).
"""

import datetime
import functools

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone

from core.validators import mask_id_number, mask_phone
from org.models import Division

from .models import Category, Dispute, Outcome, PartyRole, Risk, Source, Status, Tier

CHUNK_SIZE = 2000
SHEET_NAME = "矛盾纠纷台账"
SEPARATOR = "；"  # between the parties of one case, in the same order in every party column
MISSING = "—"  # a party without an ID number or phone keeps its place in the list

DATE, DATETIME, NUMBER = "date", "datetime", "number"
# Labels looked up once (get_FOO_display per cell costs more than the workbook itself on 50,000 rows).
LABELS = {name: dict(choices) for name, choices in (
    ("category", Category.choices), ("source", Source.choices), ("risk", Risk.choices), ("status", Status.choices),
    ("tier", Tier.choices), ("outcome", Outcome.choices), ("role", PartyRole.choices),
)}


def _local(value: datetime.datetime | None, zone) -> datetime.datetime | None:
    return None if value is None else value.astimezone(zone).replace(tzinfo=None)


@functools.cache
def _short_name(village_name: str) -> str:
    return Division(name=village_name).short_name  # 刘山村委会 -> 刘山村, as the ledger shows it


# (header, width in Excel character units, kind: None for text, DATE, DATETIME or NUMBER)
COLUMNS = [
    ("案件编号", 16, None), ("纠纷标题", 40, None), ("类别", 12, None), ("来源", 22, None), ("风险等级", 10, None),
    ("所在镇街", 12, None), ("所在村/社区", 14, None), ("状态", 9, None), ("当前层级", 9, None),
    ("承办单位", 26, None), ("登记时间", 17, DATETIME), ("发生日期", 12, DATE), ("办结时限", 17, DATETIME),
    ("化解结果", 18, None), ("化解时间", 17, DATETIME), ("反复次数", 9, NUMBER), ("当事人", 48, None),
    ("身份证号（脱敏）", 62, None), ("联系电话（脱敏）", 44, None),
]
HEADERS = [header for header, *_ in COLUMNS]


def row_values(case: Dispute, zone) -> list:
    """One case's cells, in the order of COLUMNS, from a row of selectors.case_export_rows (its joined names and
    prefetched parties, in the same order in the three party columns; ID numbers and phones only ever masked)."""
    parties = case.export_parties
    role = LABELS["role"]
    return [
        case.number, case.title, LABELS["category"].get(case.category, case.category),
        LABELS["source"].get(case.source, case.source), LABELS["risk"].get(case.risk, case.risk),
        case.town_name or "", _short_name(case.village_name), LABELS["status"].get(case.status, case.status),
        LABELS["tier"].get(case.tier, case.tier), case.holder_unit_name or case.holder_division_name,
        _local(case.created_at, zone), case.arose_on, _local(case.deadline, zone),
        LABELS["outcome"].get(case.outcome, case.outcome), _local(case.resolved_at, zone), case.reopen_count,
        SEPARATOR.join(f"{p.name}（{role.get(p.role, p.role)}）" for p in parties),
        SEPARATOR.join(mask_id_number(p.id_number) or MISSING for p in parties),
        SEPARATOR.join(mask_phone(p.phone) or MISSING for p in parties),
    ]


def write_ledger(cases: QuerySet, target, *, tmpdir: str | None = None) -> int:
    """Write `cases` (in their order) to `target` (a path or a binary file object); return the number of rows."""
    workbook = xlsxwriter.Workbook(target, {
        "constant_memory": True, "tmpdir": tmpdir,
        # Typed writes only (below), and nothing a user typed is ever read as a formula, a number or a link.
        "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
    })
    workbook.set_properties({"title": SHEET_NAME, "author": "平安周例会"})
    sheet = workbook.add_worksheet(SHEET_NAME)
    head = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "valign": "vcenter"})
    formats = {
        DATE: workbook.add_format({"num_format": "yyyy-mm-dd", "align": "left"}),
        DATETIME: workbook.add_format({"num_format": "yyyy-mm-dd hh:mm", "align": "left"}),
        NUMBER: workbook.add_format({"align": "center"}),
    }
    for col, (_, width, _) in enumerate(COLUMNS):
        sheet.set_column(col, col, width)
    sheet.set_row(0, 20)
    for col, header in enumerate(HEADERS):
        sheet.write_string(0, col, header, head)
    sheet.freeze_panes(1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.repeat_rows(0)  # printed: the header on every page

    kinds = [kind for *_, kind in COLUMNS]
    zone = timezone.get_current_timezone()  # Asia/Shanghai (settings.TIME_ZONE)
    row = 0
    for row, case in enumerate(cases.iterator(chunk_size=CHUNK_SIZE), start=1):
        for col, cell in enumerate(row_values(case, zone)):
            kind = kinds[col]
            if kind is None:
                if cell:
                    sheet.write_string(row, col, cell)
            elif kind == NUMBER:
                sheet.write_number(row, col, cell, formats[kind])
            elif cell is not None:
                sheet.write_datetime(row, col, cell, formats[kind])
    sheet.autofilter(0, 0, row, len(COLUMNS) - 1)
    workbook.close()
    return row
