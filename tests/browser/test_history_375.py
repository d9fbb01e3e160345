"""A person's history, the 反复 hint at registration and 按电话查找 (issue 12 #7) in a real browser, at 375 px and
1366 px: nothing scrolls sideways; the hint's one click reopens the original case; the phone never reaches the URL.

Real browser (Debian Chromium, zh-CN), like tests/browser/test_register_dispute.py. Screenshots: test-artifacts/.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Dispute, Status
from core.validators import id_check_char
from tests.browser.test_register_dispute import field, fill_dispute, fill_party, log_in
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERSON = "37082919700305001" + id_check_char("37082919700305001")  # 男
MOBILE = "13912345678"
DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def make_user(reference_data, make_user):
    return make_user


@pytest.fixture
def cases(reference_data, make_case, secretary_a, secretary_b, secretary_c):
    settled = make_case(secretary_a, VILLAGE_A, title="王德胜与李四宅基地边界纠纷", status=Status.RESOLVED,
                        parties=[party_row("王德胜", id_number=PERSON, phone=MOBILE), party_row("李四", "respondent")])
    b = make_case(secretary_b, VILLAGE_B, title="王德胜与唐某借贷纠纷",
                  parties=[party_row("唐某"), party_row("王德胜", "respondent", id_number=PERSON)])
    c = make_case(secretary_c, VILLAGE_C, title="纸坊镇土地纠纷", parties=[party_row("王德胜", id_number=PERSON)])
    return {"settled": settled, "b": b, "c": c}


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scroll at {width} px"


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["375", "1366"])
def test_a_town_official_opens_a_persons_history(live_server, new_context, shot, town_x, cases, viewport):
    page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
    width = (viewport or {"width": 375})["width"]
    log_in(page, live_server.url, "town_x")
    page.goto(live_server.url + cases["b"].get_absolute_url())
    page.get_by_role("link", name="此人的纠纷记录").click()
    expect(page.get_by_role("heading", name="王德胜的纠纷记录")).to_be_visible()
    rows = page.locator(".history-rows li")
    expect(rows).to_have_count(2)  # village A's and B's; town Y's case is not the town's to see
    expect(page.locator(".history-rows")).to_contain_text(cases["settled"].number)
    expect(page.locator(".history-rows")).not_to_contain_text(cases["c"].number)
    assert PERSON not in page.content()
    fits(page, width)
    shot(page, f"history-{width}")


@pytest.mark.parametrize("viewport", [None, DESKTOP], ids=["375", "1366"])
def test_the_recurrence_hint_reopens_the_original_case(live_server, new_context, shot, secretary_a, cases, viewport):
    page = new_context(**({"viewport": viewport} if viewport else {})).new_page()
    width = (viewport or {"width": 375})["width"]
    log_in(page, live_server.url, "sec_a")
    page.goto(live_server.url + "/cases/new/")
    fill_dispute(page, "王德胜与李四宅基地纠纷再起")
    fill_party(page.locator("#parties fieldset[data-party]").nth(0),
               {"role": "申请人", "name": "王德胜", "sex": "男", "id_number": PERSON, "phone": MOBILE,
                "address": "刘山村1号"})
    page.get_by_role("button", name="提交登记").click()
    hint = page.locator("#duplicate-hint")
    expect(hint).to_contain_text(f"此人近一年有已化解纠纷 {cases['settled'].number}，是否属反复？")
    expect(page.get_by_label(field("反复情况"))).to_have_value(re.compile("^登记时发现反复。"))
    fits(page, width)
    shot(page, f"recurrence-hint-{width}")
    confirm_new = page.get_by_label(re.compile("仍要登记"))
    confirm_new.evaluate("el => el.scrollIntoView({block: 'center'})")
    expect(confirm_new).to_be_visible()
    expect(confirm_new).not_to_be_checked()
    page.screenshot(path=str(shot(page, f"hint-viewport-{width}")).replace(".png", "-view.png"))
    page.get_by_role("button", name=f"确认属反复，重新办理 {cases['settled'].number}").click()
    expect(page).to_have_url(live_server.url + cases["settled"].get_absolute_url())
    expect(page.locator(".messages")).to_contain_text("已重新办理。")
    shot(page, f"reopened-{width}")
    original = Dispute.objects.get(pk=cases["settled"].pk)
    assert (original.status, original.reopen_count) == (Status.IN_PROGRESS, 1)
    assert Dispute.objects.count() == 3  # no new case


def test_phone_search_in_the_ledger(live_server, page, shot, town_x, cases):
    log_in(page, live_server.url, "town_x")
    page.goto(live_server.url + "/cases/")
    page.locator("summary", has_text="按电话查找").click()
    page.get_by_label(field("联系电话")).fill(MOBILE)
    page.get_by_label(field("查找理由")).fill("当事人来电，核实已有纠纷")
    shot(page, "phone-search-form-375")
    page.get_by_role("button", name="按电话查找").click()
    expect(page.locator(".active-filters")).to_contain_text("电话：139****5678")
    expect(page.locator(".case-row")).to_have_count(1)
    assert MOBILE not in page.url and MOBILE not in page.content()
    fits(page, 375)
    shot(page, "phone-search-result-375")
