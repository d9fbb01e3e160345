"""会议纪要 as a Word document in the national format for official documents, 党政机关公文格式 (GB/T 9704-2012), as it
applies to a 纪要 (no 版头 and no 发文机关署名/印章: the title names the meeting; the record ends with 记录人/审核人).

* paper A4 (210 × 297 mm); margins top 37, bottom 35, left 28, right 26 mm, so the text block (版心) is 156 × 225 mm;
* title 2号 (22 pt) 小标宋 — "方正小标宋简体", with 宋体 as its alternative name in the font table (Word substitutes
  it where the 方正 font is not installed), centred;
* body 3号 (16 pt) 仿宋 — "仿宋_GB2312", alternative 仿宋 — 22 lines of 28 characters a page (see LINE_PITCH and
  CHAR_SPACING for the arithmetic); first-level headings "一、" 黑体, second-level "（一）" 楷体, as §7.3.3 orders;
* page numbers 4号 (14 pt) 宋体 "— 1 —" below the text block, outside: odd pages right, even pages left, one
  character in from the edge of the text block (w:evenAndOddHeaders and two footers with a PAGE field);
* the core properties: title = the minutes' title, author = the convening division.

`build_docx(data)` takes the record `minutes.for_viewer` returns (the frozen JSON, format 1 or 2, or a draft).
"""

import io

from django.utils import timezone
from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from core.docx_fonts import declare_fonts, field_run, set_fonts, set_property

from .minutes import NOT_REVIEWED, is_reviewed

# --- the page ------------------------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)  # A4
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_SIZE, TITLE_SIZE, PAGE_NUMBER_SIZE = 16, 22, 14  # 3号, 2号, 4号

# Line pitch: the text block is 297 - 37 - 35 = 225 mm = 637.8 pt high; 22 lines would be 28.99 pt each. Word's
# GB/T 9704 templates use an exact 28.95 pt (579 twips): 22 × 28.95 = 636.9 pt, so rounding never pushes the 22nd
# line onto the next page and a 23rd never fits.
LINE_PITCH = Pt(28.95)
# Character pitch: the text block is 210 - 28 - 26 = 156 mm = 442.2 pt wide, but 28 full-width characters of 16 pt
# are 448 pt: each must be condensed by (448 - 442.2) / 28 = 0.207 pt. Word counts character spacing in twentieths
# of a point; -4 (-0.20 pt) leaves 28 × 15.80 = 442.4 pt, just too wide, so -5 (-0.25 pt): 28 × 15.75 = 441.0 pt
# fits and 29 × 15.75 = 456.75 pt does not — exactly 28 characters a line.
CHAR_SPACING = -5  # w:spacing w:val, in twentieths of a point
CHAR_PITCH_PT = BODY_SIZE + CHAR_SPACING / 20  # 15.75 pt
FIRST_LINE_INDENT = Pt(2 * CHAR_PITCH_PT)  # 首行缩进二字
# The page number's dash sits 7 mm below the text block (§7.5): its top 35 - 7 = 28 mm above the paper's edge; the
# footer line is an exact 18 pt (6.35 mm) high, so the footer's bottom is 28 - 6.35 ≈ 21.6 mm from the edge.
FOOTER_LINE = Pt(18)
FOOTER_DISTANCE = Mm(21.6)

# --- fonts (name, the alternative Word falls back to, the GB2312 charset of the font table) -------------------------

TITLE_FONT, TITLE_FALLBACK = "方正小标宋简体", "宋体"
BODY_FONT, BODY_FALLBACK = "仿宋_GB2312", "仿宋"
HEADING_FONT = "黑体"
SUBHEADING_FONT, SUBHEADING_FALLBACK = "楷体_GB2312", "楷体"
PAGE_NUMBER_FONT = "宋体"
FONT_TABLE = [(TITLE_FONT, TITLE_FALLBACK, "roman"), (BODY_FONT, BODY_FALLBACK, "modern"),
              (SUBHEADING_FONT, SUBHEADING_FALLBACK, "modern"), (HEADING_FONT, "SimHei", "modern"),
              (PAGE_NUMBER_FONT, "SimSun", "auto")]

REDUCED_NOTE = "（责任单位摘录：仅含本单位承办或负责的案件的研判事项，不含会议地点、参会人员和会议小结。）"
DIGITS = "〇一二三四五六七八九"
STYLE_TITLE, STYLE_H1, STYLE_H2 = "纪要标题", "纪要一级标题", "纪要二级标题"


def build_docx(data: dict) -> bytes:
    doc = Document()
    _page(doc)
    _styles(doc)
    _font_table(doc)
    _footers(doc)
    _core_properties(doc, data)
    _body(doc, data)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _page(doc):
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = FOOTER_DISTANCE
    section.different_first_page_header_footer = False  # 公文: the first page is numbered too
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is not None:  # the line grid Word shows, matching the exact line pitch
        grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    doc.settings.odd_and_even_pages_header_footer = True  # w:evenAndOddHeaders: page numbers outside
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


# --- styles --------------------------------------------------------------------------------------------------------


def _fonts(rpr, name):
    set_fonts(rpr, name)


def _set(rpr, tag, **attrs):
    return set_property(rpr, tag, **attrs)


def _char_spacing(rpr, twentieths):
    _set(rpr, "w:spacing", val=twentieths)


def _paragraph_style(doc, name, *, font, size, align=None, indent=True, outline=None, spacing=CHAR_SPACING):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    style.font.size = Pt(size)
    _fonts(style.element.get_or_add_rPr(), font)
    _char_spacing(style.element.get_or_add_rPr(), spacing)
    fmt = style.paragraph_format
    fmt.first_line_indent = FIRST_LINE_INDENT if indent else Pt(0)
    fmt.keep_with_next = outline is not None
    if align is not None:
        fmt.alignment = align
    if outline is not None:  # the document map / navigation pane
        _set(style.element.get_or_add_pPr(), "w:outlineLvl", val=outline)
    return style


def _styles(doc):
    # Document defaults: 仿宋 16 pt, Chinese, no space between paragraphs.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _fonts(rpr, BODY_FONT)
    _set(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    spacing = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr")).find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:after"), "0")

    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_SIZE)
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
    _char_spacing(normal.element.get_or_add_rPr(), CHAR_SPACING)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE_PITCH
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = FIRST_LINE_INDENT
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.widow_control = False  # every page holds its 22 lines

    _paragraph_style(doc, STYLE_TITLE, font=TITLE_FONT, size=TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER,
                     indent=False, outline=0, spacing=0)
    _paragraph_style(doc, STYLE_H1, font=HEADING_FONT, size=BODY_SIZE, outline=1)
    _paragraph_style(doc, STYLE_H2, font=SUBHEADING_FONT, size=BODY_SIZE, outline=2)


def _font_table(doc):
    """Declare the 公文 fonts with their alternatives (w:altName) and the GB2312 charset, so Word substitutes 宋体 for
    方正小标宋简体, 仿宋 for 仿宋_GB2312 and 楷体 for 楷体_GB2312 where those are not installed."""
    declare_fonts(doc, FONT_TABLE)


# --- page numbers --------------------------------------------------------------------------------------------------


def _field_run(paragraph, instruction):
    """A complex field (fldChar begin / instrText / separate / a placeholder / end), updated by Word on display."""
    return field_run(paragraph, instruction)


def _page_number(footer, align):
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, FOOTER_LINE
    one_char = Pt(PAGE_NUMBER_SIZE)  # 单页码居右空一字，双页码居左空一字
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = one_char
    else:
        fmt.left_indent = one_char
    runs = [paragraph.add_run("— "), *_field_run(paragraph, "PAGE"), paragraph.add_run(" —")]
    for run in runs:
        run.font.size = Pt(PAGE_NUMBER_SIZE)
        rpr = run._r.get_or_add_rPr()
        _fonts(rpr, PAGE_NUMBER_FONT)
        _char_spacing(rpr, 0)


def _footers(doc):
    section = doc.sections[0]
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)  # the default footer: odd pages
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)


def _core_properties(doc, data):
    props = doc.core_properties
    division = (data.get("division") or {}).get("name", "")
    props.title = data["title"]
    props.author = props.last_modified_by = division
    props.subject = "平安周例会纪要"
    props.keywords = props.comments = props.category = ""
    props.created = props.modified = timezone.now()
    props.revision = 1


# --- the text ------------------------------------------------------------------------------------------------------


def _p(doc, text="", *, label=None, style=None, align=None, indent=True):
    paragraph = doc.add_paragraph(style=style)
    if align is not None:
        paragraph.alignment = align
    if not indent:
        paragraph.paragraph_format.first_line_indent = Pt(0)
    if label:
        run = paragraph.add_run(f"{label}：")
        _fonts(run._r.get_or_add_rPr(), HEADING_FONT)
    if text:
        paragraph.add_run(text)
    return paragraph


class _Headings:
    """一、二、三、… in the order the sections actually appear."""

    def __init__(self, doc):
        self.doc, self.n = doc, 0

    def __call__(self, text):
        self.n += 1
        return _p(self.doc, f"{chinese_number(self.n)}、{text}", style=STYLE_H1)


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 35 → 三十五 (1–99; larger numbers stay in digits)."""
    if not 0 < n < 100:
        return str(n)
    tens, ones = divmod(n, 10)
    return (f"{DIGITS[tens] if tens > 1 else ''}十" if tens else "") + (DIGITS[ones] if ones else "")


def _case_line(item) -> str:
    parts = [item["village"], item["category"], f"风险{item['risk_label']}",
             f"现状{item['tier_label']}级{item['status_label']}"]
    if item.get("deadline"):
        parts.append(f"时限{item['deadline']}")
    return "，".join(parts)


def _body(doc, data):
    title = _p(doc, data["title"], style=STYLE_TITLE)
    for run in title.runs:  # also as direct formatting, for readers that ignore paragraph styles
        run.font.size = Pt(TITLE_SIZE)
        _fonts(run._r.get_or_add_rPr(), TITLE_FONT)
    if data.get("draft"):
        _p(doc, "（草稿：例会尚未闭会）", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    _p(doc)  # 标题下空一行
    heading = _Headings(doc)
    _p(doc, data["date_label"], label="时间")
    if data.get("reduced"):  # a responsible unit's copy: its own cases' items only
        _p(doc, data["convener"], label="召集人")
        _p(doc, REDUCED_NOTE)
    else:
        _p(doc, f"{data['place']}（{data['form_label']}）", label="地点")
        _p(doc, data["convener"], label="召集人")
    for label, key in (("记录人", "recorder"), ("审核人", "checker")):
        if data.get(key):
            _p(doc, data[key], label=label)

    if not data.get("reduced"):
        heading("参会人员")
        by_kind = {}
        for a in data["attendees"]:
            extra = "，".join(x for x in (a["role_title"], a["unit"]) if x)
            by_kind.setdefault(a["kind_label"], []).append(f"{a['name']}（{extra}）" if extra else a["name"])
        for label, names in by_kind.items():
            _p(doc, "、".join(names), label=label)
        if not by_kind:
            _p(doc, "（未登记）")

    reviewed = [i for i in data["items"] if is_reviewed(i)]
    not_reviewed = [i for i in data["items"] if not is_reviewed(i)]
    heading(f"研判事项（{len(reviewed)}件）")
    for n, item in enumerate(reviewed, 1):
        _reviewed_item(doc, n, item)
    if not reviewed:
        _p(doc, "本次例会未研判案件。")
    if not_reviewed:
        heading(f"未研判事项（{len(not_reviewed)}件，转下次例会）")
        for n, item in enumerate(not_reviewed, 1):
            reasons = f"；上会原因：{'、'.join(item['reasons'])}" if item.get("reasons") else ""
            carried = "（上次例会已转入）" if item.get("carried_over") else ""
            _p(doc, f"{n}. {item['number']} {item['title']}{carried}：{_case_line(item)}{reasons}。{NOT_REVIEWED}。")
    if data.get("hidden"):
        _p(doc, f"另有{data['hidden']}件不在您的查看范围内，未列出。")

    if data["overrides"]:
        heading("规则提示不予处理说明")
        for o in data["overrides"]:
            _p(doc, f"{o['reason']}（{o['by']}）", label=f"{o['number']} {o['rule']}")
    if data.get("summary"):
        heading("会议小结")
        _p(doc, data["summary"])
    _p(doc)
    end = _p(doc, f"闭会时间：{data['closed_at'] or '未闭会'}", align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
    end.paragraph_format.right_indent = Pt(4 * CHAR_PITCH_PT)  # like a 成文日期: 右空四字 (§7.3.5.1)


def _reviewed_item(doc, n, item):
    _p(doc, f"（{chinese_number(n)}）{item['number']} {item['title']}", style=STYLE_H2)
    _p(doc, _case_line(item), label="基本情况")
    _p(doc, item["analysis"], label="研判意见")
    _p(doc, item["decision_label"], label="决定")
    if item["actions"]:
        _p(doc, "、".join(item["actions"]), label="办理")
    a = item["assignment"]
    if a:
        _p(doc, f"包案领导{a['lead_leader']}；责任单位{a['unit']}；责任人{a['person']}；办结时限{a['deadline']}；"
                f"调处措施：{a['measures']}", label="四定")
    w = item["warning"]
    if w:
        _p(doc, f"{w['level_label']}；情形：{'、'.join(w['triggers'])}；报送：{w['submitted_to']}；"
                f"重新评估：{w['reassess_on']}", label="预警")
    r = item["referral"]
    if r:
        _p(doc, f"{r['from']} → {r['to']}：{r['reason']}", label=r["kind_label"])

