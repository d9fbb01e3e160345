"""Writes the built-in .docx templates of the mediation documents (cases/doc_templates/*.docx) in the layout of our
other documents (A4, 仿宋_GB2312 3号 body, 小标宋 title; core.docx_fonts). The .docx files are committed; run this
only to change the built-in layout:

    .venv/bin/python -m cases.doc_templates.build

The placeholders are docxtpl's (Jinja): {{ name }}, and {%p if … %} / {%p for … %} paragraphs. An administrator may
upload a replacement using the same placeholders (admin → 调解文书模板; docs/mediation.md lists them).
"""

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from core.docx_fonts import declare_fonts, set_body_style, set_fonts

HERE = Path(__file__).resolve().parent
TITLE_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"
FONT_TABLE = [(TITLE_FONT, "宋体", "roman"), (BODY_FONT, "仿宋", "modern"), (HEADING_FONT, "SimHei", "modern")]
LINE_PITCH = Pt(28.95)
INDENT = Pt(32)
CENTER, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT


def new_document(title):
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(30), Mm(28)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    set_body_style(doc, BODY_FONT, 16, LINE_PITCH, INDENT).widow_control = False
    declare_fonts(doc, FONT_TABLE)
    doc.core_properties.title = title
    doc.core_properties.author = "嘉祥县平安周例会"
    return doc


def p(doc, text="", *, label=None, align=None, indent=True, font=None, size=None, line=None):
    paragraph = doc.add_paragraph()
    fmt = paragraph.paragraph_format
    if align is not None:
        paragraph.alignment = align
    if not indent or (label and not text):  # a heading line starts at the margin
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
    return paragraph


def heading(doc, committee=True, title=""):
    if committee:
        p(doc, "{{ committee }}", align=CENTER, indent=False, font=TITLE_FONT, size=18, line=Pt(36))
    p(doc, title, align=CENTER, indent=False, font=TITLE_FONT, size=22, line=Pt(40))
    p(doc, "编号：{{ number }}", align=RIGHT, indent=False, size=14)


def parties(doc):
    p(doc, "{%p for party in parties %}", indent=False)
    p(doc, "{{ party.role }}：{{ party.name }}，{{ party.sex }}，身份证号：{{ party.id_number }}，住址：{{ party.address }}，"
           "联系电话：{{ party.phone }}", indent=False)
    p(doc, "{%p endfor %}", indent=False)


def signatures(doc, *, mediators=True):
    p(doc)
    p(doc, "{%p for party in parties %}", indent=False)
    p(doc, "{{ party.role }}（签名、盖章或按指印）：______________", indent=False)
    p(doc, "{%p endfor %}", indent=False)
    if mediators:
        p(doc, "人民调解员（签名）：{{ mediators }}　______________", indent=False)
    p(doc, "{{ committee }}（印章）", align=RIGHT, indent=False)
    p(doc, "{{ signed_on }}", align=RIGHT, indent=False).paragraph_format.right_indent = Pt(32)


def application():
    doc = new_document("人民调解申请书")
    heading(doc, title="人民调解申请书")
    p(doc, label="申请人")
    p(doc, "{%p for party in applicants %}", indent=False)
    p(doc, "{{ party.name }}，{{ party.sex }}，身份证号：{{ party.id_number }}，住址：{{ party.address }}，"
           "联系电话：{{ party.phone }}", indent=False)
    p(doc, "{%p endfor %}", indent=False)
    p(doc, label="被申请人")
    p(doc, "{%p for party in respondents %}", indent=False)
    p(doc, "{{ party.name }}，{{ party.sex }}，身份证号：{{ party.id_number }}，住址：{{ party.address }}，"
           "联系电话：{{ party.phone }}", indent=False)
    p(doc, "{%p endfor %}", indent=False)
    p(doc, label="纠纷简要情况")
    p(doc, "{{ description }}")
    p(doc, label="申请事项")
    p(doc, "申请人自愿申请{{ committee }}对上述纠纷进行调解。申请人已知悉人民调解遵循自愿、平等原则，"
           "调解不收取任何费用，当事人可以选择或者接受人民调解员，可以要求公开或者不公开进行调解。")
    p(doc)
    p(doc, "申请人（签名或按指印）：______________", indent=False)
    p(doc, "{{ logged_on }}", align=RIGHT, indent=False).paragraph_format.right_indent = Pt(32)
    p(doc, "（本申请书由{{ committee }}存档。案件编号：{{ case_number }}）", indent=False, size=12)
    return doc


def session():
    doc = new_document("调解笔录")
    heading(doc, title="调解笔录")
    for label, value in (("时间", "{{ held_on }}"), ("地点", "{{ place }}"), ("调解形式", "{{ form }}"),
                         ("人民调解员", "{{ mediators }}"), ("记录人", "{{ recorder }}"),
                         ("参加人员", "{{ attendees }}"), ("纠纷", "{{ case_number }} {{ title }}")):
        p(doc, value, label=f"{label}：", indent=False)
    p(doc, label="当事人")
    parties(doc)
    p(doc, label="调解记录")
    p(doc, "{{ record }}")
    p(doc)
    p(doc, "以上笔录经当事人阅读（或向其宣读）无误。", indent=False)
    p(doc, "{%p for party in parties %}", indent=False)
    p(doc, "{{ party.role }}（签名或按指印）：______________", indent=False)
    p(doc, "{%p endfor %}", indent=False)
    p(doc, "人民调解员（签名）：______________", indent=False)
    p(doc, "记录人（签名）：______________", indent=False)
    return doc


def agreement():
    doc = new_document("人民调解协议书")
    heading(doc, title="人民调解协议书")
    parties(doc)
    p(doc, label="纠纷主要事实、争议事项及各方责任")
    p(doc, "{{ facts }}")
    p(doc, label="经调解，各方当事人自愿达成如下协议")
    p(doc, "{{ terms }}")
    p(doc, label="履行方式、时限")
    p(doc, "{{ performance_manner }}；于{{ performance_deadline }}前履行完毕。")
    p(doc, "{%p if amount_agreed %}", indent=False)
    p(doc, "协议金额：人民币{{ amount_agreed }}元（纠纷涉及金额：{{ amount_involved }}元）。")
    p(doc, "{%p endif %}", indent=False)
    p(doc, "{%p if partial %}", indent=False)
    p(doc, label="未达成协议的事项")
    p(doc, "{{ remaining_issues }}。已告知当事人：{{ remaining_route }}")
    p(doc, "{%p endif %}", indent=False)
    p(doc, "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效，具有法律约束力，"
           "当事人应当按照约定履行。双方当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
           "本协议一式{{ copies }}份，当事人各执一份，人民调解委员会留存一份。")
    signatures(doc)
    return doc


def oral():
    doc = new_document("口头调解协议登记表")
    heading(doc, title="口头调解协议登记表")
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    rows = (("纠纷", "{{ case_number }} {{ title }}"), ("当事人", "{{ parties_text }}"),
            ("纠纷简要情况", "{{ description }}"), ("口头协议内容", "{{ terms }}"),
            ("达成（生效）日期", "{{ signed_on }}"), ("协议金额（元）", "{{ amount_agreed }}"),
            ("人民调解员", "{{ mediators }}"), ("登记人", "{{ recorder }}"), ("登记日期", "{{ recorded_on }}"))
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Mm(46), Mm(110)
        for cell, text in ((cells[0], label), (cells[1], value)):
            para = cell.paragraphs[0]
            para.alignment = WD_ALIGN_PARAGRAPH.LEFT
            para.paragraph_format.first_line_indent = Pt(0)
            para.paragraph_format.line_spacing = Pt(22)
            run = para.add_run(text)
            run.font.size = Pt(14)
            if cell is cells[0]:
                set_fonts(run._r.get_or_add_rPr(), HEADING_FONT)
    table.columns[0].width, table.columns[1].width = Mm(46), Mm(110)
    p(doc)
    p(doc, "口头调解协议自各方当事人达成协议之日起生效（《中华人民共和国人民调解法》第三十条）。", indent=False, size=12)
    return doc


def visit():
    doc = new_document("回访记录")
    heading(doc, title="回访记录")
    for label, value in (("纠纷", "{{ case_number }} {{ title }}"), ("回访日期", "{{ visited_on }}"),
                         ("回访人", "{{ visitor }}"), ("调解协议", "{{ agreement }}"),
                         ("协议履行情况", "{{ kept }}"), ("当事人满意度", "{{ satisfaction }}"),
                         ("反复苗头", "{{ relapse }}")):
        p(doc, value, label=f"{label}：", indent=False)
    p(doc, label="被回访当事人")
    parties(doc)
    p(doc, label="回访情况")
    p(doc, "{{ note }}")
    p(doc)
    p(doc, "回访人（签名）：______________", indent=False)
    p(doc, "{{ committee }}", align=RIGHT, indent=False)
    return doc


BUILDERS = {"application": application, "session": session, "agreement": agreement, "oral": oral, "visit": visit}


def main():
    for kind, build in BUILDERS.items():
        build().save(HERE / f"{kind}.docx")
        print(HERE / f"{kind}.docx")


if __name__ == "__main__":
    main()
