"""The mediation documents (issue 12 #5): each renders as a .docx that python-docx opens, with the case's parties
(masked), terms and mediators, and without a full ID number or phone — unless revealed, which is logged."""

import io

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from cases import mediation_docx, services
from cases.models import DocumentTemplate, PiiReveal
from cases.services import mediation as svc
from tests.cases import test_mediation as shared
from tests.cases.test_mediation import ID_APPLICANT, PHONE_APPLICANT, written

case_a, elder, lead, mediator_user = shared.case_a, shared.elder, shared.lead, shared.mediator_user

TERMS = "李四于12月底前拆除越界围墙。"


def text_of(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


@pytest.fixture
def file_a(secretary_a, case_a, lead, elder):
    """A mediated case: two mediators, a session, a written agreement, resolved and visited once."""
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead, others=[elder])
    session = svc.record_session(actor=secretary_a, dispute=case_a, held_on=timezone.localdate(), place="村委会调解室",
                                 form="on_site", mediators=[lead, elder], attendees="张三、李四、村民代表",
                                 record="张三称围墙越界半米；李四同意拆除。")
    agreement = svc.record_agreement(actor=secretary_a, dispute=case_a, **written(terms=TERMS))
    case = services.resolve(actor=secretary_a, dispute=case_a, outcome="success")
    visit = services.record_visit(actor=secretary_a, dispute=case, visited_on=timezone.localdate(),
                                  agreement_kept=True, satisfaction="satisfied", relapse_signs=False, note="已拆除")
    return {"application": case, "session": session, "agreement": agreement, "visit": visit}


def _render(kind, case, item, reveal=False):
    return mediation_docx.render_docx(kind, mediation_docx.context(kind, case, item, reveal=reveal))


@pytest.mark.parametrize("kind", ["application", "session", "agreement", "visit"])
def test_each_document_opens_with_masked_parties_and_mediators(file_a, case_a, kind):
    text = text_of(_render(kind, case_a, file_a[kind]))
    assert "张三" in text and "李四" in text
    assert "3708**********0038" in text and "138****5678" in text
    assert ID_APPLICANT not in text and PHONE_APPLICANT not in text and "13987654321" not in text
    assert "刘山村1号" not in text  # the address is masked too
    if kind in ("session", "agreement"):
        assert "med_a" in text and "王老伯" in text  # the mediators
    if kind == "agreement":
        assert TERMS in text and "嘉祥县刘山村人民调解委员会" in text and "签名、盖章或按指印" in text
        assert "李四自行拆除" in text  # the manner of performance
    if kind == "session":
        assert "李四同意拆除" in text


def test_the_oral_agreement_form_opens_with_content_and_masked_parties(secretary_a, case_a, lead):
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead)
    oral = svc.record_agreement(actor=secretary_a, dispute=case_a, form="oral", terms="李四当面道歉。",
                                effective_on=timezone.localdate())
    text = text_of(_render("oral", case_a, oral))
    assert "李四当面道歉。" in text and "med_a" in text and "张三" in text
    assert ID_APPLICANT not in text and PHONE_APPLICANT not in text


def test_a_revealed_document_shows_full_numbers(file_a, case_a):
    text = text_of(_render("agreement", case_a, file_a["agreement"], reveal=True))
    assert ID_APPLICANT in text and PHONE_APPLICANT in text


def test_the_download_is_masked_and_the_reveal_is_logged(client, secretary_a, file_a, case_a):
    client.force_login(secretary_a)
    url = reverse("cases:mediation_doc", args=[case_a.number, "agreement"])
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ID_APPLICANT not in text_of(response.content)
    assert not PiiReveal.objects.exists()
    response = client.post(url, {"reason": "打印协议书供当事人签名"})
    assert response.status_code == 200
    assert ID_APPLICANT in text_of(response.content)
    assert PiiReveal.objects.filter(user=secretary_a).count() == case_a.parties.count()
    assert client.post(url, {"reason": ""}).status_code == 400  # a reason is required
    assert PiiReveal.objects.filter(user=secretary_a).count() == case_a.parties.count()


def test_a_reader_without_the_reveal_may_not_reveal(client, make_user, file_a, case_a):
    from org.models import Role

    supervisor = make_user(Role.SUPERVISOR, "370829000000")  # 督导组: reads every case, masked
    client.force_login(supervisor)
    url = reverse("cases:mediation_doc", args=[case_a.number, "agreement"])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "核查协议内容"}).status_code == 403
    assert not PiiReveal.objects.exists()


@pytest.mark.parametrize("kind", ["application", "session", "agreement", "visit"])
def test_each_print_view_shows_the_document_masked(client, secretary_a, file_a, case_a, kind):
    client.force_login(secretary_a)
    item = file_a[kind]
    query = "" if kind == "application" else f"?item={item.pk}"
    response = client.get(reverse("cases:mediation_print", args=[case_a.number, kind]) + query)
    page = response.content.decode()
    assert response.status_code == 200 and "张三" in page and "3708**********0038" in page
    assert ID_APPLICANT not in page and PHONE_APPLICANT not in page


def test_an_item_of_another_case_is_not_found(client, secretary_a, file_a, make_case, case_a):
    other = make_case(secretary_a, "370829001209")
    client.force_login(secretary_a)
    url = reverse("cases:mediation_print", args=[other.number, "session"]) + f"?item={file_a['session'].pk}"
    assert client.get(url).status_code == 404


def test_an_administrators_template_replaces_the_built_in_one(file_a, case_a, sysadmin):
    built_in = (mediation_docx.TEMPLATE_DIR / "agreement.docx").read_bytes()
    document = docx.Document(io.BytesIO(built_in))
    document.add_paragraph("本县统一格式：{{ case_number }}")
    buffer = io.BytesIO()
    document.save(buffer)
    DocumentTemplate.objects.create(kind="agreement", content=buffer.getvalue(), uploaded_by=sysadmin)
    text = text_of(_render("agreement", case_a, file_a["agreement"]))
    assert f"本县统一格式：{case_a.number}" in text
    DocumentTemplate.objects.update(active=False)
    assert "本县统一格式" not in text_of(_render("agreement", case_a, file_a["agreement"]))


def test_a_broken_template_is_refused_by_the_admin_form(db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.admin import DocumentTemplateForm

    form = DocumentTemplateForm(data={"kind": "agreement", "active": "on"},
                                files={"upload": SimpleUploadedFile("x.docx", b"not a docx")})
    assert not form.is_valid()
    assert "不能作为模板使用" in str(form.errors)
