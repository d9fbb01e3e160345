"""典型案例汇编 (issue 10, point 8): the anonymiser, listing a case as typical (refused while the text still names
someone), the casebook page and its Word compilation, which names nobody."""

import io
import re

import pytest
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx import Document

from audit.models import Action, AuditEntry
from cases import services
from cases.casebook_docx import TITLE
from cases.models import CaseEvent, Dispute, EventKind, Party, TypicalCase, methods_value
from cases.policy import menu_for
from cases.rules.anonymise import anonymise, labels, leaks, redact
from core.errors import Forbidden, Refused
from org.models import Role
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C, party_row

ID_A = "370829198506150038"
ID_B = "11010519491231002X"
MOBILE_A = "13812345678"
MOBILE_B = "15966001122"
NAMES = ("张建国", "李秀英")

CLEAN = {
    "title": "张某与李某宅基地边界纠纷",
    "summary": "张某建房时与相邻户李某对宅基地东西界址有争议，李某阻止施工。",
    "experience": "调解员到现场丈量，释明《民法典》相邻关系规定，双方签订协议。",
}


def parties():
    return [party_row(NAMES[0], id_number=ID_A, phone=MOBILE_A),
            party_row(NAMES[1], "respondent", sex="F", id_number=ID_B, phone=MOBILE_B)]


def resolved_case(make_case, actor, village=VILLAGE_A, **fields):
    fields.setdefault("title", "张建国与李秀英宅基地边界纠纷")
    fields.setdefault("description", "张建国建房时与相邻户李秀英对宅基地界址有争议，建国称有老宅基证，"
                                     "李秀英（电话15966001122）住刘山村东街12号。")
    return make_case(actor, village, status="resolved", parties=parties(), **fields)


def mark(actor, case, **overrides):
    kwargs = {"summary": CLEAN["summary"], "experience": CLEAN["experience"], "title": CLEAN["title"],
              "self_gov_tags": ["law", "self"], "method_tags": ["legal", "on_site"], **overrides}
    return services.mark_typical(actor=actor, dispute=case, **kwargs)


@pytest.fixture
def staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


# --- the anonymiser ---------------------------------------------------------------------------------------------------


def test_anonymise_turns_names_into_surname_mou():
    text = "张建国与李秀英因排水发生争执，建国称秀英家院墙渗水。"
    assert anonymise(text, NAMES) == "张某与李某因排水发生争执，张某称李某家院墙渗水。"


def test_two_parties_with_one_surname_are_jia_and_yi():
    names = ["张建国", "张伟", "李四"]
    assert labels(names) == {"张建国": "张某甲", "张伟": "张某乙", "李四": "李某"}
    assert anonymise("张伟向张建国借款，李四作保。", names) == "张某乙向张某甲借款，李某作保。"


def test_longer_name_wins_and_compound_surnames_and_objects():
    class P:
        def __init__(self, name):
            self.name = name

    assert anonymise("张三丰与张三", [P("张三"), P("张三丰")]) == "张某乙与张某甲"
    assert anonymise("欧阳明华与司马光", ["欧阳明华", "司马光"]) == "欧阳某与司马某"
    assert anonymise("", NAMES) == "" and anonymise("无人名", []) == "无人名"


@pytest.mark.parametrize("text, found", [
    ("张建国称……", ["当事人姓名“张建国”"]),
    ("建国称……", ["当事人名字“建国”"]),
    ("身份证370829198506150038", ["身份证号"]),
    ("身份证 3708 2919 8506 1500 38 。", ["身份证号"]),
    ("证号11010519491231002x", ["身份证号"]),
    ("手机13812345678", ["电话"]),
    ("手机 138 1234 5678", ["电话"]),
    ("座机0537-6812345", ["电话"]),
    ("座机（0537）6812345", ["电话"]),
    ("住东街12号", ["门牌号“12号”"]),
    ("住3排5号", ["门牌号“3排5号”"]),
    ("住3号楼2单元301室", ["门牌号“3号楼2单元301室”"]),
    ("住5幢", ["门牌号“5幢”"]),
])
def test_leaks_finds_each_kind(text, found):
    assert leaks(text, NAMES) == found


@pytest.mark.parametrize("text", [
    "张某与李某于10月12号达成协议，借款8万元，2023年到期。",
    "案件编号嘉调〔2026〕0123号、JX-2026-000123号，涉及6户。",
    "拨打12345热线反映，张某乙、李某同意。",
])
def test_leaks_passes_anonymised_text(text):
    assert leaks(text, NAMES) == []


def test_leaks_never_echoes_an_id_number_or_phone():
    found = leaks(f"{ID_A} {MOBILE_A} 0537-6812345", NAMES)
    assert found == ["身份证号", "电话"]
    assert not any(re.search(r"\d{6,}", f) for f in found)


def test_redact_removes_numbers_but_not_dates():
    assert redact(f"电话{MOBILE_A}，身份证{ID_A}，住东街12号，10月12号调解") == \
        "电话（电话略），身份证（身份证号略），住东街某号，10月12号调解"


# --- marking ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_marking_refuses_a_summary_with_a_name(make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    with pytest.raises(Refused) as refused:
        mark(town_x, case, summary="张建国建房时与李某对界址有争议。")
    assert refused.value.field == "summary"
    assert "摘要" in refused.value.message or "案情简介" in refused.value.message
    assert "当事人姓名“张建国”" in refused.value.message and "张某" in refused.value.message
    assert not TypicalCase.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("bad, word, secret", [
    (f"张某身份证号{ID_A}。", "身份证号", ID_A),
    (f"李某电话{MOBILE_B}。", "电话", MOBILE_B),
    ("李某住刘山村东街12号。", "门牌号“12号”", None),
])
def test_marking_refuses_an_id_number_phone_or_house_number_without_echoing_it(make_case, secretary_a, town_x,
                                                                               bad, word, secret):
    case = resolved_case(make_case, secretary_a)
    with pytest.raises(Refused) as refused:
        mark(town_x, case, summary=bad)
    assert refused.value.field == "summary" and word in refused.value.message
    if secret:
        assert secret not in refused.value.message
    assert not TypicalCase.objects.exists()


@pytest.mark.django_db
def test_marking_refuses_a_title_with_a_name(make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    with pytest.raises(Refused) as refused:
        mark(town_x, case, title="张建国与李某宅基地纠纷")
    assert refused.value.field == "title"


@pytest.mark.django_db
def test_marking_accepts_the_anonymised_summary(make_case, secretary_a, staff_x):
    case = resolved_case(make_case, secretary_a)
    typical = mark(staff_x, case)
    assert (typical.title, typical.summary, typical.rule_of_law, typical.self_governance, typical.rule_of_virtue) == (
        CLEAN["title"], CLEAN["summary"], True, True, False)
    assert typical.methods == ",legal,on_site," and typical.method_labels == ["法律释明", "现场调解"]
    assert typical.marked_by == staff_x and not typical.withdrawn
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.TYPICAL_MARKED)
    assert event.actor == staff_x and event.note == CLEAN["title"]
    assert AuditEntry.objects.filter(object_label=case.number, detail="列为典型案例").exists()


@pytest.mark.django_db
def test_only_resolved_or_closed_cases_with_a_success(make_case, secretary_a, town_x):
    open_case = make_case(secretary_a, VILLAGE_A, status="in_progress", parties=parties())
    with pytest.raises(Refused, match="只有已化解或已结案") as refused:
        mark(town_x, open_case)
    assert refused.value.field == "summary"
    closed = make_case(secretary_a, VILLAGE_A, status="closed", parties=parties())
    assert mark(town_x, closed).pk
    failed = resolved_case(make_case, secretary_a)
    Dispute.objects.filter(pk=failed.pk).update(outcome="failed")
    with pytest.raises(Refused, match="只有已化解或已结案"):
        mark(town_x, failed)


@pytest.mark.django_db
def test_who_may_mark(make_case, make_user, secretary_a, town_x, town_y, county_user):
    case = resolved_case(make_case, secretary_a)
    with pytest.raises(Forbidden):
        mark(secretary_a, case)
    with pytest.raises(Dispute.DoesNotExist):  # town Y does not see town X's case (the view answers 404)
        mark(town_y, case)
    supervisor = make_user(Role.SUPERVISOR, COUNTY)
    with pytest.raises(Forbidden):
        mark(supervisor, case)
    assert mark(county_user, case).marked_by == county_user


@pytest.mark.django_db
def test_withdraw_and_list_again(make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    with pytest.raises(Refused, match="未列为典型案例"):
        services.withdraw_typical(actor=town_x, dispute=case, reason="重复")
    mark(town_x, case)
    typical = services.withdraw_typical(actor=town_x, dispute=case, reason="案情与另一案例重复")
    assert typical.withdrawn and typical.withdrawn_by == town_x and typical.withdraw_reason == "案情与另一案例重复"
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.TYPICAL_WITHDRAWN).count() == 1
    again = mark(town_x, case, summary="张某与李某因界址争议，经调解达成协议。")
    assert again.pk == typical.pk and not again.withdrawn and again.withdrawn_at is None
    assert TypicalCase.objects.count() == 1


# --- the marking page -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_mark_page_prefills_the_anonymised_case_and_saves(client, make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    client.force_login(town_x)
    detail = client.get(case.get_absolute_url()).content.decode()
    url = reverse("cases:typical_mark", args=[case.number])
    assert url in detail  # the case page's button
    page = client.get(url).content.decode()
    start = page.index('class="action-form"')
    form_part = page[start:page.index("</form>", start)]
    assert "张某与李某宅基地边界纠纷" in form_part and "李某（电话（电话略））住刘山村东街某号" in form_part
    for name in NAMES:
        assert name not in form_part
    assert "建国" not in form_part
    data = {**CLEAN, "self_gov_tags": ["virtue"], "method_tags": ["family"]}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert TypicalCase.objects.get(dispute=case).rule_of_virtue
    assert "列为典型案例" in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_mark_page_shows_the_leak_and_saves_nothing(client, make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    client.force_login(town_x)
    url = reverse("cases:typical_mark", args=[case.number])
    response = client.post(url, {**CLEAN, "summary": f"李秀英电话{MOBILE_B}。", "self_gov_tags": ["law"]})
    html = response.content.decode()
    assert response.status_code == 200 and "尚未保存" in html and "当事人姓名“李秀英”" in html
    assert "电话" in html and html.count(MOBILE_B) == 1  # only in the textarea the user typed it into
    assert not TypicalCase.objects.exists()
    missing = client.post(url, {**CLEAN})
    assert "请至少选择一项“三治”标签" in missing.content.decode()


@pytest.mark.django_db
def test_check_button_runs_the_check_without_saving(client, make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    client.force_login(town_x)
    url = reverse("cases:typical_mark", args=[case.number])
    bad = client.post(url, {**CLEAN, "experience": "秀英同意。", "self_gov_tags": ["law"], "check": "1"})
    assert "当事人名字“秀英”" in bad.content.decode()
    good = client.post(url, {**CLEAN, "self_gov_tags": ["law"], "check": "1"}, follow=True)
    assert "自动检查通过" in good.content.decode()
    assert not TypicalCase.objects.exists()


@pytest.mark.django_db
def test_mark_page_outsiders_404_wrong_roles_403(client, make_case, secretary_a, town_y, unit_user, auditor):
    case = resolved_case(make_case, secretary_a)
    url = reverse("cases:typical_mark", args=[case.number])
    withdraw = reverse("cases:typical_withdraw", args=[case.number])
    for user, status in ((town_y, 404), (auditor, 404), (unit_user, 404), (secretary_a, 403)):
        client.force_login(user)
        assert client.get(url).status_code == status, user
        assert client.post(url, {**CLEAN, "self_gov_tags": ["law"]}).status_code == status, user
        assert client.post(withdraw, {"reason": "x"}).status_code == status, user
    assert not TypicalCase.objects.exists()
    client.force_login(secretary_a)
    assert reverse("cases:typical_mark", args=[case.number]) not in client.get(case.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_withdraw_from_the_page(client, make_case, secretary_a, town_x):
    case = resolved_case(make_case, secretary_a)
    mark(town_x, case)
    client.force_login(town_x)
    withdraw = reverse("cases:typical_withdraw", args=[case.number])
    assert client.get(withdraw).status_code == 405
    empty = client.post(withdraw, {"reason": ""}, follow=True)
    assert "未能撤销" in empty.content.decode() and not TypicalCase.objects.get().withdrawn
    assert client.post(withdraw, {"reason": "不够典型"}).status_code == 302
    assert TypicalCase.objects.get().withdrawn
    assert CLEAN["title"] not in client.get(reverse("cases:casebook")).content.decode()


# --- the casebook page ------------------------------------------------------------------------------------------------


def _typicals(make_case, secretary_a, town_x):
    """Three typical cases of town X: housing (law), neighbour (virtue, family), housing withdrawn."""
    a = resolved_case(make_case, secretary_a)
    mark(town_x, a)
    b = resolved_case(make_case, secretary_a, category="neighbour", title="张建国与李秀英排水纠纷")
    mark(town_x, b, title="张某与李某排水纠纷", summary="两家院落相邻，雨水排向张某家。", self_gov_tags=["virtue"],
         method_tags=["family"])
    c = resolved_case(make_case, secretary_a, title="撤销的")
    mark(town_x, c, title="撤销的案例")
    services.withdraw_typical(actor=town_x, dispute=c, reason="不够典型")
    return a, b, c


def titles(response):
    html = response.content.decode()
    return {t for t in ("张某与李某宅基地边界纠纷", "张某与李某排水纠纷", "撤销的案例", "纸坊的案例") if t in html}


@pytest.mark.django_db
def test_casebook_lists_search_and_filters(client, make_case, secretary_a, secretary_c, town_x, town_y,
                                           county_user):
    _typicals(make_case, secretary_a, town_x)
    y = resolved_case(make_case, secretary_c, village=VILLAGE_C, title="纸坊")
    mark(town_y, y, title="纸坊的案例")
    url = reverse("cases:casebook")
    client.force_login(town_x)
    assert titles(client.get(url)) == {"张某与李某宅基地边界纠纷", "张某与李某排水纠纷"}
    assert titles(client.get(url, {"q": "雨水"})) == {"张某与李某排水纠纷"}
    assert titles(client.get(url, {"q": "宅基地"})) == {"张某与李某宅基地边界纠纷"}
    assert titles(client.get(url, {"category": "neighbour"})) == {"张某与李某排水纠纷"}
    assert titles(client.get(url, {"tag": "law"})) == {"张某与李某宅基地边界纠纷"}
    assert titles(client.get(url, {"tag": "virtue", "method": "family"})) == {"张某与李某排水纠纷"}
    assert titles(client.get(url, {"method": "back_to_back"})) == set()
    year = timezone.localdate().year
    assert len(titles(client.get(url, {"year": year}))) == 2
    assert titles(client.get(url, {"year": year - 1})) == set()
    bad = client.get(url, {"year": "abc", "tag": "nonsense"})
    assert bad.status_code == 200 and len(titles(bad)) == 2 and "error" in bad.content.decode()
    client.force_login(town_y)
    assert titles(client.get(url)) == {"纸坊的案例"}
    client.force_login(county_user)
    assert titles(client.get(url)) == {"张某与李某宅基地边界纠纷", "张某与李某排水纠纷", "纸坊的案例"}
    assert titles(client.get(url, {"town": TOWN_Y})) == {"纸坊的案例"}
    client.force_login(secretary_a)  # the village sees its own cases' typical cases
    assert len(titles(client.get(url))) == 2


@pytest.mark.django_db
def test_casebook_empty_state_and_who_may_see_it(client, make_user, secretary_a, auditor, sysadmin):
    url = reverse("cases:casebook")
    client.force_login(secretary_a)
    assert "还没有典型案例" in client.get(url).content.decode()
    assert "没有符合条件的典型案例" in client.get(url, {"q": "无此词"}).content.decode()
    assert any(item.label == "典型案例" for item in menu_for(secretary_a))
    for user in (auditor, sysadmin):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("cases:casebook_export")).status_code == 403
        assert not any(item.label == "典型案例" for item in menu_for(user))


@pytest.mark.django_db
def test_a_relapsed_case_leaves_the_casebook(client, make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A, status="closed", parties=parties())
    mark(town_x, case)
    client.force_login(town_x)
    assert CLEAN["title"] in client.get(reverse("cases:casebook")).content.decode()
    services.reopen(actor=secretary_a, dispute=Dispute.objects.get(pk=case.pk), reason="排水问题再起争执")
    assert CLEAN["title"] not in client.get(reverse("cases:casebook")).content.decode()


def _many(make_case, secretary_a, town_x, n):
    """n typical cases, quickly: registered through the services, then settled and listed in bulk (setup only)."""
    cases = [make_case(secretary_a, VILLAGE_A, parties=parties()) for _ in range(n)]
    Dispute.objects.filter(pk__in=[c.pk for c in cases]).update(
        status="resolved", outcome="success", resolved_at=timezone.now(), first_resolved_at=timezone.now())
    TypicalCase.objects.bulk_create([
        TypicalCase(dispute=c, title=f"张某与李某纠纷{i}", summary="张某与李某达成协议。", experience="法律释明。",
                    rule_of_law=True, methods=methods_value(["legal"]), marked_by=town_x, marked_at=timezone.now())
        for i, c in enumerate(cases)])


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?q=张某&tag=law&method=legal&category=housing", "?page=2"])
def test_casebook_query_count_does_not_grow(client, make_case, secretary_a, county_user, town_x, query,
                                            django_assert_max_num_queries):
    from django.db import connection

    client.force_login(county_user)
    url = reverse("cases:casebook") + query
    _many(make_case, secretary_a, town_x, 5)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _many(make_case, secretary_a, town_x, 45)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200 and "张某与李某纠纷" in response.content.decode()


# --- the Word compilation ---------------------------------------------------------------------------------------------


def docx_text(content: bytes) -> tuple[Document, str]:
    """Every paragraph and table cell of the body, headers and footers, and the raw XML of every part."""
    import zipfile

    doc = Document(io.BytesIO(content))
    texts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    for section in doc.sections:
        for part in (section.header, section.footer, section.first_page_header, section.first_page_footer):
            texts += [p.text for p in part.paragraphs]
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return doc, "\n".join(texts) + "\n" + xml


@pytest.mark.django_db
def test_the_compilation_names_nobody_and_is_grouped_by_category_with_a_toc(client, make_case, secretary_a,
                                                                           town_x, county_user):
    a, b, c = _typicals(make_case, secretary_a, town_x)
    # A party added after the case was listed, and a text changed behind the service's back: scrubbed on export.
    Party.objects.create(dispute=a, role="third", name="王立新", sex="M", id_number="370829196001010017",
                         phone="13905370000")
    TypicalCase.objects.filter(dispute=a).update(
        summary="张建国与王立新（电话13905370000，身份证370829196001010017）曾在东街12号争吵。")
    client.force_login(county_user)
    response = client.get(reverse("cases:casebook_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    doc, text = docx_text(response.content)
    for secret in (*NAMES, "建国", "秀英", "王立新", "立新", ID_A, ID_B, MOBILE_A, MOBILE_B, "13905370000",
                   "370829196001010017"):
        assert secret not in text, secret
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)\d{17}[\dXx](?!\d)", text)
    assert TITLE in text and "张某与王某" in text and "某号" in text
    assert 'TOC \\o "1-2"' in text  # a real Word TOC field
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name in ("Heading 1", "Heading 2")]
    assert headings == [("Heading 1", "一、邻里类纠纷"), ("Heading 2", "（一）张某与李某排水纠纷"),
                        ("Heading 1", "二、房屋宅基地类纠纷"), ("Heading 2", "（一）张某与李某宅基地边界纠纷")]
    body = [p.text for p in doc.paragraphs]
    toc_list = body[: body.index("一、邻里类纠纷", body.index("案例目录") + 1)]
    assert "一、邻里类纠纷（1件）" in toc_list and "1. 张某与李某排水纠纷" in toc_list
    assert "二、房屋宅基地类纠纷（1件）" in toc_list and "1. 张某与李某宅基地边界纠纷" in toc_list
    assert "撤销的案例" not in text
    assert any("德治" in t and "亲情感化" in t for t in body)
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.user == county_user and "典型案例汇编" in entry.detail and "2件" in entry.detail


@pytest.mark.django_db
def test_the_compilation_follows_the_filters_and_visibility(client, make_case, secretary_a, secretary_c, town_x,
                                                            town_y):
    _typicals(make_case, secretary_a, town_x)
    y = resolved_case(make_case, secretary_c, village=VILLAGE_C, title="纸坊")
    mark(town_y, y, title="纸坊的案例")
    client.force_login(town_x)
    _, text = docx_text(client.get(reverse("cases:casebook_export"), {"category": "neighbour"}).content)
    assert "张某与李某排水纠纷" in text and "宅基地边界纠纷" not in text and "纸坊的案例" not in text
    assert "邻里" in AuditEntry.objects.get(action=Action.EXPORT).detail
    client.force_login(town_y)
    _, text = docx_text(client.get(reverse("cases:casebook_export")).content)
    assert "纸坊的案例" in text and "排水纠纷" not in text
    assert client.post(reverse("cases:casebook_export")).status_code == 405


@pytest.mark.django_db
def test_an_empty_compilation_says_so(client, secretary_a):
    client.force_login(secretary_a)
    _, text = docx_text(client.get(reverse("cases:casebook_export")).content)
    assert "当前筛选条件下没有典型案例" in text


@pytest.mark.django_db
def test_the_demo_lists_a_few_typical_cases_through_the_service(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", "--cases", "160", stdout=io.StringIO())
    typicals = list(TypicalCase.objects.select_related("dispute"))
    assert 3 <= len(typicals) <= 5
    for t in typicals:
        names = list(t.dispute.parties.values_list("name", flat=True))
        assert not leaks(t.title + t.summary + t.experience, names), t.title
        assert t.dispute.status in ("resolved", "closed") and t.marked_by.membership.role == Role.TOWN_LEADER
        assert t.dispute.events.filter(kind=EventKind.TYPICAL_MARKED).count() == 1
