"""会议纪要: frozen into `Meeting.minutes` (JSON) when the meeting closes; printed (A4 page) and exported (.docx)
from that frozen record, never from the live cases, so the minutes say what was decided that day.

`freeze(meeting)` builds the record in a fixed number of queries. `for_viewer(user, data)` drops the items of cases
the viewer may not see (the record is case content, DESIGN.md §7). `build_docx(data)` renders it with python-docx.
"""

import io

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from cases.models import Assignment, CaseEvent, EarlyWarning, Referral, ReferralKind, Tier
from cases.selectors import cases_visible_to

from .models import AttendeeKind, FlagOverride, Meeting, Review

FORMAT_VERSION = 1
KIND_ORDER = {kind: i for i, kind in enumerate(AttendeeKind.values)}


def meeting_place_name(meeting: Meeting) -> str:
    """嘉祥街道 / 嘉祥街道刘山村 / 嘉祥县."""
    division = meeting.division
    if meeting.tier == Tier.VILLAGE and division.parent_id:
        return f"{division.parent.short_name}{division.short_name}"
    return division.short_name


def meeting_title(meeting: Meeting) -> str:
    """E.g. "嘉祥街道2026年第48周平安周例会纪要"."""
    return f"{meeting_place_name(meeting)}{meeting.iso_year}年第{meeting.iso_week}周平安周例会纪要"


def _name(user):
    return (user.get_full_name() or user.username) if user else ""


def _date(value):
    return f"{value.year}年{value.month}月{value.day}日"


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def freeze(meeting: Meeting) -> dict:
    """The minutes as plain JSON: the meeting, its attendees and, per reviewed case, what was decided."""
    reviews = list(
        Review.objects.filter(meeting=meeting).select_related("dispute__village", "decided_by").order_by("id")
    )
    ids = [r.dispute_id for r in reviews]
    assignments = {
        a.dispute_id: a for a in Assignment.objects.filter(meeting=meeting, dispute_id__in=ids)
        .select_related("lead_leader", "responsible_person", "responsible_unit").order_by("created_at", "id")
    }  # the last 四定 fixed at this meeting wins
    warnings = {w.dispute_id: w for w in EarlyWarning.objects.filter(meeting=meeting, dispute_id__in=ids).order_by(
        "raised_at", "id")}
    referrals = {r.dispute_id: r for r in Referral.objects.filter(meeting=meeting, dispute_id__in=ids)
                 .select_related("from_division", "to_division", "to_unit").order_by("created_at", "id")}
    actions = {}
    for e in CaseEvent.objects.filter(meeting=meeting, dispute_id__in=ids).order_by("at", "id"):
        actions.setdefault(e.dispute_id, []).append(e.get_kind_display())
    attendees = sorted(meeting.attendance.all(), key=lambda a: (KIND_ORDER.get(a.kind, 9), a.pk))
    overrides = FlagOverride.objects.filter(meeting=meeting).select_related("dispute", "rule", "by").order_by("id")
    return {
        "version": FORMAT_VERSION,
        "title": meeting_title(meeting),
        "tier": meeting.tier,
        "tier_label": meeting.get_tier_display(),
        "division": {"code": meeting.division_id, "name": meeting_place_name(meeting)},
        "iso_year": meeting.iso_year,
        "iso_week": meeting.iso_week,
        "date": meeting.held_on.isoformat(),
        "date_label": _date(meeting.held_on),
        "place": meeting.place,
        "form": meeting.form,
        "form_label": meeting.get_form_display(),
        "convener": _name(meeting.convener),
        "summary": meeting.summary,
        "opened_at": _local(meeting.opened_at),
        "closed_at": _local(meeting.closed_at),
        "attendees": [
            {"kind": a.kind, "kind_label": a.get_kind_display(), "name": a.name, "role_title": a.role_title,
             "unit": a.unit}
            for a in attendees
        ],
        "items": [_item(r, assignments.get(r.dispute_id), warnings.get(r.dispute_id), referrals.get(r.dispute_id),
                        actions.get(r.dispute_id, [])) for r in reviews],
        "overrides": [
            {"number": o.dispute.number, "title": o.dispute.title, "rule": o.rule.name, "reason": o.reason,
             "by": _name(o.by)}
            for o in overrides
        ],
    }


def _item(review, assignment, warning, referral, actions) -> dict:
    d = review.dispute
    return {
        "number": d.number,
        "title": d.title,
        "village": d.village.short_name,
        "category": d.get_category_display(),
        "analysis": review.analysis,
        "decision": review.decision,
        "decision_label": review.get_decision_display(),
        "recorded_by": _name(review.decided_by),
        "risk": d.risk,
        "risk_label": d.get_risk_display(),
        "status_label": d.get_status_display(),
        "tier_label": d.get_tier_display(),
        "actions": actions,
        "assignment": assignment and {
            "lead_leader": _name(assignment.lead_leader),
            "unit": assignment.responsible_unit.name,
            "person": _name(assignment.responsible_person),
            "deadline": timezone.localtime(assignment.deadline).strftime("%Y-%m-%d"),
            "measures": assignment.measures,
        },
        "warning": warning and {
            "level": warning.level,
            "level_label": warning.get_level_display(),
            "triggers": warning.trigger_labels(),
            "submitted_to": warning.get_submitted_to_display(),
            "reassess_on": warning.reassess_on.isoformat(),
        },
        "referral": referral and {
            "kind": referral.kind,
            "kind_label": referral.get_kind_display(),
            "to": referral.to_unit.name if referral.kind == ReferralKind.TRANSFER else referral.to_division.short_name,
            "from": referral.from_division.short_name,
            "reason": referral.reason,
        },
    }


def for_viewer(user, data: dict) -> dict:
    """The minutes with only the cases `user` may see (one query); `hidden` counts what was left out."""
    numbers = {i["number"] for i in data["items"]} | {o["number"] for o in data["overrides"]}
    visible = set()
    if numbers:
        visible = set(cases_visible_to(user).filter(number__in=numbers).values_list("number", flat=True))
    items = [i for i in data["items"] if i["number"] in visible]
    return {
        **data,
        "items": items,
        "overrides": [o for o in data["overrides"] if o["number"] in visible],
        "hidden": len(data["items"]) - len(items),
    }


# --- .docx ---------------------------------------------------------------------------------------------------------

BODY_FONT = "宋体"
HEADING_FONT = "黑体"


def _font(style_or_run, name, size=None, bold=None):
    font = style_or_run.font
    font.name = name
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    element = style_or_run.element
    rpr = element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _line(doc, label, text, *, indent=True):
    p = doc.add_paragraph()
    if indent:
        p.paragraph_format.left_indent = Cm(0.74)
    if label:
        run = p.add_run(f"{label}：")
        _font(run, HEADING_FONT, bold=True)
    p.add_run(text or "")
    return p


def build_docx(data: dict) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.8)
    _font(doc.styles["Normal"], BODY_FONT, size=12)
    for name, size in (("Title", 20), ("Heading 1", 15), ("Heading 2", 13)):
        _font(doc.styles[name], HEADING_FONT, size=size, bold=True)
        doc.styles[name].font.color.rgb = RGBColor(0, 0, 0)

    title = doc.add_paragraph(data["title"], style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if data.get("draft"):
        note = doc.add_paragraph("（草稿：例会尚未闭会）")
        note.alignment = WD_ALIGN_PARAGRAPH.CENTER

    _line(doc, "时间", data["date_label"], indent=False)
    _line(doc, "地点", f"{data['place']}（{data['form_label']}）", indent=False)
    _line(doc, "召集人", data["convener"], indent=False)

    doc.add_heading("参会人员", level=1)
    by_kind = {}
    for a in data["attendees"]:
        extra = "，".join(x for x in (a["role_title"], a["unit"]) if x)
        by_kind.setdefault(a["kind_label"], []).append(f"{a['name']}（{extra}）" if extra else a["name"])
    for label, names in by_kind.items():
        _line(doc, label, "、".join(names), indent=False)
    if not by_kind:
        doc.add_paragraph("（未登记）")

    doc.add_heading(f"研判事项（{len(data['items'])}件）", level=1)
    for n, item in enumerate(data["items"], 1):
        doc.add_heading(f"{n}. {item['number']}  {item['title']}", level=2)
        _line(doc, "基本情况", f"{item['village']} · {item['category']} · 风险{item['risk_label']} · "
                               f"现状{item['tier_label']}级{item['status_label']}")
        _line(doc, "研判意见", item["analysis"])
        _line(doc, "决定", item["decision_label"])
        if item["actions"]:
            _line(doc, "办理", "、".join(item["actions"]))
        a = item["assignment"]
        if a:
            _line(doc, "四定", "")
            table = doc.add_table(rows=0, cols=2)
            table.style = "Table Grid"
            for label, value in (("包案领导", a["lead_leader"]), ("责任单位", a["unit"]), ("责任人", a["person"]),
                                 ("办结时限", a["deadline"]), ("调处措施", a["measures"])):
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, value
                cells[0].width, cells[1].width = Cm(3), Cm(12.8)
        w = item["warning"]
        if w:
            _line(doc, "预警", f"{w['level_label']}；情形：{'、'.join(w['triggers'])}；报送：{w['submitted_to']}；"
                               f"重新评估：{w['reassess_on']}")
        r = item["referral"]
        if r:
            _line(doc, r["kind_label"], f"{r['from']} → {r['to']}：{r['reason']}")
    if not data["items"]:
        doc.add_paragraph("本次例会未研判案件。")

    if data["overrides"]:
        doc.add_heading("规则提示不予处理说明", level=1)
        for o in data["overrides"]:
            _line(doc, f"{o['number']} {o['rule']}", f"{o['reason']}（{o['by']}）", indent=False)
    if data.get("summary"):
        doc.add_heading("会议小结", level=1)
        doc.add_paragraph(data["summary"])
    footer = doc.add_paragraph(f"闭会时间：{data['closed_at'] or '未闭会'}")
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
