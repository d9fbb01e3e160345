"""督办通知书 as a Word document, in the 公文 layout of the meeting minutes (A4, 仿宋 3号 body, 小标宋 title): the
issuing 纪委 and the notice's number (嘉纪督〔2026〕12号, allocated once by services.issue_supervision_notice), who it
is addressed to (the 四定's 承办单位, 包案领导 and 责任人), the case facts, the missed deadline, the 纪委's
requirements, the reply date and the supervision deadline, then the issuing body and date.

Also `assignment_people`, the one place that reads the 四定's people (the page and the document both use it), so
pointing them at a people directory later changes one function.
"""

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from core.docx_fonts import declare_fonts, set_body_style, set_fonts
from core.validators import mask_phone

TITLE_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
FONT_TABLE = [(TITLE_FONT, "宋体", "roman"), (BODY_FONT, "仿宋", "modern"), (HEADING_FONT, "SimHei", "modern")]
BODY_SIZE, TITLE_SIZE, ISSUER_SIZE = 16, 22, 26
LINE_PITCH = Pt(28.95)  # 22 lines a page, as in meetings/minutes_docx.py
INDENT = Pt(32)  # 首行缩进二字
RED = RGBColor(0xC0, 0x00, 0x00)
TEXT_WIDTH_PT = 440


# --- who the 四定 names ---------------------------------------------------------------------------------------------


def _person(person, role_label):
    """A directory person (org.Person) as the page and the notice name them; the account, if any, adds nothing."""
    unit = person.unit.name if person.unit_id else person.division.name
    return {"role": role_label, "name": person.name, "post": person.post, "unit": unit,
            "phone": mask_phone(person.phone) if person.phone else "", "has_account": bool(person.user_id)}


def assignment_people(assignment) -> dict | None:
    """The 四定's 包案领导, 责任人 (people of the directory, with or without an account: name, post, unit, phone
    masked — staff phones have no logged reveal path, so only the masked form is shown) and 承办单位; None without an
    active 四定. Load the assignment with `select_related(*PEOPLE_RELATED)` to save queries."""
    if assignment is None:
        return None
    lead, responsible = _person(assignment.lead_leader, "包案领导"), _person(assignment.responsible_person, "责任人")
    return {
        "lead": lead, "responsible": responsible, "persons": [lead, responsible],
        "unit": assignment.responsible_unit.name,
        "deadline": assignment.deadline,
    }


PEOPLE_RELATED = (
    "lead_leader__division", "lead_leader__unit", "responsible_person__division", "responsible_person__unit",
    "responsible_unit",
)


def issuer_name(division) -> str:
    """The issuing body: 中共嘉祥县纪律检查委员会; a 街道's 纪工委, a 镇's 纪委."""
    if division.level == "county":
        return "中共嘉祥县纪律检查委员会"
    if division.name.endswith("街道"):
        return f"中共嘉祥县{division.name}纪律检查工作委员会"
    return f"中共嘉祥县{division.name}纪律检查委员会"


# --- the document --------------------------------------------------------------------------------------------------


def _fmt_date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _fmt_instant(instant) -> str:
    local = timezone.localtime(instant)
    return f"{_fmt_date(local)}{local:%H:%M}"


def _styles(doc):
    set_body_style(doc, BODY_FONT, BODY_SIZE, LINE_PITCH, INDENT).widow_control = False


def _page(doc):
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)


def _p(doc, text="", *, label=None, align=None, indent=True, font=None, size=None, color=None, line=None):
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if not indent:
        fmt.first_line_indent = Pt(0)
    if line is not None:
        fmt.line_spacing = line
    if label:
        run = paragraph.add_run(label)
        set_fonts(run._r.get_or_add_rPr(), HEADING_FONT)
    if text:
        run = paragraph.add_run(text)
        if font:
            set_fonts(run._r.get_or_add_rPr(), font)
        if size:
            run.font.size = Pt(size)
        if color is not None:
            run.font.color.rgb = color
    return paragraph


def _red_rule(paragraph):
    """The 版头's red separator line (a bottom border on the number's paragraph)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "6"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    borders.append(bottom)
    ppr.append(borders)


def build_notice_docx(*, notice, supervision, case, people) -> bytes:
    """`notice`: the SupervisionAction of kind notice; `people`: `assignment_people(...)` (or None)."""
    doc = Document()
    _page(doc)
    _styles(doc)
    declare_fonts(doc, FONT_TABLE)
    issuer = issuer_name(supervision.division)
    props = doc.core_properties
    props.title, props.subject, props.author = f"督办通知书 {notice.number}", "纪委督办", issuer
    props.created = props.modified = timezone.now()

    # The issuer on one line: 26 pt, smaller for a long name (the text block is 156 mm ≈ 442 pt wide).
    size = min(ISSUER_SIZE, int(TEXT_WIDTH_PT // max(len(issuer), 1)))
    _p(doc, issuer, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, font=TITLE_FONT, size=size, color=RED,
       line=Pt(40))
    _p(doc, "督办通知书", align=WD_ALIGN_PARAGRAPH.CENTER, indent=False, font=TITLE_FONT, size=TITLE_SIZE, line=Pt(40))
    _p(doc)
    _red_rule(_p(doc, notice.number, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False))
    _p(doc)

    if people:
        addressees = f"{people['unit']}，{people['lead']['name']}同志、{people['responsible']['name']}同志："
    else:
        addressees = f"{case.holder_division.name}："
    _p(doc, addressees, indent=False)
    missed = _fmt_instant(supervision.missed_deadline)
    _p(doc, f"由你们承办的{case.number}“{case.title}”，已超过办结时限（{missed}）仍未办结。"
            f"根据矛盾纠纷多元化解工作有关规定，现予督办。")
    _p(doc, label="一、案件基本情况")
    facts = [
        ("案件编号", case.number), ("纠纷标题", case.title),
        ("所在村（社区）", f"{case.village.parent.name}{case.village.short_name}" if case.village.parent_id
                          else case.village.short_name), ("纠纷类别", case.get_category_display()),
        ("办理层级", f"{case.get_tier_display()}级，{case.get_status_display()}"),
        ("逾期的办结时限", missed), ("督办时限", _fmt_instant(supervision.due_at)),
    ]
    if people:
        for key in ("lead", "responsible"):
            person = people[key]
            post = "，".join(x for x in (person["unit"], person["post"]) if x)
            facts.append((person["role"], f"{person['name']}（{post}）" if post else person["name"]))
        facts.append(("承办单位", people["unit"]))
    else:
        facts.append(("四定", "尚未落实包案领导和责任人"))
    for label, value in facts:
        _p(doc, f"{label}：{value}")
    _p(doc, label="二、督办要求")
    for line in notice.text.splitlines():
        if line.strip():
            _p(doc, line.strip())
    _p(doc, label="三、回复要求")
    _p(doc, f"请于{_fmt_date(notice.reply_by)}前将办理进展和落实情况书面回复{issuer}。"
            f"须在{_fmt_instant(supervision.due_at)}前办结；督办时限届满仍未办结的，"
            f"案件提级到县社会治理协调中心办理，并依规依纪追究相关责任。")
    _p(doc)
    _p(doc)
    _p(doc, issuer, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False).paragraph_format.right_indent = Pt(32)
    _p(doc, _fmt_date(notice.on_date), align=WD_ALIGN_PARAGRAPH.RIGHT,
       indent=False).paragraph_format.right_indent = Pt(48)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
