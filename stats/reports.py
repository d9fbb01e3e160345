"""月报 / 季报: the figures of one period and scope as a written report, in Word (.docx) and Excel (.xlsx).

`build_report(user, dash)` assembles one `Report` from the dashboard (`stats.dashboard.build`: every number is a
figure of stats.figures, never counted again here) and the period's typical cases; `report_docx(report)` and
`report_xlsx(report)` render the same Report. The kind follows the period: a calendar month (or 本月至今) is a 月报,
a quarter (or 本季度至今) a 季报, anything else a 报告.

Sections: 一、总体情况 (a generated text: 收集研判, 化解, 化解率, 环比/同比, 在办/逾期, 反复 …), 二、the child divisions
× figures with 合计, 三、categories × figures with 合计, 四、warnings by level and trigger, 五、meeting compliance per
week, 六、典型案例 — the typical cases (in force) of the period's cohort, their anonymised title and summary scrubbed
again against the case's parties (cases.casebook_docx.anonymised), or "本期无典型案例".

No party's name, ID number or phone is printed: the report holds counts, division/category/unit names, and typical
cases' anonymised texts only (tests/stats/test_reports.py checks the files).

The .docx follows the minutes (meetings.minutes_docx, GB/T 9704-2012): A4, margins 37/35/28/26 mm, title 2号 小标宋,
body 3号 仿宋 with 黑体/楷体 headings, page numbers "— 1 —"; tables 五号 仿宋 with a 黑体 header row repeated on each
page, fixed column widths filling the 156 mm text block.
"""

import datetime
import io
import math
from dataclasses import dataclass, field

from django.utils import timezone
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from cases.casebook_docx import anonymised
from cases.models import Status, TypicalCase
from cases.selectors import cases_visible_to
from core.docx_fonts import add_paragraph, declare_fonts, field_run, set_body_style, set_fonts
from meetings.minutes_docx import (
    BODY_FONT,
    BODY_SIZE,
    FONT_TABLE,
    HEADING_FONT,
    LINE_PITCH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SUBHEADING_FONT,
    TITLE_FONT,
    TITLE_SIZE,
    chinese_number,
)
from org.jurisdiction import subtree_q
from org.models import Level

from . import figures
from .exports import (
    CATEGORY_HEADERS,
    DASH,
    FIGURE_COLUMNS,
    RATE_KEYS,
    SUMMARY_HEADERS,
    TOTAL,
    Book,
    category_rows,
    division_rows,
    period_text,
    scope_label,
    unit_word,
)
from .periods import QUARTER

MONTHLY, QUARTERLY, OTHER = "月报", "季报", "报告"
NO_TYPICAL = "本期无典型案例。"
TYPICAL_LIMIT = 20  # typical cases printed in one report (the casebook holds them all)
TABLE_SIZE, TABLE_HEAD_SIZE = 10.5, 9  # 五号, 小五 (a 4-character header fits a 15 mm column)
TEXT_WIDTH_MM = 156  # 210 - 28 - 26
CELL_MARGIN_TWIPS = 57  # 1 mm


# --- the report's content ------------------------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[list]  # cells: int, str, or a rate (Decimal | None) in a column of `rates`
    widths: list[float]  # mm, summing to the text block's width
    rates: frozenset = frozenset()
    total: bool = False  # the last row is a 合计
    group_first: bool = False  # the first column names groups of rows (merged cells in Word)


@dataclass
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)  # 典型案例: {"title", "summary", "source", …}


@dataclass
class Report:
    title: str
    kind: str
    scope: str
    period: str
    generated: str
    sections: list[Section]
    note: str = ""  # why the period asked for was not used (a bad period falls back to 本月)

    @property
    def summary(self) -> str:
        return "".join(self.sections[0].paragraphs[:1])


def kind_of(period) -> tuple[str, str, str]:
    """(月报/季报/报告, 本月/本季度/本期, the title's span): derived from the period's dates (and its preset)."""
    s, e = period.start, period.end
    quarter_start = s.day == 1 and s.month in (1, 4, 7, 10)
    same_quarter = (e.year, (e.month - 1) // 3) == (s.year, (s.month - 1) // 3)
    month_end = (e + datetime.timedelta(days=1)).day == 1
    if quarter_start and same_quarter and (period.kind == QUARTER or (e.month - s.month == 2 and month_end)):
        span = f"{s.year}年第{chinese_number((s.month - 1) // 3 + 1)}季度"
        return QUARTERLY, "本季度", span if e.month - s.month == 2 and month_end else f"{span}，截至{e.month}月{e.day}日"
    if s.day == 1 and (e.year, e.month) == (s.year, s.month):
        span = f"{s.year}年{s.month}月"
        return MONTHLY, "本月", span if month_end else f"{span}，截至{e.month}月{e.day}日"
    if s == e:
        return OTHER, "本期", f"{s.year}年{s.month}月{s.day}日"
    end = f"{e.month}月{e.day}日" if e.year == s.year else f"{e.year}年{e.month}月{e.day}日"
    return OTHER, "本期", f"{s.year}年{s.month}月{s.day}日至{end}"


def _change(now: int, then: int) -> str:
    diff = now - then
    return "持平" if not diff else f"增加{diff}起" if diff > 0 else f"减少{-diff}起"


def _pct(value) -> str:
    return DASH if value is None else f"{value}%"


def summary_paragraphs(dash, word: str) -> list[str]:
    """一、总体情况: the figures in sentences, "—" wording where a rate has no denominator."""
    s, p, y = dash.summary, dash.summary_previous, dash.summary_year_ago
    mom, yoy = f"环比{_change(s['collected'], p['collected'])}", f"同比{_change(s['collected'], y['collected'])}"
    if s["collected"]:
        first = (f"{word}共收集研判矛盾纠纷{s['collected']}起，化解{s['resolved']}起，化解率{_pct(s['resolution_rate'])}，"
                 f"{mom}，{yoy}；在办{s['in_progress']}起，其中逾期{s['overdue']}起；反复{s['relapsed']}起。")
    else:
        first = f"{word}无登记纠纷，化解率“—”（无登记不计算），收集研判数{mom}，{yoy}。"
    paragraphs = [first]
    if s["collected"]:
        rates = []
        for label, then in (("环比", p), ("同比", y)):
            if then["resolution_rate"] is None:
                rates.append(f"{label}无可比数据")
            else:
                diff = s["resolution_rate"] - then["resolution_rate"]
                rates.append(f"{label}持平" if not diff else
                             f"{label}{'上升' if diff > 0 else '下降'}{abs(diff)}个百分点")
        paragraphs.append(
            f"化解率{'，'.join(rates)}。另有部分达成{s['partial']}起、调解不成{s['failed']}起、当事人撤回"
            f"{s['withdrawn']}起；已办结{s['finished']}起，按时办结率{_pct(s['on_time_rate'])}。"
        )
    paragraphs.append(f"{word}化解（流量口径：{word}内首次化解且调解成功的纠纷，不论何时登记）{dash.flow_resolved}起。")
    return paragraphs


def _figure_table(rows, total_row, first_header) -> Table:
    keys = [key for _, key in FIGURE_COLUMNS]
    cells = [[label, *(row[k] for k in keys)] for label, row in rows]
    if total_row is not None:
        cells.append([TOTAL, *(total_row[k] for k in keys)])
    headers = [first_header, *(h for h, _ in FIGURE_COLUMNS)]
    # 区划 28 mm (a short name of up to 7 characters), 收集研判数 18 mm, the seven others 15.7 mm: 156 mm in all.
    widths = [28, 18] + [(TEXT_WIDTH_MM - 46) / (len(keys) - 1)] * (len(keys) - 1)
    return Table(headers, cells, widths,
                 frozenset(i + 1 for i, k in enumerate(keys) if k in RATE_KEYS), total=total_row is not None)


def _warnings_section(dash) -> Section:
    section = Section("预警情况")
    levels = "、".join(f"{c.label}{c.value}起" for c in dash.warning_cards)
    named = [f"{r['label']}{r['value']}起" for r in dash.by_trigger if r["value"]]
    section.paragraphs.append(
        f"期间登记的纠纷中，发出过预警的：{levels}（一起纠纷先后发出不同等级的预警时，各计一次）。"
        + (f"预警情形：{'、'.join(named)}。" if named else "未发出涉及各类预警情形的预警。")
    )
    rows = [["预警等级", c.label, c.value] for c in dash.warning_cards]
    rows += [["预警情形", r["label"], r["value"]] for r in dash.by_trigger]
    section.tables.append(Table(["分类", "项目", "纠纷数"], rows, [36, 80, 40], group_first=True))
    return section


def _compliance_section(dash) -> Section:
    section = Section("例会召开情况")
    if not dash.compliance_tiers:
        section.paragraphs.append("该区划没有应召开的例会。")
        return section
    totals = []
    for i, (_tier, label) in enumerate(dash.compliance_tiers):
        held = sum(w["cells"][i]["held"] for w in dash.compliance)
        expected = sum(w["cells"][i]["expected"] for w in dash.compliance)
        totals.append(f"{label}应开{expected}次、已开{held}次（{_pct(figures.rate(held, expected))}）")
    section.paragraphs.append(f"期间共{len(dash.compliance)}周，{'；'.join(totals)}。")
    headers = ["周", *(f"{label}（已开/应开）" for _tier, label in dash.compliance_tiers)]
    rows = [[w["label"], *(f"{c['held']}/{c['expected']}（{_pct(c['rate'])}）" for c in w["cells"])]
            for w in dash.compliance]
    rest = (TEXT_WIDTH_MM - 44) / len(dash.compliance_tiers)
    section.tables.append(Table(headers, rows, [44] + [rest] * len(dash.compliance_tiers)))
    return section


def typical_cases(user, dash) -> list[dict]:
    """The typical cases in force of the period's cohort in the dashboard's scope, anonymised for printing."""
    cases = cases_visible_to(user)
    if dash.scope.level != Level.COUNTY:  # the dashboard's own narrowing (stats.dashboard.build)
        cases = cases.filter(subtree_q("village__code", dash.scope))
    typicals = (TypicalCase.objects.filter(withdrawn=False, dispute__status__in=(Status.RESOLVED, Status.CLOSED),
                                           dispute__in=figures.cohort(cases, dash.period).values("pk"))
                .select_related("dispute__village__parent").prefetch_related("dispute__parties")
                .order_by("-marked_at", "-id")[:TYPICAL_LIMIT])
    return [anonymised(t) for t in typicals]


def build_report(user, dash, *, note: str = "") -> Report:
    kind, word, span = kind_of(dash.period)
    sections = [Section("总体情况", summary_paragraphs(dash, word))]
    unit = unit_word(dash.scope)
    divisions = Section(f"各{unit}情况" if dash.child_level else "本村（社区）情况")
    if dash.child_level:
        divisions.paragraphs.append(f"按化解率从高到低排列；无登记纠纷的{unit}化解率为“—”。")
    divisions.tables.append(_figure_table(division_rows(dash), dash.summary, SUMMARY_HEADERS[0]))
    sections.append(divisions)
    categories = Section("各类别情况")
    if dash.by_category:
        categories.tables.append(_figure_table(category_rows(dash), dash.summary, CATEGORY_HEADERS[0]))
    else:
        categories.paragraphs.append(f"{word}无登记纠纷。")
    sections += [categories, _warnings_section(dash), _compliance_section(dash)]
    typical = Section("典型案例", cases=typical_cases(user, dash))
    if not typical.cases:
        typical.paragraphs.append(NO_TYPICAL)
    sections.append(typical)
    return Report(
        title=f"{dash.scope.short_name}矛盾纠纷排查化解工作{kind}（{span}）", kind=kind,
        scope=scope_label(dash.scope) + ("（含所辖村/社区）" if dash.scope.level != Level.VILLAGE else ""),
        period=period_text(dash.period), generated=f"{timezone.localtime(dash.now):%Y年%m月%d日}",
        sections=sections, note=note,
    )


def _cell_text(table: Table, col: int, value) -> str:
    if col in table.rates:
        return _pct(value)
    return str(value)


# --- Word ----------------------------------------------------------------------------------------------------------

STYLE_TITLE, STYLE_H1, STYLE_H2, STYLE_CELL = "报告标题", "报告一级标题", "报告二级标题", "报告表格"


def _style(doc, name, *, font, size, align=None, indent=True, line=LINE_PITCH, keep=False):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.size = Pt(size)
    set_fonts(style.element.get_or_add_rPr(), font)
    fmt = style.paragraph_format
    fmt.first_line_indent = Pt(2 * BODY_SIZE) if indent else Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, line
    fmt.keep_with_next = keep
    if align is not None:
        fmt.alignment = align
    return style


def _setup(doc, report):
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    set_body_style(doc, BODY_FONT, BODY_SIZE, LINE_PITCH, Pt(2 * BODY_SIZE))
    _style(doc, STYLE_TITLE, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
           line=Pt(36))
    _style(doc, STYLE_H1, font=HEADING_FONT, size=BODY_SIZE, keep=True)
    _style(doc, STYLE_H2, font=SUBHEADING_FONT, size=BODY_SIZE, keep=True)
    _style(doc, STYLE_CELL, font=BODY_FONT, size=TABLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False,
           line=Pt(16))
    declare_fonts(doc, FONT_TABLE)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.paragraph_format.first_line_indent = Pt(0)
    for run in [footer.add_run("— "), *field_run(footer, "PAGE"), footer.add_run(" —")]:
        run.font.size = Pt(14)
        set_fonts(run._r.get_or_add_rPr(), "宋体")
    props = doc.core_properties
    props.title, props.subject, props.author = report.title, f"矛盾纠纷排查化解工作{report.kind}", report.scope
    props.created = props.modified = timezone.now()


def _p(doc, text="", **options):
    return add_paragraph(doc, text, label_font=HEADING_FONT, **options)


def _row_property(row, tag):
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _docx_table(doc, table: Table):
    t = doc.add_table(rows=1 + len(table.rows), cols=len(table.headers))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    margins = OxmlElement("w:tblCellMar")  # 1 mm left and right (Word's 1.9 mm wraps "44.4%" in a 15 mm column)
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    look = t._tbl.tblPr.find(qn("w:tblLook"))  # the schema's order: … tblLayout, tblCellMar, tblLook
    for el in (layout, margins):
        if look is not None:
            look.addprevious(el)
        else:
            t._tbl.tblPr.append(el)
    for col, width in enumerate(table.widths):
        t.columns[col].width = Mm(width)
    cells_above = [None]
    for r, cells in enumerate([table.headers, *table.rows]):
        _row_property(t.rows[r], "w:cantSplit")  # a row never breaks across pages
        if r == 0:
            _row_property(t.rows[r], "w:tblHeader")  # repeated at the top of each page (after cantSplit)
        bold = r == 0 or (table.total and r == len(table.rows))
        for col, value in enumerate(cells):
            cell = t.cell(r, col)
            cell.width = Mm(table.widths[col])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles[STYLE_CELL]
            if col == 0 and r > 0:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            if table.group_first and col == 0 and 0 < r and value == cells_above[0]:
                continue  # merged below with the cell above (预警等级 / 预警情形)
            run = paragraph.add_run(value if r == 0 else _cell_text(table, col, value))
            if bold:
                set_fonts(run._r.get_or_add_rPr(), HEADING_FONT)
            if r == 0:
                run.font.size = Pt(TABLE_HEAD_SIZE)
        cells_above = cells
    if table.group_first:
        _merge_groups(t, table)
    doc.add_paragraph(style=STYLE_CELL)  # a little space after the table


def _merge_groups(t, table: Table):
    """Merge the first column's runs of equal values (their text is in the first cell of each run)."""
    top = 1
    for r in range(2, len(table.rows) + 2):
        if r == len(table.rows) + 1 or table.rows[r - 1][0] != table.rows[top - 1][0]:
            if r - 1 > top:
                t.cell(top, 0).merge(t.cell(r - 1, 0))
            top = r


def report_docx(report: Report) -> bytes:
    doc = Document()
    _setup(doc, report)
    name, _, span = report.title.partition("（")
    title = _p(doc, name, style=STYLE_TITLE)
    title.add_run().add_break()  # the span on its own line: a title never breaks inside it
    title.add_run(f"（{span}")
    _p(doc, f"统计范围：{report.scope}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _p(doc, f"统计期间：{report.period}", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    if report.note:
        _p(doc, f"（{report.note}）", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _p(doc)
    for n, section in enumerate(report.sections, 1):
        _p(doc, f"{chinese_number(n)}、{section.heading}", style=STYLE_H1)
        for text in section.paragraphs:
            _p(doc, text)
        for table in section.tables:
            _docx_table(doc, table)
        for i, case in enumerate(section.cases, 1):
            _p(doc, f"（{chinese_number(i)}）{case['title']}", style=STYLE_H2)
            if case["source"]:
                _p(doc, case["source"], label="案例来源：", indent=False)
            for text in case["summary"].splitlines():
                if text.strip():
                    _p(doc, text.strip())
    _p(doc)
    end = _p(doc, f"{report.generated}生成", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    end.paragraph_format.right_indent = Pt(4 * BODY_SIZE)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --- Excel ---------------------------------------------------------------------------------------------------------

XLSX_WIDTHS = [22] + [11] * 8  # nine columns: the figure tables' width
XLSX_COLUMNS = len(XLSX_WIDTHS)
SHEET_NAME = "报告"


def _text_height(text: str, columns: int = XLSX_COLUMNS) -> float:
    """A wrapped merged row's height: a CJK character takes about 1.7 width units at 11 pt
    (as LibreOffice and Excel lay it out), a line 16 pt."""
    width = sum(XLSX_WIDTHS[:columns])
    units = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return 16 * max(1, math.ceil(units * 0.85 / width))


def report_xlsx(report: Report) -> bytes:
    buffer = io.BytesIO()
    book = Book(buffer, report.title)
    wb = book.workbook
    heading = wb.add_format({"bold": True, "font_size": 12, "valign": "vcenter"})
    body = wb.add_format({"text_wrap": True, "valign": "top"})
    centered = wb.add_format({"align": "center", "valign": "vcenter", "font_color": "#444444"})
    bold = wb.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter", "text_wrap": True})
    sheet = book.sheet(SHEET_NAME, XLSX_WIDTHS)
    last = XLSX_COLUMNS - 1

    def line(r, text, fmt, height=None):
        sheet.set_row(r, height or _text_height(text))
        sheet.merge_range(r, 0, r, last, text, fmt)
        return r + 1

    r = line(0, report.title, title, 40)
    r = line(r, f"统计范围：{report.scope}　统计期间：{report.period}", centered, 20)
    if report.note:
        r = line(r, report.note, centered, 20)
    for n, section in enumerate(report.sections, 1):
        r = line(r + 1, f"{chinese_number(n)}、{section.heading}", heading, 22)
        for text in section.paragraphs:
            r = line(r, "　　" + text, body)
        for table in section.tables:
            # A narrower table spreads its columns after the first over the nine (merged cells).
            span = max(1, (XLSX_COLUMNS - 1) // (len(table.headers) - 1))
            sheet.set_row(r, 30)
            for col, header in enumerate(table.headers):
                first, end = (0, 0) if col == 0 else (1 + (col - 1) * span, col * span)
                if end > first:
                    sheet.merge_range(r, first, r, end, header, book.head)
                else:
                    sheet.write_string(r, first, header, book.head)
            r += 1
            for i, cells in enumerate(table.rows):
                total = table.total and i == len(table.rows) - 1
                for col, value in enumerate(cells):
                    first, end = (0, 0) if col == 0 else (1 + (col - 1) * span, col * span)
                    if end > first:
                        sheet.merge_range(r, first, r, end, "", book.number)
                    book.cell(sheet, r, first, value, rate=col in table.rates, total=total, centre=col > 0)
                r += 1
        for i, case in enumerate(section.cases, 1):
            r = line(r, f"（{chinese_number(i)}）{case['title']}", bold, 20)
            if case["source"]:
                r = line(r, f"案例来源：{case['source']}", body, 18)
            text = "\n".join(t.strip() for t in case["summary"].splitlines() if t.strip())
            r = line(r, text, body, _text_height(text) + 16 * text.count("\n"))
    line(r + 1, f"{report.generated}生成", wb.add_format({"align": "right"}), 18)
    sheet.print_area(0, 0, r + 1, last)
    book.close()
    return buffer.getvalue()
