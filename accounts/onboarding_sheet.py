"""The workbook of the people and accounts import (人员与账号导入, accounts.onboarding): the template, reading an
upload, and the errors workbook. This module writes nothing to the database.

One sheet, one row per person: 区划代码, 单位, 姓名, 职务, 手机号, 用户名, 角色. A row with 用户名 and 角色 also opens an
account with that post. The template carries a 填写说明 sheet (an example and the rules), the county's division codes
and units (so nobody has to guess a 12-digit code) and a drop-down of the roles an import may grant.
"""

import dataclasses
import io
import math
import re

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from core.spreadsheets import FileRefused, cell_text, check_xlsx

SHEET = "人员导入"
HELP_SHEET = "填写说明"
DIVISION_SHEET = "区划代码"
UNIT_SHEET = "单位"
LIST_SHEET = "选项"
ERROR_HEADER = "错误说明"
MAX_BYTES = 10 * 1024 * 1024
MAX_SIZE_TEXT = "10 MB"
MAX_ROWS = 5000
MAX_COLUMNS = 40
MAX_BLANK_RUN = 1000

# (key, column header, required, help text for 填写说明 and the header's comment)
COLUMNS = (
    ("division", "区划代码", True, "12位统计用区划代码，如 370829001209（刘山村）、370829001000（嘉祥街道）、"
                                  "370829000000（嘉祥县）；见“区划代码”工作表。"),
    ("unit", "单位", False, "单位全称，须是该区划下的单位（见“单位”工作表），如“嘉祥街道派出所”；"
                           "村、镇街班子成员可不填，责任单位工作人员必填。"),
    ("name", "姓名", True, "人员姓名，最多32字。"),
    ("post", "职务", False, "如“党支部书记”“副书记”“所长”，最多32字，可不填。"),
    ("phone", "手机号", False, "11位手机号或带区号的固定电话，按文本填写，可不填；入库后加密保存。"),
    ("username", "用户名", False, "需要开通系统账号时填写：字母、数字及 @ . + - _，最多150个字符，不能与已有账号或本表其他行重复；"
                               "不开通账号的人员不填。"),
    ("role", "角色", False, "开通账号时必填，从下拉列表选择；须与区划级别相符（如村党组织书记只能设在村/社区）。"
                           "三员（系统管理员、安全管理员、审计员）不能批量导入。"),
)
HEADERS = [h for _, h, _, _ in COLUMNS]
KEY_OF = {h: k for k, h, _, _ in COLUMNS}
LABEL_OF = {k: h for k, h, _, _ in COLUMNS}
REQUIRED = {h for _, h, r, _ in COLUMNS if r}
WIDTHS = {"division": 16, "unit": 26, "name": 12, "post": 16, "phone": 16, "username": 18, "role": 24}

HEAD_FILL = PatternFill("solid", fgColor="DDE7F3")
REQUIRED_FONT = Font(bold=True, color="B3261E")
BOLD = Font(bold=True)
ERROR_FILL = PatternFill("solid", fgColor="FDECEA")
WARN_FILL = PatternFill("solid", fgColor="FFF4E5")


def _header_row(ws, *, notes=False):
    ws.append(HEADERS)
    for cell in ws[1]:
        key = KEY_OF[cell.value]
        cell.fill = HEAD_FILL
        cell.font = REQUIRED_FONT if cell.value in REQUIRED else BOLD
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[cell.column_letter].width = WIDTHS[key]
        if notes:
            text = next(t for k, _, _, t in COLUMNS if k == key)
            cell.comment = Comment(("必填。" if cell.value in REQUIRED else "选填。") + text, "嘉祥县平安周例会")
    ws.freeze_panes = "A2"
    _print_across(ws)


def _print_across(ws):
    """Printed (or turned into a PDF), a sheet is landscape and one page wide."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def template_workbook(*, divisions, units, role_labels) -> bytes:
    """The downloadable template. `divisions`: (code, name, level label, parent name) rows; `units`: (name,
    division code, division name, kind label) rows; `role_labels`: the roles an import may grant."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    _header_row(ws, notes=True)
    last = MAX_ROWS + 1
    for col, (key, head, _, _) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(col)
        if key in ("division", "phone"):  # text, so Excel keeps all 12 digits and a landline's leading 0
            ws.column_dimensions[letter].number_format = "@"
        if key == "role":
            dv = DataValidation(type="list", formula1=f"'{LIST_SHEET}'!$A$2:$A${len(role_labels) + 1}",
                                allow_blank=True, showErrorMessage=True, errorTitle="请从下拉列表选择",
                                error=f"“{head}”请从下拉列表中选择。")
            dv.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(dv)

    help_ws = wb.create_sheet(HELP_SHEET)
    _header_row(help_ws)
    help_ws.append(["370829001209", "", "王某", "党支部书记", "138 0000 0000", "liushan_wang", role_labels[0]])
    help_ws.append(["370829001000", "嘉祥街道司法所", "赵某", "司法所所长", "", "", ""])
    help_ws.append([])
    help_ws.append(["列名", "是否必填", "填写说明"])
    for cell in help_ws[help_ws.max_row]:
        cell.font = BOLD
    for _, head, required, text in COLUMNS:
        help_ws.append([head, "必填" if required else "选填", text])
    help_ws.append([])
    for line in (
        "上面第2、3行是示例：第2行录入人员并开通账号，第3行只录入人员库（不开通账号）。",
        "请在“人员导入”工作表中从第2行起每行填写一人，不要修改第1行的列名。",
        f"一次最多导入{MAX_ROWS}行，文件不超过{MAX_SIZE_TEXT}，只接受 .xlsx 格式。",
        "上传后先预览检查：有错误的行会列出“第N行 · 列名：错误”，改正后重新上传；全部无误才能确认导入，一行也不会先导入。",
        "确认导入后，每个新账号的初始密码只显示一次（可打印的密码单，沿虚线裁开后逐人封存发放），系统不保存明文。",
        "新账号的岗位须经安全管理员审批后生效；首次登录必须修改初始密码。",
    ):
        help_ws.append([line])

    div_ws = wb.create_sheet(DIVISION_SHEET)
    div_ws.append(["区划代码", "名称", "级别", "上级"])
    for row in divisions:
        div_ws.append(list(row))
    for letter, width in zip("ABCD", (16, 30, 10, 16), strict=True):
        div_ws.column_dimensions[letter].width = width
    unit_ws = wb.create_sheet(UNIT_SHEET)
    unit_ws.append(["单位名称", "所属区划代码", "所属区划", "类别"])
    for row in units:
        unit_ws.append(list(row))
    for letter, width in zip("ABCD", (30, 16, 16, 20), strict=True):
        unit_ws.column_dimensions[letter].width = width
    for sheet in (div_ws, unit_ws):
        for cell in sheet[1]:
            cell.font, cell.fill = BOLD, HEAD_FILL
        sheet.freeze_panes = "A2"
        _print_across(sheet)

    lists = wb.create_sheet(LIST_SHEET)
    lists.sheet_state = "hidden"
    lists.append(["角色"])
    for label in role_labels:
        lists.append([label])
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- reading an upload ---------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Row:
    number: int  # the row number Excel shows
    cells: dict  # column key -> text


def _key_of(header) -> str | None:
    text = re.sub(r"[\s*＊]|（必填）|\(必填\)|（选填）|\(选填\)", "", str(header or ""))
    return KEY_OF.get(text)


def read_rows(data: bytes) -> list[Row]:
    """The rows of the upload's 人员导入 sheet (or its first sheet), as text; refuses with FileRefused."""
    check_xlsx(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (KeyError, ValueError, XML errors) for a broken file
        raise FileRefused("文件已损坏或不是 Excel 工作簿，无法读取。请用 Excel 重新保存为 .xlsx 后再上传。") from None
    try:
        ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
        lines = ws.iter_rows(max_col=MAX_COLUMNS, values_only=True)
        head = next(lines, None) or ()
        headers = {i: k for i, h in enumerate(head) if (k := _key_of(h)) is not None}
        missing = [h for k, h, r, _ in COLUMNS if r and k not in headers.values()]
        if missing:
            raise FileRefused(f"第1行缺少列：{'、'.join(missing)}。请使用下载的模板填写，不要修改第1行的列名。")
        rows, blank = [], 0
        for number, values in enumerate(lines, start=2):
            cells = {k: cell_text(values[i]) if i < len(values) else "" for i, k in headers.items()}
            if not any(cells.values()):
                blank += 1
                if blank > MAX_BLANK_RUN:  # formatted but empty rows down to row 1,048,576: the data has ended
                    break
                continue
            blank = 0
            if len(rows) == MAX_ROWS:
                raise FileRefused(f"数据超过{MAX_ROWS}行，请分成几个文件导入（每个文件最多{MAX_ROWS}行）。")
            rows.append(Row(number, {k: cells.get(k, "") for k in KEY_OF.values()}))
    except FileRefused:
        raise
    except Exception:
        raise FileRefused("文件已损坏，无法读取。请用 Excel 重新保存为 .xlsx 后再上传。") from None
    finally:
        wb.close()
    if not rows:
        raise FileRefused(f"“{SHEET}”工作表中没有数据行，请从第2行起填写。")
    return rows


def error_workbook(data: bytes, notes: dict) -> bytes:
    """The uploaded workbook with a 错误说明 column (added, or refilled on a re-upload) on its data sheet.
    `notes`: row number -> (text, is_error)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[SHEET] if SHEET in wb.sheetnames else wb.worksheets[0]
    heads = [c.value for c in ws[1]]
    col = heads.index(ERROR_HEADER) + 1 if ERROR_HEADER in heads else len(heads) + 1
    for row in range(2, ws.max_row + 1):
        ws.cell(row, col).value = None
    head = ws.cell(1, col, ERROR_HEADER)
    head.font, head.fill = REQUIRED_FONT, HEAD_FILL
    ws.column_dimensions[get_column_letter(col)].width = 60
    for number, (text, is_error) in notes.items():
        cell = ws.cell(number, col, text)
        cell.fill = ERROR_FILL if is_error else WARN_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        # Spreadsheet programs do not grow a row for wrapped text written by a program: ~28 Chinese characters fit
        # a line of the 60-wide column, 15 points a line.
        ws.row_dimensions[number].height = 15 * max(1, math.ceil(len(text) / 28))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
