"""嘉祥县矛盾纠纷典型案例汇编 as a Word document: a title page, a table of contents (a real TOC field Word fills in,
and a written list of the case titles per category so it reads before the field is updated), then the cases grouped
by category (a heading per category), each with its anonymised title, its 三治 and method tags and its text.

Nothing that identifies a party leaves here: every title and text is passed through `rules.anonymise.scrub` with the
case's current parties again (parties may have been added after the case was listed), which turns their names into
张某/李某 and drops ID numbers, phones and house numbers.
"""

import io

from django.utils import timezone
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from core.docx_fonts import add_paragraph, declare_fonts, field_run, set_fonts, set_property

from .models import Category
from .rules.anonymise import scrub

TITLE = "嘉祥县矛盾纠纷典型案例汇编"
TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
FONT_TABLE = [(TITLE_FONT, "宋体", "roman"), (BODY_FONT, "仿宋", "modern"), (SUBHEADING_FONT, "楷体", "modern"),
              (HEADING_FONT, "SimHei", "modern")]
BODY_SIZE = 16  # 3号
TOC_NOTE = "（在 Word 中右键单击目录并选择“更新域”，即生成带页码的目录。）"
DIGITS = "〇一二三四五六七八九"


def chinese_number(n: int) -> str:
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (f"{DIGITS[tens] if tens > 1 else ''}十" if tens else "") + (DIGITS[ones] if ones else "")


def anonymised(typical) -> dict:
    """What the compilation prints of one typical case, scrubbed against the case's current parties."""
    case = typical.dispute
    parties = list(case.parties.all())
    town = case.village.parent.name if case.village.parent_id else ""
    year = case.first_resolved_at or case.resolved_at
    return {
        "title": scrub(typical.title, parties), "summary": scrub(typical.summary, parties),
        "experience": scrub(typical.experience, parties), "governance": typical.governance_labels,
        "methods": typical.method_labels, "category": case.category,
        "source": "，".join(x for x in (town, f"{timezone.localtime(year):%Y}年化解" if year else "") if x),
    }


def grouped(typicals) -> list[tuple[str, list[dict]]]:
    """[(category label, [case])] in the national list's order, empty categories left out."""
    by = {}
    for t in typicals:
        item = anonymised(t)
        by.setdefault(item["category"], []).append(item)
    return [(str(label), by[code]) for code, label in Category.choices if code in by]


def build_casebook_docx(typicals, *, scope: str = "") -> bytes:
    groups = grouped(typicals)
    doc = Document()
    _page(doc)
    _styles(doc)
    declare_fonts(doc, FONT_TABLE)
    _footer(doc)
    props = doc.core_properties
    props.title, props.subject, props.author = TITLE, "典型案例汇编", "嘉祥县社会治理协调中心"
    props.created = props.modified = timezone.now()
    _title_page(doc, groups, scope)
    _contents(doc, groups)
    _cases(doc, groups)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _page(doc):
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Mm(37), Mm(35), Mm(28), Mm(26)
    section.different_first_page_header_footer = True  # the title page carries no page number
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


def _font(style, name, size, *, bold=False):
    style.font.size = Pt(size)
    style.font.bold = bold
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_fonts(style.element.get_or_add_rPr(), name)


def _styles(doc):
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, BODY_FONT)
    set_property(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(28)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = Pt(2 * BODY_SIZE)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    # Word's built-in headings (the TOC field collects them), in 黑体 / 楷体 and black.
    for name, font, size in (("Heading 1", HEADING_FONT, BODY_SIZE + 2), ("Heading 2", SUBHEADING_FONT, BODY_SIZE)):
        style = doc.styles[name]
        _font(style, font, size, bold=name == "Heading 2")
        style.paragraph_format.first_line_indent = Pt(0)
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(12), Pt(6)
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        style.paragraph_format.line_spacing = Pt(30)
        rfonts = style.element.get_or_add_rPr().find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            rfonts.attrib.pop(qn(attr), None)
    title = doc.styles.add_style("汇编标题", WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = normal
    _font(title, TITLE_FONT, 26)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.first_line_indent = Pt(0)
    title.paragraph_format.line_spacing = Pt(44)


def _footer(doc):
    paragraph = doc.sections[0].footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.first_line_indent = Pt(0)
    for run in [paragraph.add_run("— "), *field_run(paragraph, "PAGE"), paragraph.add_run(" —")]:
        run.font.size = Pt(14)
        set_fonts(run._r.get_or_add_rPr(), "宋体")


def _p(doc, text="", **options):
    return add_paragraph(doc, text, label_font=HEADING_FONT, **options)


def _page_break(doc):
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _title_page(doc, groups, scope):
    for _ in range(5):
        _p(doc)
    _p(doc, TITLE, style="汇编标题")
    _p(doc)
    count = sum(len(items) for _, items in groups)
    _p(doc, f"共{count}件", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    if scope:
        _p(doc, f"（{scope}）", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    for _ in range(8):
        _p(doc)
    _p(doc, "嘉祥县社会治理协调中心", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _p(doc, f"{timezone.localdate():%Y}年{timezone.localdate().month}月", align=WD_ALIGN_PARAGRAPH.CENTER,
       indent=False)
    _p(doc, "（当事人姓名已作化名处理，身份证号、电话、门牌号等信息已删除）", align=WD_ALIGN_PARAGRAPH.CENTER,
       indent=False)
    _page_break(doc)


def _contents(doc, groups):
    heading = _p(doc, "目　录", style="汇编标题")
    heading.paragraph_format.space_after = Pt(12)
    toc = _p(doc, indent=False)
    field_run(toc, 'TOC \\o "1-2" \\h \\z \\u', placeholder=TOC_NOTE)
    _p(doc)
    _p(doc, label="案例目录", indent=False)
    for n, (label, items) in enumerate(groups, 1):
        _p(doc, f"{chinese_number(n)}、{label}类纠纷（{len(items)}件）", indent=False)
        for i, item in enumerate(items, 1):
            line = _p(doc, f"{i}. {item['title']}", indent=False)
            line.paragraph_format.left_indent = Pt(2 * BODY_SIZE)
    if not groups:
        _p(doc, "当前筛选条件下没有典型案例。", indent=False)
    _page_break(doc)


def _cases(doc, groups):
    for n, (label, items) in enumerate(groups, 1):
        _p(doc, f"{chinese_number(n)}、{label}类纠纷", style="Heading 1")
        for i, item in enumerate(items, 1):
            _p(doc, f"（{chinese_number(i)}）{item['title']}", style="Heading 2")
            tags = "、".join(item["governance"]) or "—"
            line = _p(doc, tags, label="三治融合：", indent=False, keep=True)
            if item["methods"]:
                line.add_run("　")
                run = line.add_run("调解方法：")
                set_fonts(run._r.get_or_add_rPr(), HEADING_FONT)
                line.add_run("、".join(item["methods"]))
            if item["source"]:
                _p(doc, item["source"], label="案例来源：", indent=False, keep=True)
            _p(doc, label="【案情简介】", indent=False, keep=True)
            for text in item["summary"].splitlines():
                if text.strip():
                    _p(doc, text.strip())
            if item["experience"]:
                _p(doc, label="【化解过程与经验】", indent=False, keep=True)
                for text in item["experience"].splitlines():
                    if text.strip():
                        _p(doc, text.strip())
