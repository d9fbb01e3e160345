"""Intake, kinder (issue 11.5): 性别/出生日期 from the ID number and a contradicting 性别 refused; required fields
marked; an error summary with links at the top of the registration and edit forms; a likely-duplicate hint (never
a block, never about a case the user may not see); the 双因素认证 link only for roles that use 2FA; revealed
phones are tel: links. The 375 px checks are in tests/browser/test_intake_375.py."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases.forms.disputes import PartyForm
from cases.models import Dispute, Status
from core.validators import id_check_char, id_number_facts
from tests.cases.test_dispute_form import post_data
from tests.conftest import VILLAGE_A, VILLAGE_C, party_row

URL = reverse("cases:create")
MALE_17, FEMALE_17 = "37082919800101001", "37082919851231002"
MALE = MALE_17 + id_check_char(MALE_17)  # 17th digit 1: 男, 1980-01-01
FEMALE = FEMALE_17 + id_check_char(FEMALE_17)  # 17th digit 2: 女, 1985-12-31


# --- core.validators.id_number_facts --------------------------------------------------------------------------------


def test_facts_from_an_id_number():
    assert id_number_facts(MALE) == ("M", datetime.date(1980, 1, 1))
    assert id_number_facts(FEMALE) == ("F", datetime.date(1985, 12, 31))
    assert id_number_facts("11010519491231002x") == ("F", datetime.date(1949, 12, 31))  # lower-case x, spaces
    assert id_number_facts(" 11010519491231002X ").sex == "F"


@pytest.mark.parametrize("value", ["", None, "3708291980010100", MALE[:-1] + ("0" if MALE[-1] != "0" else "1"),
                                   "370829198002300011"])
def test_no_facts_from_an_invalid_id_number(value):
    assert id_number_facts(value) is None  # too short, wrong check character, 2月30日


# --- the party form ---------------------------------------------------------------------------------------------------


def party_form(**kw):
    return PartyForm(data={**party_row(), **kw})


@pytest.mark.django_db
def test_a_sex_that_contradicts_the_id_number_is_refused():
    form = party_form(sex="M", id_number=FEMALE)
    assert not form.is_valid()
    assert form.errors == {"sex": ["身份证号显示为女性，与所选性别不符。"]}
    form = party_form(sex="F", id_number=MALE)
    assert form.errors == {"sex": ["身份证号显示为男性，与所选性别不符。"]}
    assert party_form(sex="F", id_number=FEMALE).is_valid()
    assert party_form(sex="M", id_number="").is_valid()  # no ID number: nothing to compare


@pytest.mark.django_db
def test_registration_refuses_the_mismatch_and_shows_what_the_id_number_states(client, secretary_a):
    client.force_login(secretary_a)
    response = client.post(URL, post_data(parties=[party_row("王德胜", sex="F", id_number=MALE)]))
    html = response.content.decode()
    assert response.status_code == 200 and Dispute.objects.count() == 0
    assert "身份证号显示为男性，与所选性别不符。" in html
    assert "据身份证号：男，出生日期 1980年1月1日" in html


# --- required marks and the error summary -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_required_fields_are_marked(client, secretary_a):
    client.force_login(secretary_a)
    html = client.get(URL).content.decode()
    mark = '<abbr class="req" title="必填" aria-hidden="true">*</abbr>'
    assert re.search(rf'{re.escape(mark)}<label for="id_title">纠纷标题[:：]</label>', html)
    assert re.search(rf'{re.escape(mark)}<label for="id_parties-0-name">姓名[:：]</label>', html)
    assert re.search(r'<label for="id_subcategory">本地细分类别[:：]</label>', html)  # optional: no mark
    assert re.search(r'<label for="id_parties-0-phone">联系电话[:：]</label>', html)
    assert html.count('<span class="sr-only">必填</span>') == html.count(mark)


@pytest.mark.django_db
def test_an_invalid_registration_lists_each_error_with_a_link_to_its_field(client, secretary_a):
    client.force_login(secretary_a)
    data = post_data(title="", parties=[party_row("王德胜", id_number="370829198001010010")])  # bad check char
    html = client.post(URL, data).content.decode()
    assert "请修改以下2处：" in html
    summary = html[html.index('id="error-summary"'):html.index("</div>", html.index('id="error-summary"'))]
    assert '<a href="#id_title">纠纷标题：这个字段是必填项。</a>' in summary
    assert '<a href="#id_parties-0-id_number">第1名当事人 · 身份证号：身份证号校验位不正确，请核对后重新输入。</a>' in summary
    assert 'id="id_title"' in html and 'id="id_parties-0-id_number"' in html
    assert "data-focus-on-load" in summary and "js/error-summary.js" in html
    assert html.index('id="error-summary"') < html.index('id="id_title"')  # at the top, before the first field


@pytest.mark.django_db
def test_a_formset_error_links_to_the_parties(client, secretary_a):
    client.force_login(secretary_a)
    html = client.post(URL, post_data(parties=[])).content.decode()
    assert "请修改以下1处：" in html and '<a href="#parties">当事人：请至少填写一名当事人。</a>' in html


@pytest.mark.django_db
def test_a_valid_form_or_the_add_party_button_shows_no_summary(client, secretary_a):
    client.force_login(secretary_a)
    assert 'id="error-summary"' not in client.get(URL).content.decode()
    data = post_data(title="")
    data["add_party"] = "1"
    assert "请修改以下" not in client.post(URL, data).content.decode()


@pytest.mark.django_db
def test_the_edit_form_has_the_summary_too(client, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    response = client.post(reverse("cases:edit", args=[case.number]), {
        "title": "", "category": case.category, "source": case.source, "risk": case.risk, "people_involved": "2",
        "arose_on": case.arose_on.isoformat(), "place": case.place, "description": case.description,
        "version": case.version,
    })
    html = response.content.decode()
    assert "请修改以下1处：" in html and '<a href="#id_title">纠纷标题：这个字段是必填项。</a>' in html


# --- the likely-duplicate hint ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_id_number_on_a_visible_open_case_gives_a_hint_then_registers_when_confirmed(
    client, secretary_a, make_case
):
    earlier = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=MALE), party_row("李四")])
    client.force_login(secretary_a)
    data = post_data(parties=[party_row("王德胜", id_number=MALE), party_row("赵玉兰", sex="F", id_number=FEMALE)])
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 200 and Dispute.objects.count() == 1  # not saved yet
    assert "可能重复登记" in html and f'<a href="{earlier.get_absolute_url()}">{earlier.number}</a>' in html
    assert "王德胜 的身份证号已在未办结的案件" in html and MALE not in html.split('id="duplicate-hint"')[1][:2000]
    assert f'name="confirm_duplicate" value="{earlier.number}"' in html
    hint = AuditEntry.objects.get(action="pii_view")
    assert hint.object_label == earlier.number and MALE not in hint.detail
    response = client.post(URL, {**data, "confirm_duplicate": earlier.number})  # 仍要登记
    assert response.status_code == 302 and Dispute.objects.count() == 2


@pytest.mark.django_db
def test_no_hint_for_a_finished_case_or_one_the_user_may_not_see(client, secretary_a, secretary_c, make_case):
    # Closed over a year ago: a case settled within the last 12 months is hinted as a possible 反复 (issue 12 #7,
    # tests/cases/test_recurrence_hint.py); an older one is not.
    with time_machine.travel(timezone.now() - datetime.timedelta(days=400), tick=False):
        make_case(secretary_a, VILLAGE_A, status=Status.CLOSED, parties=[party_row("王德胜", id_number=MALE)])
    hidden = make_case(secretary_c, VILLAGE_C, parties=[party_row("王德胜", id_number=MALE)])  # another town
    client.force_login(secretary_a)
    response = client.post(URL, post_data(parties=[party_row("王德胜", id_number=MALE)]))
    assert response.status_code == 302 and Dispute.objects.count() == 3  # registered at once
    assert hidden.number not in client.get(response["Location"]).content.decode()
    assert not AuditEntry.objects.filter(action="pii_view").exists()


# --- the header's 双因素认证 link and the revealed phone ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_2fa_link_only_for_roles_that_use_it(client, secretary_a, county_user, auditor):
    link = 'href="/account/2fa/setup/"'
    client.force_login(secretary_a)
    assert link not in client.get("/").content.decode()
    for user in (county_user, auditor):
        client.force_login(user)
        assert link in client.get("/").content.decode()


@pytest.mark.django_db
def test_a_revealed_phone_is_a_tel_link_with_the_birth_date(client, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=MALE, phone="0537-6812345")])
    party = case.parties.get()
    client.force_login(secretary_a)
    url = reverse("cases:pii_reveal", args=[case.number, party.pk])
    assert "tel:" not in client.get(url).content.decode()  # masked before the logged reveal
    html = client.post(url, {"reason": "电话联系当事人安排调解"}).content.decode()
    assert '<a class="tel" href="tel:0537-6812345">0537-6812345</a>' in html
    assert "<dt>出生日期</dt><dd>1980年1月1日（据身份证号）</dd>" in html
