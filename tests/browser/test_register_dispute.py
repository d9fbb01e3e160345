"""Acceptance: a village secretary registers a dispute on a phone, finds it again; another village cannot see it.

Real browser (Debian Chromium, 375×812, zh-CN), real login form, real JavaScript (and once without it).
"""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Dispute
from core.validators import id_check_char
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE_URL = re.compile(r"/cases/(JX-\d{4}-\d{6})/$")
# ID numbers agree with 性别 (17th digit odd = 男): the form refuses a contradiction (issue 11.5).
FIRST = {"role": "申请人", "name": "王德胜", "sex": "男", "id_number": "110105194912310011", "phone": "13812345678",
         "address": "刘山村东街3号"}
SECOND_ID = "37082919800101124" + id_check_char("37082919800101124")
SECOND = {"role": "被申请人", "name": "赵玉兰", "sex": "女", "id_number": SECOND_ID, "phone": "0537-6812345",
          "address": "刘山村西街8号"}


@pytest.fixture
def make_user(reference_data, make_user):
    """Users need the divisions, which a transactional flush removes: restore them first (see conftest)."""
    return make_user


def field(label):
    """A form field's label as shown ("身份：", "身份:"); exact, so 身份 does not also match 身份证号."""
    return re.compile(rf"^{re.escape(label)}\s*[:：]?$")


def log_in(page, base_url, username):
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label(field("用户名")).fill(username)
    page.get_by_label(field("密码")).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(base_url + "/")


def log_out(page):
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()


def fill_dispute(page, title):
    page.get_by_label(field("纠纷标题")).fill(title)
    page.get_by_label(field("纠纷类别")).select_option(label="邻里")
    page.get_by_label(field("来源")).select_option(label="群众来访")
    page.get_by_label(field("风险等级")).select_option(label="黄·一般")
    page.get_by_label(field("涉及人数")).fill("3")
    page.get_by_label(field("发生日期")).fill((timezone.localdate() - datetime.timedelta(days=3)).isoformat())
    page.get_by_label(field("具体地点")).fill("村后街")
    page.get_by_label(field("纠纷简要情况")).fill("雨水排向邻居院内，双方多次争吵，申请人要求改排水沟。")
    # A secretary has exactly one village: it is preselected and is the only choice.
    expect(page.get_by_label(field("所在村/社区"))).to_have_value("370829001209")


def fill_party(row, party):
    row.get_by_label(field("身份")).select_option(label=party["role"])
    row.get_by_label(field("姓名")).fill(party["name"])
    row.get_by_label(field("性别")).select_option(label=party["sex"])
    row.get_by_label(field("联系电话")).fill(party["phone"])
    row.get_by_label(field("身份证号")).fill(party["id_number"])
    row.get_by_label(field("住址")).fill(party["address"])


def expect_case_page(page, title):
    """The page after a successful registration: number, title, both parties with ID and phone masked."""
    expect(page).to_have_url(CASE_URL)
    number = CASE_URL.search(page.url).group(1)
    assert number.startswith(f"JX-{timezone.localdate().year}-")
    expect(page.locator(".messages")).to_contain_text(f"已登记，案件编号 {number}。")
    expect(page.locator("p.number")).to_have_text(number)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    parties = page.locator("ul.parties")
    expect(page.get_by_role("heading", name="当事人（2）")).to_be_visible()
    expect(parties.locator("li")).to_have_count(2)
    expect(parties.locator("li").nth(0)).to_contain_text("王德胜")
    expect(parties.locator("li").nth(0)).to_contain_text("申请人")
    expect(parties.locator("li").nth(0)).to_contain_text("身份证 1101**********0011 · 电话 138****5678")
    expect(parties.locator("li").nth(1)).to_contain_text("赵玉兰")
    expect(parties.locator("li").nth(1)).to_contain_text("被申请人")
    expect(parties.locator("li").nth(1)).to_contain_text(f"身份证 3708**********{SECOND_ID[-4:]} · 电话 0537-***2345")
    html = page.content()
    for secret in (FIRST["id_number"], FIRST["phone"], SECOND_ID, "6812345"):
        assert secret not in html, f"{secret} shown unmasked on the case page"
    return number


def test_secretary_registers_a_dispute_finds_it_and_another_village_cannot_open_it(
    live_server, page, shot, secretary_a, secretary_b
):
    base = live_server.url
    title = "王德胜与赵玉兰排水纠纷"

    page.goto(base + "/")
    shot(page, "login")
    log_in(page, base, "sec_a")
    expect(page.get_by_role("heading", name="刘山村 · 工作台")).to_be_visible()
    shot(page, "home")

    page.get_by_role("link", name="＋ 登记矛盾纠纷").click()
    expect(page).to_have_url(base + "/cases/new/")
    expect(page.get_by_role("heading", name="登记矛盾纠纷")).to_be_visible()
    fill_dispute(page, title)
    rows = page.locator("#parties fieldset[data-party]")
    expect(rows).to_have_count(1)
    fill_party(rows.nth(0), FIRST)

    page.evaluate("window.stillThisPage = true")
    page.get_by_role("button", name="＋ 增加当事人").click()  # JavaScript: a new row from the <template>
    expect(rows).to_have_count(2)
    assert page.evaluate("window.stillThisPage === true"), "the button posted the form instead of adding a row"
    expect(rows.nth(1).get_by_label(field("姓名"))).to_be_focused()
    expect(rows.nth(0).get_by_label(field("姓名"))).to_have_value("王德胜")
    fill_party(rows.nth(1), SECOND)
    shot(page, "form-filled")

    page.get_by_role("button", name="提交登记").click()
    number = expect_case_page(page, title)
    shot(page, "case-page")
    assert list(Dispute.objects.get(number=number).parties.values_list("name", flat=True)) == ["王德胜", "赵玉兰"]
    case_url = page.url

    # Find it again in the list, with the keyword filter.
    page.get_by_role("link", name="纠纷台账").click()
    expect(page).to_have_url(base + "/cases/")
    expect(page.get_by_role("heading", name="纠纷台账")).to_be_visible()
    page.locator("summary", has_text="筛选与排序").click()
    page.get_by_label(field("关键词")).fill("赵玉兰")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"/cases/\?.*q=%E8%B5%B5%E7%8E%89%E5%85%B0"))
    expect(page.get_by_text("共 1 条，第 1 页")).to_be_visible()
    row = page.locator("li.case-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("刘山村 · 邻里")
    expect(row).to_contain_text("当事人：王德胜、赵玉兰")
    shot(page, "list-filtered")
    row.get_by_role("link").click()
    expect(page).to_have_url(case_url)
    expect(page.locator("p.number")).to_have_text(number)

    # Village B (same town) must not see village A's case: not in its list, and the URL is a 404.
    log_out(page)
    log_in(page, base, "sec_b")
    expect(page.get_by_role("heading", name="唐庄村 · 工作台")).to_be_visible()
    page.goto(base + "/cases/")
    expect(page.get_by_text("共 0 条")).to_be_visible()
    expect(page.get_by_text(title)).to_have_count(0)
    response = page.goto(case_url)
    assert response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    expect(page.get_by_text("不在您的管辖范围内")).to_be_visible()
    expect(page.get_by_text("王德胜")).to_have_count(0)
    shot(page, "other-village-404")


def test_registration_form_works_without_javascript(live_server, new_context, shot, secretary_a):
    base = live_server.url
    title = "王德胜与赵玉兰排水纠纷（无脚本）"
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, base, "sec_a")
    page.goto(base + "/cases/new/")
    fill_dispute(page, title)
    rows = page.locator("#parties fieldset[data-party]")
    expect(rows).to_have_count(1)
    fill_party(rows.nth(0), FIRST)

    # Without JavaScript the button posts the form back with one more empty row, and no error messages yet.
    page.get_by_role("button", name="＋ 增加当事人").click()
    expect(rows).to_have_count(2)
    expect(page.get_by_text("尚未保存")).to_have_count(0)
    expect(page.get_by_label(field("纠纷标题"))).to_have_value(title)
    expect(rows.nth(0).get_by_label(field("姓名"))).to_have_value("王德胜")
    expect(rows.nth(0).get_by_label(field("身份证号"))).to_have_value(FIRST["id_number"])
    expect(rows.nth(1).get_by_label(field("姓名"))).to_have_value("")
    assert Dispute.objects.count() == 0
    fill_party(rows.nth(1), SECOND)
    shot(page, "nojs-form-filled")

    page.get_by_role("button", name="提交登记").click()
    number = expect_case_page(page, title)
    shot(page, "nojs-case-page")
    case = Dispute.objects.get()
    assert case.number == number and case.title == title and case.village_id == "370829001209"
    assert [(p.name, p.id_number, p.phone) for p in case.parties.all()] == [
        ("王德胜", FIRST["id_number"], FIRST["phone"]), ("赵玉兰", SECOND_ID, SECOND["phone"]),
    ]
