"""Word (.docx) helpers shared by the documents we generate (the meeting minutes, the casebook): fonts for all four
scripts (so a Chinese 仿宋/黑体 really applies to Chinese text), a run property, a field (PAGE, TOC) and the font
table's alternatives. Pure python-docx/lxml; imports none of our apps."""

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree


def set_fonts(rpr, name):
    """All four scripts in `name`, dropping the template's theme fonts (which would win over a plain name)."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for key in list(rfonts.attrib):
        del rfonts.attrib[key]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def set_property(rpr, tag, **attrs):
    """Find or add the child `tag` of a run/paragraph property element and set its w: attributes."""
    el = rpr.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        rpr.append(el)
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), str(value))
    return el


def field_run(paragraph, instruction, placeholder="1"):
    """A complex field (fldChar begin / instrText / separate / a placeholder / end), updated by Word on display."""
    def run_with(child):
        run = paragraph.add_run()
        run._r.append(child)
        return run

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    runs = [run_with(begin), run_with(instr), run_with(separate)]
    runs.append(paragraph.add_run(placeholder))
    runs.append(run_with(end))
    return runs


def declare_fonts(doc, table):
    """Declare fonts with their alternatives (w:altName) and the GB2312 charset in the font table, so Word
    substitutes e.g. 仿宋 for 仿宋_GB2312 where that is not installed. `table`: [(name, alternative, family)]."""
    part = next(rel.target_part for rel in doc.part.rels.values() if rel.reltype == RT.FONT_TABLE)
    root = etree.fromstring(part.blob)
    known = {el.get(qn("w:name")) for el in root.findall(qn("w:font"))}
    for name, alternative, family in table:
        if name in known:
            continue
        font = etree.SubElement(root, qn("w:font"), {qn("w:name"): name})
        etree.SubElement(font, qn("w:altName"), {qn("w:val"): alternative})
        etree.SubElement(font, qn("w:charset"), {qn("w:val"): "86"})
        etree.SubElement(font, qn("w:family"), {qn("w:val"): family})
        etree.SubElement(font, qn("w:pitch"), {qn("w:val"): "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)  # a plain Part


def add_paragraph(doc, text="", *, style=None, align=None, indent=True, label=None, label_font="黑体", keep=False):
    """A body paragraph: optional bold-face lead-in `label` (e.g. "【案情简介】") in `label_font`, then `text`;
    `indent=False` drops the style's first-line indent; `keep` keeps it on the page of the next paragraph."""
    paragraph = doc.add_paragraph(style=style)
    if keep:
        paragraph.paragraph_format.keep_with_next = True
    if align is not None:
        paragraph.alignment = align
    if not indent:
        paragraph.paragraph_format.first_line_indent = Pt(0)
    if label:
        run = paragraph.add_run(label)
        set_fonts(run._r.get_or_add_rPr(), label_font)
    if text:
        paragraph.add_run(text)
    return paragraph


def set_body_style(doc, font, size_pt, line_pitch, indent):
    """GB/T 9704 body text: the document's default run and Normal in `font` at `size_pt` (Chinese language tag),
    exact `line_pitch`, no space before or after, first-line `indent`, justified. Returns Normal's paragraph format
    for what a document adds (widow control, …)."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr, font)
    set_property(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(size_pt)
    set_fonts(normal.element.get_or_add_rPr(), font)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, line_pitch
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.first_line_indent = indent
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    return fmt
