"""统计汇总表: the dashboard as an Excel workbook (/dashboard/export.xlsx?<the dashboard's own parameters>).

Every number is the dashboard's (`stats.dashboard.build`, i.e. stats.figures); nothing is counted again here. The
workbook has three sheets, each laid out the same way (tests read it by these constants):

    row 1 (TITLE_ROW)   the title, e.g. "嘉祥街道矛盾纠纷统计汇总表"
    row 2 (NOTE_ROW)    统计期间 / 统计范围 / 口径 (and the reason, if a bad period fell back to 本月)
    row 3 (HEADER_ROW)  the header, frozen with the rows above it
    rows 4…             the data rows, then (汇总, 按类别) a last row 合计 equal to the dashboard's summary

* 汇总: one row per child division in the dashboard's order (towns for the county, villages for a town; a village:
  the village itself), columns exactly SUMMARY_HEADERS;
* 按类别: the categories with a case, the same columns with 类别 first;
* 按周: the 12-week trend by week of registration (周, 收集研判数, 化解数, 化解率).

化解率 is a number (0.444) with the format 0.0% — or the text "—" when the cohort is empty. Every text cell is written
with write_string (a division or category name is never read as a formula).
"""

import io

import xlsxwriter
from django.utils import timezone

from org.models import Division, Level

TITLE_ROW, NOTE_ROW, HEADER_ROW = 0, 1, 2
DASH = "—"
RATE_KEYS = frozenset({"resolution_rate", "on_time_rate"})

# (header, key in a figures row) after the first column.
FIGURE_COLUMNS = [
    ("收集研判数", "collected"), ("化解数", "resolved"), ("化解率", "resolution_rate"), ("部分达成", "partial"),
    ("调解不成", "failed"), ("在办", "in_progress"), ("逾期", "overdue"), ("反复", "relapsed"),
]
SUMMARY_HEADERS = ["区划", *(h for h, _ in FIGURE_COLUMNS)]
CATEGORY_HEADERS = ["类别", *(h for h, _ in FIGURE_COLUMNS)]
WEEK_COLUMNS = [("收集研判数", "collected"), ("化解数", "resolved"), ("化解率", "resolution_rate")]
WEEK_HEADERS = ["周", *(h for h, _ in WEEK_COLUMNS)]
TOTAL = "合计"
SHEETS = ("汇总", "按类别", "按周")
BASIS = ("口径：各数均按期间内登记的纠纷（不含不予受理）统计其当前状态；化解率＝化解数÷收集研判数，"
         "无登记时为“—”。")


def unit_word(scope) -> str:
    """What the rows of the division table are: 镇街 for the county, 村/社区 for a town, the village itself."""
    return {Level.COUNTY: "镇街", Level.TOWNSHIP: "村/社区"}.get(scope.level, "村/社区")


def short_name(name: str) -> str:
    """呈祥社区居民委员会 → 呈祥社区, 刘山村委会 → 刘山村 (org.models.Division.short_name), for narrow columns."""
    return Division(name=name).short_name


def division_rows(dash) -> list[tuple[str, dict]]:
    """[(short name, figures row)]: the dashboard's child divisions in its order, or for a village the village."""
    if dash.child_level:
        return [(short_name(row["label"]), row) for row in dash.by_division]
    return [(dash.scope.short_name, dash.summary)]


def category_rows(dash) -> list[tuple[str, dict]]:
    return [(str(row["label"]), row) for row in dash.by_category]


def week_label(row) -> str:
    return f"{row['title']}（{row['label']}起）"


def scope_label(scope) -> str:
    """嘉祥县 / 嘉祥县嘉祥街道 / 嘉祥县嘉祥街道刘山村: the division with the ones above it (up to the county)."""
    names, division = [], scope
    while division is not None and division.level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        names.insert(0, division.name)
        division = division.parent
    return "".join(names)


def period_text(period) -> str:
    return f"{period.start:%Y年%m月%d日}至{period.end:%Y年%m月%d日}"


def note_text(dash, note: str = "") -> str:
    parts = [f"统计期间：{period_text(dash.period)}", f"统计范围：{scope_label(dash.scope)}",
             f"生成时间：{timezone.localtime(dash.now):%Y-%m-%d %H:%M}"]
    if note:
        parts.append(note)
    return "　".join(parts)


class Book:
    """A small workbook with the house formats (shared with stats.reports)."""

    def __init__(self, target, title: str):
        self.workbook = xlsxwriter.Workbook(target, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.workbook.set_properties({"title": title, "author": "平安周例会"})
        add = self.workbook.add_format
        self.title = add({"bold": True, "font_size": 14, "valign": "vcenter"})
        self.note = add({"font_color": "#555555", "text_wrap": True, "valign": "top"})
        self.head = add({"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center", "valign": "vcenter",
                         "text_wrap": True})
        self.text = add({"border": 1, "valign": "vcenter"})
        self.number = add({"border": 1, "align": "center", "valign": "vcenter"})
        self.rate = add({"border": 1, "align": "center", "valign": "vcenter", "num_format": "0.0%"})
        self.total_text = add({"border": 1, "bold": True, "valign": "vcenter", "bg_color": "#F3F3F3"})
        self.total_number = add({"border": 1, "bold": True, "align": "center", "bg_color": "#F3F3F3"})
        self.total_rate = add({"border": 1, "bold": True, "align": "center", "bg_color": "#F3F3F3",
                               "num_format": "0.0%"})

    def sheet(self, name, widths, *, landscape=False):
        sheet = self.workbook.add_worksheet(name)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width)
        sheet.set_paper(9)  # A4
        if landscape:
            sheet.set_landscape()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.6, right=0.6, top=0.7, bottom=0.7)
        sheet.set_footer("&C第 &P 页，共 &N 页")
        return sheet

    def cell(self, sheet, row, col, value, *, rate=False, total=False, centre=False):
        """A number, a rate (a Decimal percentage from stats.figures, or None → "—") or a text (left, or centred)."""
        if rate:
            if value is None:
                sheet.write_string(row, col, DASH, self.total_number if total else self.number)
            else:
                sheet.write_number(row, col, float(value) / 100, self.total_rate if total else self.rate)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            sheet.write_number(row, col, value, self.total_number if total else self.number)
        else:
            fmt = (self.total_number if centre else self.total_text) if total else (self.number if centre else self.text)
            sheet.write_string(row, col, str(value), fmt)

    def table(self, sheet, top, headers, rows, keys, *, total=None) -> int:
        """Write a header at `top`, then `rows` [(label, figures row)] and an optional total (label, row); return the
        next free row."""
        sheet.set_row(top, 22)
        for col, header in enumerate(headers):
            sheet.write_string(top, col, header, self.head)
        r = top + 1
        for label, figures_row, is_total in [*((lbl, row, False) for lbl, row in rows),
                                              *([(total[0], total[1], True)] if total else [])]:
            self.cell(sheet, r, 0, label, total=is_total)
            for col, key in enumerate(keys, start=1):
                self.cell(sheet, r, col, figures_row[key], rate=key in RATE_KEYS, total=is_total)
            r += 1
        return r

    def close(self):
        self.workbook.close()


def _head(book, sheet, title, note, columns):
    sheet.set_row(TITLE_ROW, 24)
    sheet.merge_range(TITLE_ROW, 0, TITLE_ROW, columns - 1, title, book.title)
    sheet.set_row(NOTE_ROW, 48)
    sheet.merge_range(NOTE_ROW, 0, NOTE_ROW, columns - 1, note, book.note)
    sheet.freeze_panes(HEADER_ROW + 1, 1)
    sheet.repeat_rows(HEADER_ROW)


def export_title(dash) -> str:
    return f"{dash.scope.short_name}矛盾纠纷统计汇总表"


def summary_workbook(dash, *, note: str = "") -> bytes:
    """The three sheets of the module docstring for `dash` (a stats.dashboard.Dashboard); the .xlsx as bytes."""
    buffer = io.BytesIO()
    title = export_title(dash)
    book = Book(buffer, title)
    line = f"{note_text(dash, note)}\n{BASIS}"
    keys = [key for _, key in FIGURE_COLUMNS]
    total = (TOTAL, dash.summary)

    sheet = book.sheet(SHEETS[0], [18] + [11] * len(FIGURE_COLUMNS), landscape=True)
    _head(book, sheet, f"{title}（按{unit_word(dash.scope)}）", line, len(SUMMARY_HEADERS))
    book.table(sheet, HEADER_ROW, SUMMARY_HEADERS, division_rows(dash), keys, total=total)

    sheet = book.sheet(SHEETS[1], [16] + [11] * len(FIGURE_COLUMNS), landscape=True)
    _head(book, sheet, f"{title}（按纠纷类别）", line, len(CATEGORY_HEADERS))
    book.table(sheet, HEADER_ROW, CATEGORY_HEADERS, category_rows(dash), keys, total=total)

    sheet = book.sheet(SHEETS[2], [28, 12, 12, 12])
    _head(book, sheet, f"{title}（近12周，按登记周）", line, len(WEEK_HEADERS))
    book.table(sheet, HEADER_ROW, WEEK_HEADERS, [(week_label(w), w) for w in dash.trend],
               [key for _, key in WEEK_COLUMNS])
    book.close()
    return buffer.getvalue()
