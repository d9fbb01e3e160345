"""The mediation documents (人民调解申请书, 调解笔录, 人民调解协议书, 口头协议登记表, 回访记录): one context per document,
used by both the .docx (docxtpl, from the template kept in cases/doc_templates/ or the administrator's replacement,
`DocumentTemplate`) and the print view (templates/cases/mediation/print.html).

Parties' ID numbers, phones and addresses are masked (core.validators mask_*) unless the caller passes
`reveal=True`, which the view does only after logging a reveal of every party (services.reveal_party_pii).
"""

import io
from pathlib import Path

from django.utils import timezone
from docxtpl import DocxTemplate

from core.validators import mask_address, mask_id_number, mask_phone

from .models import (
    Agreement,
    AgreementForm,
    CaseMediator,
    DocumentKind,
    DocumentTemplate,
    MediationSession,
    PartyRole,
    Satisfaction,
    Visit,
    committee_name,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "doc_templates"
# Which record a document is about: None (the case), a session, the written/oral agreement, a visit.
ITEM_MODEL = {DocumentKind.SESSION: MediationSession, DocumentKind.AGREEMENT: Agreement, DocumentKind.ORAL: Agreement,
              DocumentKind.VISIT: Visit}
# The document's number: the case number, a short code and the record's id (JX-2026-000123-协5).
DOC_CODES = {DocumentKind.SESSION: "笔", DocumentKind.AGREEMENT: "协", DocumentKind.ORAL: "口", DocumentKind.VISIT: "访"}


def _date(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "　　年　　月　　日"


def _money(value) -> str:
    return f"{value:,.2f}" if value is not None else ""


def _person(user) -> str:
    return (user.get_full_name() or user.first_name or user.username) if user else ""


def party_rows(parties, *, reveal=False) -> list[dict]:
    show_id, show_phone, show_address = ((lambda v: v) if reveal else f for f in (mask_id_number, mask_phone,
                                                                                   mask_address))
    return [{"role": p.get_role_display(), "role_code": p.role, "name": p.name, "sex": p.get_sex_display(),
             "id_number": show_id(p.id_number) or "未提供", "phone": show_phone(p.phone) or "未提供",
             "address": show_address(p.address) or "未提供"} for p in parties]


def case_committee(case, mediators) -> str:
    """The committee the document speaks for: the lead mediator's, else the 调委会 of the holding village/town."""
    lead = next((cm.mediator for cm in mediators if cm.is_lead), None)
    if lead is not None:
        return lead.committee_name
    if case.holder_unit_id and case.holder_unit.kind == "mediation":
        return case.holder_unit.name
    return committee_name(case.holder_division if case.tier != "county" else case.village)


def load_item(case, kind, pk):
    """The session / agreement / visit a document is about, of this case only (None when it is not)."""
    model = ITEM_MODEL.get(kind)
    if model is None:
        return case
    qs = model.objects.filter(dispute=case)
    if kind == DocumentKind.AGREEMENT:
        qs = qs.filter(form=AgreementForm.WRITTEN)
    elif kind == DocumentKind.ORAL:
        qs = qs.filter(form=AgreementForm.ORAL)
    if pk is None:
        return qs.order_by("-id").first()
    return qs.filter(pk=pk).first()


def context(kind: str, case, item, *, reveal=False) -> dict:
    parties = list(case.parties.all())
    mediators = list(CaseMediator.objects.filter(dispute=case, active=True)
                     .select_related("mediator__person", "mediator__committee_division", "mediator__committee_unit"))
    rows = party_rows(parties, reveal=reveal)
    names = "、".join(cm.mediator.person.name for cm in mediators)
    ctx = {
        "kind": kind, "title_text": DocumentKind(kind).label, "committee": case_committee(case, mediators),
        "number": f"{case.number}-{DOC_CODES[kind]}{item.pk}" if kind in DOC_CODES else case.number, "case_number": case.number, "title": case.title, "description": case.description,
        "parties": rows, "mediators": names or "（未确定）", "revealed": reveal,
        "applicants": [r for r in rows if r["role_code"] == PartyRole.APPLICANT],
        "respondents": [r for r in rows if r["role_code"] != PartyRole.APPLICANT],
        "parties_text": "；".join(f"{r['role']} {r['name']}（{r['sex']}，身份证号{r['id_number']}，电话{r['phone']}）"
                                 for r in rows),
        "logged_on": _date(timezone.localtime(case.created_at).date()),
    }
    if kind == DocumentKind.SESSION:
        ctx.update(held_on=_date(item.held_on), place=item.place, form=item.get_form_display(),
                   mediators="、".join(m.person.name for m in item.mediators.select_related("person")),
                   recorder=_person(item.actor), attendees=item.attendees, record=item.record)
    elif kind in (DocumentKind.AGREEMENT, DocumentKind.ORAL):
        ctx.update(facts=item.facts, terms=item.terms, performance_manner=item.performance_manner,
                   performance_deadline=_date(item.performance_deadline), signed_on=_date(item.effective_on),
                   amount_agreed=_money(item.amount_agreed), amount_involved=_money(item.amount_involved) or "—",
                   partial=item.partial, remaining_issues=item.remaining_issues,
                   remaining_route=item.remaining_route, copies=len(parties) + 1, recorder=_person(item.created_by),
                   recorded_on=_date(timezone.localtime(item.created_at).date()))
    elif kind == DocumentKind.VISIT:
        agreement = case.agreements.order_by("-id").first()
        kept = {True: "已履行", False: "未履行", None: "无书面协议"}[item.agreement_kept]
        ctx.update(visited_on=_date(item.visited_on), visitor=_person(item.visitor), kept=kept,
                   agreement=(f"{agreement.get_form_display()}（{_date(agreement.effective_on)}生效，"
                              f"{agreement.get_performance_display()}）") if agreement else "无",
                   satisfaction=Satisfaction(item.satisfaction).label,
                   relapse="有反复苗头" if item.relapse_signs else "无", note=item.note or "（无）")
    return ctx


def template_bytes(kind: str) -> bytes:
    """The administrator's active replacement of this document, else the built-in template."""
    override = DocumentTemplate.objects.filter(kind=kind, active=True).order_by("-uploaded_at", "-id").first()
    if override is not None:
        return bytes(override.content)
    return (TEMPLATE_DIR / f"{kind}.docx").read_bytes()


def render_docx(kind: str, ctx: dict, *, template: bytes | None = None) -> bytes:
    doc = DocxTemplate(io.BytesIO(template if template is not None else template_bytes(kind)))
    doc.render(ctx, autoescape=True)
    doc.core_properties.title = f"{ctx['title_text']} {ctx['case_number']}"
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def check_template(kind: str, content: bytes) -> None:
    """An uploaded replacement must render with a sample context (the admin refuses it otherwise)."""
    sample = {"parties": [], "applicants": [], "respondents": [], "partial": False, "title_text": "", "case_number": ""}
    render_docx(kind, sample, template=content)
