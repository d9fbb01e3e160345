"""Acceptance (issue 9): at 375 px, a town official raises a red warning 报送 the county; the county centre sees
the 待办 badge, opens 待办, signs for the warning and answers it; the town sees the answer on the case.

Real login form for both users; screenshots in test-artifacts/test_a_red_warning_*.png.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Status, Tier
from notify.models import Notification
from tests.browser.test_full_path import act, expect_message, field, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ANSWER = "请嘉祥街道党工委主要领导包案，三日内组织联合调解并报结果。"


@pytest.fixture
def make_user(reference_data, make_user):
    return make_user


@pytest.fixture
def no_login_walls(settings):
    settings.REQUIRE_2FA = False


def test_a_red_warning_reaches_the_county_and_its_answer_comes_back(
        live_server, page, shot, no_login_walls, secretary_a, town_x, county_user, make_case):
    base = live_server.url
    case = make_case(secretary_a, "370829001209", tier=Tier.TOWN, status=Status.IN_PROGRESS,
                     title="二十户村民与养殖场污染纠纷", people_involved=20)
    number = case.number

    # The town official raises a red warning and sends it to the county centre.
    log_in(page, base, town_x.username)
    page.goto(base + case.get_absolute_url())
    act(page, number, "发出预警")
    page.get_by_label(field("预警等级")).select_option(label="红色预警")
    page.get_by_label("集体访").check()
    page.get_by_label(field("预警理由")).fill("二十余户村民联名，扬言集体到县上访。")
    page.get_by_label(field("报送")).select_option(label="县社会治理协调中心")
    shot(page, "town-raises")
    page.get_by_role("button", name="发出预警").click()
    expect_message(page, "已发出预警。")
    log_out(page)

    # The county centre: the badge counts it, 待办 lists it, the warning inbox signs and answers it.
    log_in(page, base, county_user.username)
    badge = page.locator("nav.nav a", has_text="待办").locator(".badge")
    expect(badge).to_have_text("1")
    shot(page, "county-badge")
    page.locator("nav.nav").get_by_role("link", name=re.compile("^待办")).click()
    item = page.locator("li.todo-row").filter(has_text=number)
    expect(item).to_contain_text("红色预警待签收")
    shot(page, "county-todo")
    item.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/cases/{number}/$"))  # the county may open the town's case
    page.locator("nav.nav").get_by_role("link", name="收到的预警").click()
    row = page.locator("li.warning-row").filter(has_text=number)
    expect(row).to_contain_text("待签收")
    row.get_by_role("button", name="签收").click()
    expect_message(page, "已签收")
    row = page.locator("li.warning-row").filter(has_text=number)
    row.get_by_label(field("批示/回复意见")).fill(ANSWER)
    shot(page, "county-answers")
    row.get_by_role("button", name="提交批示/回复").click()
    expect_message(page, "已回复")
    expect(page.locator("nav.nav a", has_text="待办").locator(".badge")).to_have_count(0)
    assert not Notification.objects.filter(recipient=county_user, done_at=None).exists()
    log_out(page)

    # The town sees the answer on the case's timeline.
    log_in(page, base, town_x.username)
    page.goto(base + case.get_absolute_url())
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("预警签收")
    expect(timeline).to_contain_text(ANSWER)
    shot(page, "town-sees-answer")
