"""The mediation file's pages (issue 12): the file, a step's form (field errors, nothing half-saved), who may write
(holders; others who see the case 403, outsiders 404) and the file page's fixed query count."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Agreement, CaseEvent
from cases.services import mediation as svc
from tests.cases import test_mediation as shared

case_a, elder, lead, mediator_user = shared.case_a, shared.elder, shared.lead, shared.mediator_user


def step_url(case, step):
    return reverse("cases:mediation_step", args=[case.number, step])


def test_the_file_page_lists_the_records(client, secretary_a, case_a, lead):
    shared.mediate(secretary_a, case_a, lead)
    client.force_login(secretary_a)
    page = client.get(reverse("cases:mediation", args=[case_a.number])).content.decode()
    assert "调解记录（1次）" in page and "村委会调解室" in page and "主持调解员" in page
    assert step_url(case_a, "agreement") in page


def test_a_written_agreement_without_terms_comes_back_with_the_field_error(client, secretary_a, case_a):
    client.force_login(secretary_a)
    data = {"form": "written", "facts": "事实", "performance_manner": "现金",
            "performance_deadline": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
            "effective_on": timezone.localdate().isoformat(), "terms": ""}
    response = client.post(step_url(case_a, "agreement"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "协议内容：请填写协议内容。" in page
    assert response.context["form"].errors["terms"] == ["请填写协议内容。"]
    assert not Agreement.objects.exists()
    response = client.post(step_url(case_a, "agreement"), {**data, "performance_deadline": "", "terms": "条款"})
    assert response.context["form"].errors["performance_deadline"] == ["书面协议须写明履行期限。"]
    response = client.post(step_url(case_a, "agreement"), {**data, "terms": "条款"})
    assert response.status_code == 302 and Agreement.objects.filter(dispute=case_a, terms="条款").exists()


def test_an_oral_agreement_is_recorded_through_the_page(client, secretary_a, case_a):
    client.force_login(secretary_a)
    response = client.post(step_url(case_a, "agreement"), {"form": "oral", "terms": "当面道歉",
                                                           "effective_on": timezone.localdate().isoformat()})
    assert response.status_code == 302
    assert Agreement.objects.get(dispute=case_a).terms == "当面道歉"


def test_bad_input_is_a_field_error_not_a_500(client, secretary_a, case_a):
    client.force_login(secretary_a)
    response = client.post(step_url(case_a, "agreement"), {"form": "written", "amount_agreed": "一万",
                                                           "effective_on": "2026-13-45"})
    assert response.status_code == 400
    assert "协议金额（元）请填写数字" in response.content.decode()


def test_outsiders_get_404_and_readers_403(client, secretary_b, town_x, case_a):
    client.force_login(secretary_b)
    assert client.get(reverse("cases:mediation", args=[case_a.number])).status_code == 404
    assert client.post(step_url(case_a, "session"), {}).status_code == 404
    client.force_login(town_x)  # the town reads the village's case, the village holds it
    assert client.get(reverse("cases:mediation", args=[case_a.number])).status_code == 200
    assert client.post(step_url(case_a, "session"), {}).status_code == 403


def test_a_step_in_the_wrong_status_is_refused(client, secretary_a, case_a):
    client.force_login(secretary_a)
    assert client.get(step_url(case_a, "performance")).status_code == 403  # not resolved, no agreement
    assert client.get(step_url(case_a, "nonsense")).status_code == 404


def test_the_file_page_costs_the_same_queries_with_many_records(client, secretary_a, case_a, lead, elder,
                                                                 django_assert_max_num_queries):
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead, others=[elder])
    client.force_login(secretary_a)
    url = reverse("cases:mediation", args=[case_a.number])
    svc.record_session(actor=secretary_a, dispute=case_a, held_on=timezone.localdate(), place="村委会", form="on_site",
                       mediators=[lead], attendees="双方", record="笔录")
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(25):
        svc.record_session(actor=secretary_a, dispute=case_a, held_on=timezone.localdate(), place=f"第{n}处",
                           form="phone", mediators=[lead, elder], attendees="双方", record="笔录")
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert "调解记录（26次）" in response.content.decode()
    assert CaseEvent.objects.filter(dispute=case_a, kind="mediation_session").count() == 26


@pytest.mark.parametrize("doc", ["session", "agreement", "oral", "visit"])
def test_a_document_without_its_record_is_not_found(client, secretary_a, case_a, doc):
    client.force_login(secretary_a)
    assert client.get(reverse("cases:mediation_print", args=[case_a.number, doc])).status_code == 404
    assert client.get(reverse("cases:mediation_doc", args=[case_a.number, doc])).status_code == 404
