"""Acceptance (issue 11 #4): the weekly meeting as a working session, on a 375 px phone.

A town official (嘉祥街道) opens this week's meeting, starts 逐项研判, and reviews three agenda items in a row on the
item page (case facts beside the form) with "保存并下一项" — the first submit with a missing 研判意见 comes back with
the error summary focused at the top of the form —, enters the minute-taker with "一次添加多人", closes the meeting,
and the minutes list all three items with their decisions. Screenshots (test-artifacts/): the item page with an
error and the projector table, each at 375 and 1366 px.
"""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Status, Tier
from meetings.models import Meeting, MeetingStatus, Review
from org.models import Role
from tests.browser.test_full_path import expect_message, field, log_in, open_this_weeks_meeting
from tests.conftest import VILLAGE_A, VILLAGE_B
from tests.meetings import no_rules

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ITEM_URL = re.compile(r"/meetings/\d+/items/(JX-\d{4}-\d{6})/$")
TITLES = ["刘山村宅基地边界纠纷", "唐庄村土地承包纠纷", "刘山村邻里排水纠纷"]
RECORDER = "李建国"
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def make_user(reference_data, make_user):
    """Users need the divisions, which a transactional flush removes: restore them first (see conftest)."""
    return make_user


@pytest.fixture
def three_cases(make_case, secretary_a, secretary_b):
    no_rules()  # no rule flags: this walk is about reviewing, not explaining flags
    return [
        make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title=TITLES[0]),
        make_case(secretary_b, VILLAGE_B, tier=Tier.TOWN, status=Status.IN_PROGRESS, title=TITLES[1]),
        make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title=TITLES[2]),
    ]


def fill_review(page, analysis, decision, details=None):
    form = page.locator("#review-form form")
    form.get_by_label(field("研判意见")).fill(analysis)
    form.get_by_label(field("决定")).select_option(label=decision)
    if details:
        details(form)
    return form


def test_a_town_official_reviews_three_items_with_save_and_next_and_closes(
    live_server, page, shot, town_x, three_cases, settings
):
    settings.REQUIRE_2FA = False
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "town_x")
    meeting_pk = open_this_weeks_meeting(page, base, "嘉祥街道综治中心")
    expect(page.locator("p.number").first).to_contain_text(re.compile(r"(\d+年)?\d+月\d+日—(\d+年)?\d+月\d+日，第\d+周"))
    page.get_by_role("link", name=re.compile(r"^逐项研判")).click()

    reviewed = []
    decisions = ["继续跟踪", "落实四定继续办理", "继续跟踪"]
    for n, decision in enumerate(decisions, start=1):
        expect(page).to_have_url(ITEM_URL)
        number = ITEM_URL.search(page.url).group(1)
        reviewed.append(number)
        expect(page.locator(".item-pos")).to_have_text(f"第 {n} / 3 项")
        facts = page.locator(".case-facts")
        expect(facts).to_contain_text("双方对宅基地界址有争议。")  # the description, beside the form
        expect(facts).to_contain_text("138****5678")  # parties masked
        expect(facts.locator(".clock-list")).to_contain_text("办结时限")
        if n == 1:
            # Save without 研判意见: the summary comes back at the top of the form, focused, linking to the field.
            page.locator("#review-form form").get_by_label(field("决定")).select_option(label=decision)
            page.get_by_role("button", name="保存并下一项").click()
            summary = page.locator("#error-summary")
            expect(summary).to_be_focused()
            expect(summary).to_contain_text("请修改以下1处：")
            expect(page.locator(".field.has-error")).to_contain_text("请填写研判意见。")
            shot(page, "item-error-375")
            page.set_viewport_size(WIDE)
            shot(page, "item-error-1366")
            page.set_viewport_size(PHONE)
            summary.get_by_role("link", name=re.compile("研判意见")).click()
            expect(page.locator("#review-form form").get_by_label(field("研判意见"))).to_be_focused()

        def four_fixed(form):
            form.get_by_label(field("包案领导")).select_option(label=f"town_x（{Role.TOWN_LEADER.label}）")
            form.get_by_label(field("责任单位")).select_option(label="嘉祥街道司法所")
            form.get_by_label(field("责任人")).select_option(label=f"town_x（{Role.TOWN_LEADER.label}）")
            form.get_by_label(field("调处措施")).fill("司法所牵头现场勘界，组织双方协商。")

        fill_review(page, f"第{n}件：情况已核实。", decision, four_fixed if "四定" in decision else None)
        if n == 2:
            shot(page, "item-four-fixed-375")
        page.get_by_role("button", name="保存并下一项").click()
        expect_message(page, f"已记录对 {number} 的研判。")

    # After the last item: back at the meeting, nothing left to review.
    expect_message(page, "议程上的案件均已研判，可以闭会。")
    assert sorted(reviewed) == sorted(c.number for c in three_cases)
    assert Review.objects.filter(meeting_id=meeting_pk).count() == 3

    page.goto(f"{base}/meetings/{meeting_pk}/table/")
    rows = page.locator("table.agenda-table tbody tr")
    expect(rows).to_have_count(3)
    for number in reviewed:
        expect(rows.filter(has_text=number)).to_be_visible()
    expect(rows.filter(has_text=reviewed[1])).to_contain_text("落实四定继续办理")
    shot(page, "table-375")
    page.set_viewport_size(WIDE)
    shot(page, "table-1366")
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="返回例会").click()

    # 记录人: a 参会成员 without an account, typed as one line of "一次添加多人".
    attendance = page.locator("#attendance")
    attendance.locator("summary", has_text="一次添加多人").click()
    expect(attendance.get_by_label(re.compile(r"^town_x（"))).to_have_count(0)  # the convener is already in
    attendance.get_by_label(field("其他人员（每行一人：姓名 职务 单位）")).fill(f"{RECORDER} 综治办干事")
    attendance.get_by_label(field("其他人员的类别")).select_option(label="参会成员")
    shot(page, "attendance-375")
    attendance.get_by_role("button", name="添加所选人员").click()
    expect_message(page, f"已登记参会人员1名：{RECORDER}。")

    close = page.locator("#close")
    close.get_by_label(field("记录人")).select_option(label=f"{RECORDER}（综治办干事）")
    close.get_by_label("确认闭会后会议纪要定稿，不能再修改").check()
    close.get_by_role("button", name="闭会并生成纪要").click()
    expect_message(page, "已闭会，会议纪要已生成。")
    minutes = page.locator("article.minutes")
    expect(minutes).to_contain_text("研判事项（3 件）")
    for number, decision in zip(reviewed, decisions, strict=True):
        expect(minutes.locator("section.minutes-item", has_text=number)).to_contain_text(decision)
    shot(page, "minutes-375")
    assert Meeting.objects.get(pk=meeting_pk).status == MeetingStatus.CLOSED
