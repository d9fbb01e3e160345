"""Intake on a phone (issue 11.5): at 375 px nothing scrolls the page sideways — home, the registration form (also
with errors) and the audit log; the header keeps its words whole and its links are 44 px tap targets; an invalid
submit moves the focus to the error summary, whose links lead to the fields; a typed ID number fills in 性别.

Real browser (Debian Chromium, zh-CN), like tests/browser/test_register_dispute.py.
"""

import re

import pytest
from playwright.sync_api import expect

import audit
from audit.models import Action
from core.validators import id_check_char
from org.models import Role
from tests.browser.test_register_dispute import field, log_in
from tests.conftest import COUNTY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MALE_ID = "37082919800101001" + id_check_char("37082919800101001")  # 17th digit 1 (odd): 男, born 1980-01-01


@pytest.fixture
def make_user(reference_data, make_user):
    return make_user


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def assert_fits_phone(page, what):
    assert page_width(page) <= 375, f"{what}: the page is {page_width(page)} px wide at 375 px (sideways scroll)"


def header_problems(page) -> list[str]:
    """Header text nodes that wrap onto a second line (a word broken), and links/buttons lower than 44 px."""
    return page.evaluate("""() => {
      const bad = [];
      const bar = document.querySelector('header.topbar');
      const walker = document.createTreeWalker(bar, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) bad.push('wrapped: ' + node.textContent.trim());
      }
      for (const el of bar.querySelectorAll('a, button')) {
        const h = el.getBoundingClientRect().height;
        if (h < 44) bad.push('tap target ' + Math.round(h) + ' px: ' + el.textContent.trim());
      }
      return bad;
    }""")


def test_phone_pages_fit_and_an_invalid_registration_focuses_the_summary(live_server, page, shot, secretary_a):
    base = live_server.url
    log_in(page, base, "sec_a")
    expect(page.get_by_role("heading", name="刘山村 · 工作台")).to_be_visible()
    assert_fits_phone(page, "home")
    assert header_problems(page) == []
    expect(page.locator("header")).not_to_contain_text("双因素认证")  # a village secretary does not use 2FA
    shot(page, "home")

    page.goto(base + "/cases/new/")
    assert_fits_phone(page, "registration form")
    # Required: a red * before the label; the label (the field's name) stays "纠纷标题:".
    title_mark = page.locator(".field:has(#id_title) .req")
    expect(title_mark).to_have_text("*")
    assert title_mark.evaluate("e => getComputedStyle(e).color") == "rgb(198, 40, 40)"
    expect(page.locator(".field:has(#id_subcategory) .req")).to_have_count(0)  # optional: no mark

    # A valid ID number typed fills in an empty 性别 and shows the birth date it states.
    row = page.locator("#parties fieldset[data-party]").nth(0)
    row.get_by_label(field("姓名")).fill("王德胜")
    row.get_by_label(field("身份证号")).fill(MALE_ID)
    expect(row.get_by_label(field("性别"))).to_have_value("M")
    expect(row.locator("[data-id-facts]")).to_have_text("据身份证号：男，出生日期 1980年1月1日")

    # Submit with the dispute's fields empty: the summary comes first, has the focus and links to each field.
    page.get_by_role("button", name="提交登记").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text(re.compile(r"^请修改以下\d+处：$"))
    count = int(summary.get_by_role("heading").inner_text()[5:-2])
    expect(summary.locator("li a")).to_have_count(count)
    assert count >= 4  # 纠纷标题, 纠纷类别, 来源, 纠纷简要情况
    assert_fits_phone(page, "registration form with errors")
    shot(page, "form-errors-375")
    summary.get_by_role("link", name="纠纷标题：这个字段是必填项。").click()
    expect(page.get_by_label(field("纠纷标题"))).to_be_focused()
    # What was typed stays, with what the ID number states.
    expect(row.get_by_label(field("身份证号"))).to_have_value(MALE_ID)
    expect(row.locator("[data-id-facts]")).to_have_text("据身份证号：男，出生日期 1980年1月1日")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    expect(page.locator("#error-summary")).to_be_focused()
    assert page_width(page) <= 1366
    shot(page, "form-errors-1366")


def test_audit_log_fits_a_phone(live_server, page, shot, make_user):
    make_user(Role.AUDITOR, COUNTY, username="auditor")
    for i in range(5):
        audit.record(None, action=Action.EXPORT, username=f"county_centre_user_{i}",
                     detail="导出纠纷台账（筛选：状态=未办结，风险=红、橙；共1234行）" * 2, label=f"JX-2026-00012{i}")
    log_in(page, live_server.url, "auditor")
    assert_fits_phone(page, "auditor's home")
    page.goto(live_server.url + "/audit/")
    expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
    expect(page.locator("table.audit tbody tr").first).to_be_visible()
    assert_fits_phone(page, "audit log")
    assert header_problems(page) == []
    # Key facts first: each stacked row starts with its time and action.
    first = page.locator("table.audit tbody tr").first.locator("td")
    expect(first.nth(0)).to_have_attribute("data-label", "时间")
    expect(first.nth(1)).to_have_attribute("data-label", "操作")
    shot(page, "audit-375")


def test_duplicate_hint_links_the_open_case_and_registers_when_confirmed(
    live_server, page, shot, secretary_a, make_case
):
    from tests.browser.test_register_dispute import fill_dispute, fill_party
    from tests.conftest import VILLAGE_A, party_row

    earlier = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=MALE_ID), party_row("李四")])
    log_in(page, live_server.url, "sec_a")
    page.goto(live_server.url + "/cases/new/")
    fill_dispute(page, "王德胜与赵玉兰排水纠纷（又起）")
    fill_party(page.locator("#parties fieldset[data-party]").nth(0), {
        "role": "申请人", "name": "王德胜", "sex": "男", "id_number": MALE_ID, "phone": "13812345678", "address": "",
    })
    page.get_by_role("button", name="提交登记").click()
    hint = page.locator("#duplicate-hint")
    expect(hint).to_be_focused()
    expect(hint.get_by_role("link", name=earlier.number)).to_have_attribute("href", earlier.get_absolute_url())
    assert_fits_phone(page, "registration form with the duplicate hint")
    shot(page, "duplicate-hint-375")
    hint.get_by_label("仍要登记（这是一起新的纠纷）").check()
    page.get_by_role("button", name="提交登记").click()
    expect(page.locator(".messages")).to_contain_text("已登记，案件编号")
