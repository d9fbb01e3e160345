"""Excel import of 排查 results (issue 10, point 7): the template, reading an upload, validating its rows and the
errors workbook.

Every row is validated by the registration form itself: its cells become the POST data of `DisputeCreateForm` and
`PartyFormSet` (forms/disputes.py), so ID checksums, phones, dates and "village inside the jurisdiction" are the
same code as a hand registration. Cells hold labels (“房屋宅基地”, “男”, “刘山村”); `form_data` turns them into the
codes and keys the form expects and passes anything it does not recognise through unchanged, so the form refuses
it. Writing the cases is `services.import_cases`; this module writes nothing to the database. The upload waiting
between preview and confirm is kept by the views (cases/views/imports.py).
"""

import dataclasses
import datetime
import io
import re

from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from core import crypto, spreadsheets
from core.validators import id_check_char

from .forms.disputes import DisputeCreateForm, PartyFormSet
from .models import OPEN_STATUSES, Category, Dispute, Party, PartyRole, Risk, Sex, Source

SHEET = "排查登记"
HELP_SHEET = "填写说明"
LIST_SHEET = "选项"
ERROR_HEADER = "错误说明"
MAX_BYTES = 10 * 1024 * 1024
MAX_SIZE_TEXT = "10 MB"
MAX_ROWS = 5000
MAX_COLUMNS = 120
MAX_BLANK_RUN = 1000
TEMPLATE_PARTIES = 3
MAX_PARTIES = 20

# (form field, column header, required, help text for 填写说明)
CASE_COLUMNS = (
    ("title", "纠纷标题", True, "一句话概括，如“张某与李某宅基地边界纠纷”，最多100字。"),
    ("category", "类别", True, "从下拉列表选择纠纷类别。"),
    ("source", "来源", True, "从下拉列表选择，排查发现的选“排查发现（网格员/信息员）”。"),
    ("risk", "风险等级", False, "从下拉列表选择；不填为“蓝·轻微”。"),
    ("village", "所在村/社区", True, "从下拉列表选择，只能选您辖区内的村/社区。"),
    ("place", "具体地点", False, "如“村东头”“3组”，可不填。"),
    ("arose_on", "发生日期", True, "如 2026-11-30 或 2026/11/30，不能晚于今天。"),
    ("people_involved", "涉及人数", True, "填数字；涉及5人及以上可能引发集体访，请如实填写。"),
    ("description", "纠纷简要情况", True, "起因、经过、当事人诉求、已做工作，最多4000字。"),
)
PARTY_COLUMNS = (
    ("name", "姓名", True, "至少填写当事人1；不填姓名的当事人整组不导入。"),
    ("sex", "性别", True, "男或女。"),
    ("id_number", "身份证号", False, "18位身份证号，按文本填写（模板中该列已设为文本格式），可不填。"),
    ("phone", "电话", False, "手机号或带区号的座机号，可不填。"),
    ("address", "住址", False, "可不填。"),
    ("role", "身份", False, "申请人、被申请人、第三人或代理人；不填时当事人1为申请人，其余为被申请人。"),
)
PARTY_HEADER = re.compile(r"^当事人(\d{1,2})(" + "|".join(h for _, h, _, _ in PARTY_COLUMNS) + r")$")
CASE_BY_HEADER = {h: f for f, h, _, _ in CASE_COLUMNS}
LABEL_OF = {f: h for f, h, _, _ in CASE_COLUMNS}
PARTY_LABEL = {f: h for f, h, _, _ in PARTY_COLUMNS}
EXAMPLE = {
    "title": "张某与李某宅基地边界纠纷", "category": "房屋宅基地", "source": "排查发现（网格员/信息员）",
    "risk": "黄·一般", "place": "村东头", "people_involved": 2,
    "description": "双方因宅基地界址发生争执，张某要求李某拆除越界围墙，网格员已初步劝解。",
}
# The example row shows the numbers grouped with spaces (as on an ID card or a business card; the form accepts the
# spaces): no run of digits in the template looks like a real person's number to a scan, or to a reader.
_EXAMPLE_ID = "37082919800101001" + id_check_char("37082919800101001")
EXAMPLE_PARTIES = (
    {"name": "张某", "sex": "男", "id_number": " ".join((_EXAMPLE_ID[:6], _EXAMPLE_ID[6:14], _EXAMPLE_ID[14:])),
     "phone": "138 1234 5678", "address": "刘山村3组", "role": "申请人"},
    {"name": "李某", "sex": "女", "id_number": "", "phone": "0537 681 2345", "address": "刘山村3组", "role": "被申请人"},
)


# The file as a whole cannot be read (not an .xlsx, corrupt, headers missing, too many rows).
ImportFileError = spreadsheets.FileRefused


# --- choices: labels in the sheet, codes in the form -------------------------------------------------------------

def _choice_map(choices, extra=None):
    out = {}
    for code, label in choices.choices:
        out[label] = out[code] = code
        out[label.split("（")[0]] = code  # 排查发现（网格员/信息员） -> 排查发现
        out[label.split("·")[0]] = code  # 红·重大 -> 红
    return {**out, **(extra or {})}


CHOICES = {
    "category": _choice_map(Category),
    "source": _choice_map(Source),
    "risk": _choice_map(Risk, {"红色": Risk.RED, "橙色": Risk.ORANGE, "黄色": Risk.YELLOW, "蓝色": Risk.BLUE}),
    "sex": _choice_map(Sex, {"男性": Sex.MALE, "女性": Sex.FEMALE}),
    "role": _choice_map(PartyRole),
}


def village_names(villages) -> dict:
    """Name, short name and code of each village in the jurisdiction -> its key."""
    out = {}
    for v in villages:
        out[v.code] = out[v.name] = out[v.short_name] = v.pk
    return out


# --- the template --------------------------------------------------------------------------------------------------

def template_headers(parties=TEMPLATE_PARTIES) -> list[str]:
    heads = [h for _, h, _, _ in CASE_COLUMNS]
    for n in range(1, parties + 1):
        heads += [f"当事人{n}{h}" for _, h, _, _ in PARTY_COLUMNS]
    return heads


HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
REQUIRED_FONT = Font(bold=True, color="B3261E")
BOLD = Font(bold=True)


WIDTHS = {"title": 28, "source": 26, "description": 40, "id_number": 22, "phone": 16, "address": 18, "sex": 12}
HELP = {h: text for _, h, _, text in CASE_COLUMNS}


def _header_row(ws, heads, required, *, notes=False):
    ws.append(heads)
    for cell in ws[1]:
        m = PARTY_HEADER.match(cell.value)
        key = {v: k for k, v in PARTY_LABEL.items()}[m.group(2)] if m else CASE_BY_HEADER.get(cell.value)
        cell.fill = HEAD_FILL
        cell.font = REQUIRED_FONT if cell.value in required else BOLD
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = WIDTHS.get(key, max(12, len(cell.value) * 2 + 2))
        if notes:  # the help text where the user types, shown on hovering over the header
            text = HELP.get(cell.value) or {h: t for _, h, _, t in PARTY_COLUMNS}[m.group(2)]
            cell.comment = Comment(("必填。" if cell.value in required else "选填。") + text, "嘉祥县平安周例会")
    ws.freeze_panes = "A2"


def template_workbook(villages) -> bytes:
    """The downloadable template: 排查登记 (headers, drop-downs), 填写说明 (example row and help), a hidden list sheet."""
    villages = list(villages)
    heads = template_headers()
    required = {h for _, h, r, _ in CASE_COLUMNS if r} | {"当事人1姓名", "当事人1性别"}
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _header_row(ws, heads, required, notes=True)

    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    columns = {
        "category": Category.labels, "source": Source.labels, "risk": Risk.labels, "sex": Sex.labels,
        "role": PartyRole.labels, "village": [v.short_name for v in villages] or ["（无）"],
    }
    ranges = {}
    for i, (key, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(i)
        lists.cell(1, i, key)
        for j, value in enumerate(values, start=2):
            lists.cell(j, i, value)
        ranges[key] = f"'{LIST_SHEET}'!${letter}$2:${letter}${len(values) + 1}"

    last = MAX_ROWS + 1
    for col, head in enumerate(heads, start=1):
        letter = get_column_letter(col)
        m = PARTY_HEADER.match(head)
        field = m.group(2) if m else head
        key = {v: k for k, v in PARTY_LABEL.items()}.get(field) if m else CASE_BY_HEADER.get(head)
        if key in ranges:
            dv = DataValidation(type="list", formula1=ranges[key], allow_blank=True, showErrorMessage=True,
                                errorTitle="请从下拉列表选择", error=f"“{head}”请从下拉列表中选择。")
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)
        # The column's own format applies to every cell typed into it: text for ID numbers and phones (so Excel keeps
        # all 18 digits and a landline's leading 0), a date for 发生日期.
        if key in ("id_number", "phone"):
            ws.column_dimensions[letter].number_format = "@"
        if key == "arose_on":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"

    help_ws = wb.create_sheet(HELP_SHEET)
    _header_row(help_ws, heads, required)
    example = {**EXAMPLE, "village": columns["village"][0],
               "arose_on": timezone.localdate() - datetime.timedelta(days=1)}
    row = [example.get(f, "") for f, _, _, _ in CASE_COLUMNS]
    for n in range(TEMPLATE_PARTIES):
        party = EXAMPLE_PARTIES[n] if n < len(EXAMPLE_PARTIES) else {}
        row += [party.get(f, "") for f, _, _, _ in PARTY_COLUMNS]
    help_ws.append(row)
    help_ws.cell(2, 7).number_format = "yyyy-mm-dd"
    help_ws.append([])
    help_ws.append(["列名", "是否必填", "填写说明"])
    for cell in help_ws[help_ws.max_row]:
        cell.font = BOLD
    for _, head, req, text in CASE_COLUMNS:
        help_ws.append([head, "必填" if req else "选填", text])
    for _, head, req, text in PARTY_COLUMNS:
        help_ws.append([f"当事人N{head}", "必填" if req else "选填", text])
    help_ws.append([])
    for line in (
        "上面第2行是一条示例，请在“排查登记”工作表中从第2行起每行填写一件纠纷，不要修改第1行的列名。",
        f"一次最多导入{MAX_ROWS}行，文件不超过{MAX_SIZE_TEXT}，只接受 .xlsx 格式。",
        "当事人不够时，可在最后添加“当事人4姓名”“当事人4性别”等列，列名写法与前面一致。",
        "上传后先预览检查：有错误的行会列出“第N行 · 列名：错误”，改正后重新上传；全部无误才能确认导入。",
        "同一当事人身份证号已在您辖区在办案件中出现时会提示可能重复登记，请核实后再确认。",
    ):
        help_ws.append([line])
    wb.move_sheet(lists, offset=len(wb.sheetnames) - 1 - wb.sheetnames.index(LIST_SHEET))  # the hidden one last
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading an upload ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Row:
    number: int  # the row number Excel shows
    cells: dict  # column key -> raw value; key is a form field or (party number, party field)


@dataclasses.dataclass
class Sheet:
    name: str
    headers: dict  # column index -> key
    rows: list


_check_zip = spreadsheets.check_xlsx


def _key_of(header) -> object:
    text = re.sub(r"[\s*＊]|（必填）|\(必填\)", "", str(header or ""))
    if text in CASE_BY_HEADER:
        return CASE_BY_HEADER[text]
    m = PARTY_HEADER.match(text)
    if m and 1 <= int(m.group(1)) <= MAX_PARTIES:
        return int(m.group(1)), {v: k for k, v in PARTY_LABEL.items()}[m.group(2)]
    return None


def read_sheet(data: bytes) -> Sheet:
    """The rows of the upload's 排查登记 sheet (or its first sheet); refuses with ImportFileError."""
    _check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for a broken file
        raise ImportFileError("文件已损坏或不是 Excel 工作簿，无法读取。请用 Excel 重新保存为 .xlsx 后再上传。") from None
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        lines = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        head = next(lines, None) or ()
        headers = {i: k for i, h in enumerate(head) if (k := _key_of(h)) is not None}
        missing = [h for f, h, r, _ in CASE_COLUMNS if r and f not in headers.values()]
        missing += [f"当事人1{PARTY_LABEL[f]}" for f in ("name", "sex") if (1, f) not in headers.values()]
        if missing:
            raise ImportFileError(f"第1行缺少列：{'、'.join(missing)}。请使用下载的模板填写，不要修改第1行的列名。")
        rows, blank = [], 0
        for number, values in enumerate(lines, start=2):
            cells = {k: values[i] for i, k in headers.items() if i < len(values)}
            if all(_text(v) == "" for v in cells.values()):
                blank += 1
                if blank > MAX_BLANK_RUN:  # formatted but empty rows down to row 1,048,576: the data has ended
                    break
                continue
            blank = 0
            if len(rows) == MAX_ROWS:
                raise ImportFileError(f"数据超过{MAX_ROWS}行，请分成几个文件导入（每个文件最多{MAX_ROWS}行）。")
            rows.append(Row(number, cells))
    except ImportFileError:
        raise
    except Exception:
        raise ImportFileError("文件已损坏，无法读取。请用 Excel 重新保存为 .xlsx 后再上传。") from None
    finally:
        wb.close()
    if not rows:
        raise ImportFileError("“排查登记”工作表中没有数据行，请从第2行起填写。")
    return Sheet(ws.title, headers, rows)


_text = spreadsheets.cell_text


def _date(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 <= value < 2958466:
        try:
            return from_excel(value).date().isoformat()  # a date typed into a "常规" cell: Excel's serial number
        except (ValueError, OverflowError):
            return _text(value)
    text = _text(value)
    m = re.fullmatch(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(\s+\d{1,2}:\d{2}(:\d{2})?)?", text)
    return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else text


def form_data(row: Row, villages_by_name: dict) -> tuple[dict, list[int]]:
    """The POST data the registration form would receive for this row, and the party numbers in formset order."""
    cells = row.cells
    data = {"subcategory": ""}
    for field, _, _, _ in CASE_COLUMNS:
        value = cells.get(field)
        text = _date(value) if field == "arose_on" else _text(value)
        if field in CHOICES:
            text = CHOICES[field].get(text, text)
        if field == "village":
            text = villages_by_name.get(text, text)
        data[field] = text
    if not data["risk"]:
        data["risk"] = Risk.BLUE
    numbers = sorted({k[0] for k in cells if isinstance(k, tuple)
                      and any(_text(cells[(k[0], f)]) for f, *_ in PARTY_COLUMNS if (k[0], f) in cells)})
    for i, n in enumerate(numbers):
        for field, _, _, _ in PARTY_COLUMNS:
            text = _text(cells.get((n, field)))
            if field in CHOICES:
                text = CHOICES[field].get(text, text)
            elif field in ("id_number", "phone"):  # digits grouped with spaces, as in the template's example
                text = "".join(text.split())
            data[f"parties-{i}-{field}"] = text
        if not data[f"parties-{i}-role"]:
            data[f"parties-{i}-role"] = PartyRole.APPLICANT if n == 1 else PartyRole.RESPONDENT
    data.update({"parties-TOTAL_FORMS": str(len(numbers)), "parties-INITIAL_FORMS": "0",
                 "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000"})
    return data, numbers


# --- validating -----------------------------------------------------------------------------------------------------

@dataclasses.dataclass
class RowResult:
    number: int
    title: str
    village: str
    parties: list  # dicts: name, id_number, phone (shown masked)
    errors: list  # (column, message)
    warnings: list  # (column, message)
    case: dict | None = None  # what services.import_cases takes: village, fields, parties


@dataclasses.dataclass
class Report:
    file_name: str
    rows: list
    duplicates: int = 0  # parties flagged as possibly registered already

    @property
    def error_rows(self):
        return [r for r in self.rows if r.errors]

    @property
    def warning_rows(self):
        return [r for r in self.rows if r.warnings]

    @property
    def ok(self) -> bool:
        return not self.error_rows

    def case_rows(self) -> list[dict]:
        return [r.case for r in self.rows]


def _messages(errors) -> list[str]:
    return [str(m) for m in errors]


def validate_row(row: Row, villages, villages_by_name) -> RowResult:
    data, numbers = form_data(row, villages_by_name)
    form = DisputeCreateForm(data, villages=villages)
    formset = PartyFormSet(data, instance=Dispute(), prefix="parties")
    valid = form.is_valid() & formset.is_valid()
    errors = []
    for field, messages in form.errors.items():
        if field == "village" and form.has_error("village", "invalid_choice"):
            messages = [f"“{_text(row.cells.get('village'))}”不是您辖区内的村/社区，请从下拉列表选择。"]
        errors += [(LABEL_OF.get(field, "整行"), m) for m in _messages(messages)]
    for n, party_form in zip(numbers, formset.forms, strict=False):
        for field, messages in party_form.errors.items():
            errors += [(f"当事人{n}{PARTY_LABEL.get(field, '')}", m) for m in _messages(messages)]
    errors += [("当事人", m) for m in _messages(formset.non_form_errors())]
    parties = [{"name": data.get(f"parties-{i}-name", ""), "id_number": data.get(f"parties-{i}-id_number", ""),
                "phone": data.get(f"parties-{i}-phone", "")} for i in range(len(numbers))]
    village = form.cleaned_data.get("village")
    result = RowResult(row.number, _text(row.cells.get("title")),
                       village.short_name if village else _text(row.cells.get("village")), parties, errors, [])
    if valid:
        result.case = {"village": village,
                       "fields": {k: v for k, v in form.cleaned_data.items() if k != "village"},
                       "parties": formset.party_rows()}
        for p, clean in zip(result.parties, result.case["parties"], strict=True):
            p.update(id_number=clean["id_number"], phone=clean["phone"])
    return result


def flag_duplicates(results: list[RowResult], cases) -> int:
    """Warn of parties whose ID number is already on an open case in `cases` (the actor's jurisdiction), or twice
    in the file. Matches by the keyed `id_hash` (docs/pii.md), never by the number. Returns the parties flagged."""
    seen = {}
    wanted = {}  # hash -> [(result, party number)]
    for r in results:
        for n, p in enumerate(r.parties, start=1):
            id_number = p["id_number"] if r.case else ""
            if not id_number:
                continue
            if id_number in seen and seen[id_number] != r.number:
                r.warnings.append((f"当事人{n}身份证号", f"与本表第{seen[id_number]}行当事人的身份证号相同，可能重复登记。"))
            seen.setdefault(id_number, r.number)
            for h in crypto.id_hash_candidates(id_number):
                wanted.setdefault(h, []).append((r, n))
    hashes = list(wanted)
    flagged = 0
    for start in range(0, len(hashes), 500):
        chunk = hashes[start:start + 500]
        hits = (Party.objects.filter(id_hash__in=chunk, dispute__status__in=OPEN_STATUSES,
                                     dispute__in=cases.values("pk"))
                .values_list("id_hash", "dispute__number").order_by("dispute__number"))
        for h, number in hits:
            for r, n in wanted[h]:
                message = f"该身份证号已在在办案件 {number} 中登记为当事人，可能重复登记，请核实。"
                if (f"当事人{n}身份证号", message) not in r.warnings:
                    r.warnings.append((f"当事人{n}身份证号", message))
                    flagged += 1
    return flagged


def validate(sheet: Sheet, *, villages, cases, file_name="") -> Report:
    villages = villages.order_by("code")
    by_name = village_names(villages)  # evaluates `villages`: the form's count() and first() then read the cache
    results = [validate_row(row, villages, by_name) for row in sheet.rows]
    return Report(file_name, results, duplicates=flag_duplicates(results, cases))


def report_lines(report: Report) -> list[str]:
    """第N行 · 列名：错误, one line per error."""
    return [f"第{r.number}行 · {col}：{msg}" for r in report.error_rows for col, msg in r.errors]


# --- the errors workbook -------------------------------------------------------------------------------------------

ERROR_FILL = PatternFill("solid", fgColor="FDECEA")
WARN_FILL = PatternFill("solid", fgColor="FFF4E5")


def error_workbook(data: bytes, report: Report) -> bytes:
    """The uploaded workbook with a 错误说明 column (added, or refilled on a re-upload) on its data sheet."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    heads = [c.value for c in ws[1]]
    col = heads.index(ERROR_HEADER) + 1 if ERROR_HEADER in heads else len(heads) + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row, col).value = None
    head = ws.cell(1, col, ERROR_HEADER)
    head.font, head.fill = REQUIRED_FONT, HEAD_FILL
    ws.column_dimensions[get_column_letter(col)].width = 60
    for r in report.rows:
        lines = [f"{c}：{m.rstrip('。')}" for c, m in r.errors] + [f"提示：{c}：{m.rstrip('。')}" for c, m in r.warnings]
        if lines:
            cell = ws.cell(r.number, col, "；".join(lines))
            cell.fill = ERROR_FILL if r.errors else WARN_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
