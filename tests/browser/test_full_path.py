"""Acceptance: one dispute walks the whole three-tier path in a phone-sized Chromium, through the real pages only.

village secretary (刘山村)   logs the case, opens this week's village meeting, decides 提请上一级
town leader (嘉祥街道)       opens the town meeting: 签收 → 落实四定 → 发出预警 → 提请上一级 at the meeting,
                             explains the rule flag it does not act on, closes the meeting, downloads the minutes
county centre                签收 from its 待签收 inbox, 移交 to 县涉土纠纷人民调解委员会
unit staff (调委会)           签收 in its 新移交 inbox, 三包 包调处, 办理反馈 (调解成功) — a unit does not resolve alone
county centre                审核 the feedback (→ 已化解), 回访, 解除预警, 结案; the case page shows every hop, 已结案, and
                             the number it was given at registration

Real login form for every user; screenshots of every stage in test-artifacts/test_full_path_*.png.
"""

import datetime
import re

import docx
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Dispute, EventKind, Status, Tier
from core.validators import id_check_char
from meetings.models import Meeting, MeetingStatus
from org.models import Role
from tests.conftest import PASSWORD, TOWN_X, VILLAGE_A

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE_URL = re.compile(r"/cases/(JX-\d{4}-\d{6})/$")
MEETING_URL = re.compile(r"/meetings/(\d+)/(\?[^#]*)?(#.*)?$")
TITLE = "王德胜等6户与赵玉兰排水纠纷"
STAFF_NAME = "李建国"  # the town_staff user named as 责任人 in the 四定
TOWN_UNIT = "嘉祥街道司法所"
COUNTY_UNIT = "县涉土纠纷人民调解委员会"
# ID numbers agree with 性别 (17th digit odd = 男): the form refuses a contradiction (issue 11.5).
APPLICANT = {"role": "申请人", "name": "王德胜", "sex": "男", "id_number": "110105194912310011",
             "phone": "13812345678", "address": "刘山村东街3号"}
RESPONDENT = {"role": "被申请人", "name": "赵玉兰", "sex": "女",
              "id_number": "37082919800101124" + id_check_char("37082919800101124"), "phone": "0537-6812345",
              "address": "刘山村西街8号"}
# Every hop the case page must list, in order (the rule-flag explanation is the town meeting's, see below).
TIMELINE = [
    EventKind.LOGGED, EventKind.REFERRED, EventKind.ACCEPTED, EventKind.ASSIGNED, EventKind.WARNING_RAISED,
    EventKind.REFERRED, EventKind.FLAG_OVERRIDDEN, EventKind.ACCEPTED, EventKind.TRANSFERRED,
    EventKind.TRANSFER_ACCEPTED, EventKind.DUTY, EventKind.FEEDBACK_FILED, EventKind.FEEDBACK_ACCEPTED,
    EventKind.VISITED, EventKind.WARNING_CLOSED, EventKind.CLOSED,
]


@pytest.fixture
def make_user(reference_data, make_user):
    """Users need the divisions, which a transactional flush removes: restore them first (see conftest)."""
    return make_user


@pytest.fixture
def town_staff(make_user):
    """A 综治办/司法所 worker of 嘉祥街道: the 四定's responsible person must be one of the town's own people."""
    user = make_user(Role.TOWN_STAFF, TOWN_X, username="town_staff_x")
    user.first_name = STAFF_NAME
    user.save(update_fields=["first_name"])
    return user


@pytest.fixture
def no_login_walls(settings):
    """The demo settings (.env DEBUG=true) have REQUIRE_2FA off; say so, so that a production-like environment
    (REQUIRE_2FA on: the county centre must pass a TOTP code) does not stop this walk at the county's login.
    Second factors and forced password changes have their own tests (tests/security)."""
    settings.REQUIRE_2FA = False


# --- helpers --------------------------------------------------------------------------------------------------------


def field(label):
    """A form field's label as shown ("身份：", "身份:"); exact, so 责任人 does not also match 责任单位."""
    return re.compile(rf"^{re.escape(label)}\s*[:：]?$")


def log_in(page, base, username):
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label(field("用户名")).fill(username)
    page.get_by_label(field("密码")).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert not re.search(r"/account/|/login/", page.url), f"{username}: login stopped at {page.url}"
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("heading", name=re.compile(r"工作台$"))).to_be_visible()


def log_out(page):
    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))


def expect_message(page, text):
    expect(page.locator(".messages")).to_contain_text(text)


def expect_case(page, number, status=None):
    """On the case page: same number as at registration (never renumbered), and the expected status."""
    expect(page).to_have_url(re.compile(rf"/cases/{number}/$"))
    expect(page.locator("p.number")).to_have_text(number)
    if status:
        expect(page.locator(".status").first).to_have_text(status)


def act(page, number, label):
    """Click one of the case page's action buttons; the action's own form page opens."""
    buttons = page.get_by_role("navigation", name="办理操作")
    buttons.get_by_role("link", name=label, exact=True).click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()
    expect(page.locator("p.number")).to_have_text(number)


def open_this_weeks_meeting(page, base, place):
    page.locator("nav.nav").get_by_role("link", name="平安周例会").click()
    expect(page).to_have_url(base + "/meetings/")
    page.get_by_role("link", name="召开本周例会").click()
    expect(page).to_have_url(base + "/meetings/open/")
    expect(page.get_by_label(field("会议日期"))).to_have_value(timezone.localdate().isoformat())
    page.get_by_label(field("地点")).fill(place)
    page.get_by_label("会议室", exact=True).check()
    page.get_by_role("button", name="召开").click()
    expect(page).to_have_url(MEETING_URL)
    expect_message(page, "已召开本周例会，议程已自动生成。")
    return int(MEETING_URL.search(page.url).group(1))


def agenda_item(page, number):
    return page.locator("article.agenda-item").filter(has=page.locator("p.number", has_text=number))


def review(page, number, decision, analysis, details=None):
    """研判 one agenda item at the meeting: open its form, write the analysis, choose the decision, fill the
    decision's own fields (`details(form)`), save. The meeting carries the decision out at once."""
    item = agenda_item(page, number)
    item.get_by_role("link", name=re.compile(r"^(研判与决定|修改研判)$")).click()
    form = page.locator("#review-form form")
    expect(form).to_be_visible()
    form.get_by_label(field("研判意见")).fill(analysis)
    form.get_by_label(field("决定")).select_option(label=decision)
    if details:
        details(form)
    return form


def save_review(page, form, number, decision):
    form.get_by_role("button", name="保存研判并执行决定").click()
    expect_message(page, f"已记录对 {number} 的研判。")
    expect(agenda_item(page, number).locator(".review-done")).to_contain_text(decision)


def docx_text(path):
    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# --- the walk -------------------------------------------------------------------------------------------------------


def test_a_dispute_walks_village_town_county_unit_and_is_closed(
    live_server, page, shot, tmp_path, no_login_walls, secretary_a, town_x, town_staff, county_user, unit_user
):
    base = live_server.url
    today = timezone.localdate()
    page.on("dialog", lambda dialog: dialog.accept())  # 闭会 asks "确定闭会？" (static/js/meeting.js)

    # 1. Village: the secretary of 刘山村 logs the case ------------------------------------------------------------
    log_in(page, base, "sec_a")
    page.get_by_role("link", name="＋ 登记矛盾纠纷").click()
    page.get_by_label(field("纠纷标题")).fill(TITLE)
    page.get_by_label(field("纠纷类别")).select_option(label="邻里")
    page.get_by_label(field("来源")).select_option(label="信访转办")  # rule: 信访来源报县协调中心
    page.get_by_label(field("风险等级")).select_option(label="黄·一般")
    page.get_by_label(field("涉及人数")).fill("6")  # rules: 涉及5人以上 → 提请镇街 and 集体访预警
    page.get_by_label(field("发生日期")).fill((today - datetime.timedelta(days=2)).isoformat())
    page.get_by_label(field("具体地点")).fill("村后街排水沟")
    page.get_by_label(field("纠纷简要情况")).fill("六户村民的雨水经赵玉兰院内排出，赵玉兰堵沟，双方多次争吵，已到镇信访。")
    expect(page.get_by_label(field("所在村/社区"))).to_have_value(VILLAGE_A)
    rows = page.locator("#parties fieldset[data-party]")
    page.get_by_role("button", name="＋ 增加当事人").click()
    expect(rows).to_have_count(2)
    for row, party in zip((rows.nth(0), rows.nth(1)), (APPLICANT, RESPONDENT), strict=True):
        row.get_by_label(field("身份")).select_option(label=party["role"])
        row.get_by_label(field("姓名")).fill(party["name"])
        row.get_by_label(field("性别")).select_option(label=party["sex"])
        row.get_by_label(field("联系电话")).fill(party["phone"])
        row.get_by_label(field("身份证号")).fill(party["id_number"])
        row.get_by_label(field("住址")).fill(party["address"])
    shot(page, "village-register")
    page.get_by_role("button", name="提交登记").click()
    expect(page).to_have_url(CASE_URL)
    number = CASE_URL.search(page.url).group(1)
    expect_message(page, f"已登记，案件编号 {number}。")
    expect_case(page, number, "已登记")
    case_pk = Dispute.objects.get(number=number).pk
    case_url = page.url

    # The village meeting: the new case is on the agenda; the meeting refers it to the town.
    village_meeting = open_this_weeks_meeting(page, base, "刘山村委会议室")
    expect(page.get_by_role("heading", name=re.compile(r"^嘉祥街道刘山村\d{4}年第\d+周平安周例会$"))).to_be_visible()
    expect(agenda_item(page, number)).to_contain_text("新登记")
    form = review(page, number, "提请上一级", "六户涉及排水改道，需镇街协调规划，村级无法化解。",
                  lambda f: f.get_by_label(field("理由/说明")).fill("涉及6户，已到镇信访，请镇街研判落实四定。"))
    shot(page, "village-review")
    save_review(page, form, number, "提请上一级")
    expect(agenda_item(page, number).locator(".status")).to_have_text("已提请")
    shot(page, "village-meeting")
    log_out(page)

    # 2. Town: 嘉祥街道's meeting accepts it, fixes 四定, warns, refers it to the county, closes ----------------------
    log_in(page, base, "town_x")
    town_meeting = open_this_weeks_meeting(page, base, "嘉祥街道综治中心")
    assert town_meeting != village_meeting
    expect(page.locator("li.group-count", has_text="待签收")).to_have_text(re.compile(r"^\s*1\s*待签收\s*$"))
    item = agenda_item(page, number)
    expect(item.locator(".tag.reason", has_text="待签收")).to_be_visible()
    expect(item).to_contain_text("待签收：刘山村 → 嘉祥街道，涉及6户，已到镇信访，请镇街研判落实四定。")
    shot(page, "town-agenda")

    form = review(page, number, "签收下级提请", "情况属实，镇街签收，由综治中心牵头。")
    save_review(page, form, number, "签收下级提请")
    expect(agenda_item(page, number).locator(".status")).to_have_text("调处中")

    def four_fixed(f):
        f.get_by_label(field("包案领导")).select_option(label=f"town_x（{Role.TOWN_LEADER.label}）")
        f.get_by_label(field("责任单位")).select_option(label=TOWN_UNIT)
        f.get_by_label(field("责任人")).select_option(label=f"{STAFF_NAME}（{Role.TOWN_STAFF.label}）")
        f.get_by_label(field("调处措施")).fill("司法所牵头现场勘查排水走向，组织六户与赵玉兰协商改沟方案。")
        expect(f.get_by_label(field("办结时限"))).to_have_value("")  # left empty: the deadline rules decide

    form = review(page, number, "落实四定继续办理", "落实四定，限期化解。", four_fixed)
    shot(page, "town-four-fixed")
    save_review(page, form, number, "落实四定继续办理")
    expect(agenda_item(page, number)).to_contain_text(f"责任单位 {TOWN_UNIT}；责任人 {STAFF_NAME}")

    reassess_on = today + datetime.timedelta(days=10)

    def warning(f):
        f.get_by_label(field("预警等级")).select_option(label="橙色预警")
        group_petition = f.get_by_label("集体访", exact=True)
        expect(group_petition).to_be_checked()  # suggested by the rule 涉及5人以上发出集体访预警
        f.get_by_label("越级访", exact=True).check()
        f.get_by_label(field("报送")).select_option(label="镇街党政联席会议")
        f.get_by_label(field("重新评估日期")).fill(reassess_on.isoformat())
        f.get_by_label(field("理由/说明")).fill("六户已集体到镇信访，扬言到县上访。")

    form = review(page, number, "发出预警", "存在集体访、越级访风险。", warning)
    shot(page, "town-warning")
    save_review(page, form, number, "发出预警")
    expect(agenda_item(page, number)).to_contain_text(f"橙色预警：集体访、越级访（镇街党政联席会议，{reassess_on:%m-%d} 重新评估）")

    form = review(page, number, "提请上一级", "排水改道涉及县级规划审批，镇街无法化解，提请县协调中心。",
                  lambda f: f.get_by_label(field("理由/说明")).fill("需县自然资源和规划局、县涉土调委会参与。"))
    save_review(page, form, number, "提请上一级")
    item = agenda_item(page, number)
    expect(item.locator(".status")).to_have_text("已提请")
    expect(item).to_contain_text("待签收：嘉祥街道 → 嘉祥县")

    # One rule flag is left: 信访 cases go to the county centre, by warning it or when the county holds the case;
    # the county has not signed for it yet. Closing is refused until the meeting explains why it does not act.
    # 记录人 and 审核人 are two 参会成员: the 综治办 staff member who takes the minutes is registered; town_x checks.
    attendance = page.locator("#attendance")
    attendance.locator("summary", has_text="登记参会人员").click()
    attendance.get_by_label(field("姓名")).fill(STAFF_NAME)
    attendance.get_by_label(field("职务/身份")).fill("综治办干事")
    attendance.get_by_role("button", name="登记").click()
    expect_message(page, f"已登记参会人员：{STAFF_NAME}。")
    close = page.locator("#close")
    expect(close).to_contain_text("还有 1 件案件的规则提示未处理")
    close.get_by_role("button", name="闭会并生成纪要").click()  # nothing chosen, not ticked: field errors
    expect(page.locator("#close")).to_contain_text("请选择记录人。")
    expect(page.locator("#close")).to_contain_text("请勾选“确认闭会后会议纪要定稿，不能再修改”后再闭会。")

    def close_the_meeting():
        close = page.locator("#close")
        close.get_by_label(field("记录人")).select_option(label=f"{STAFF_NAME}（综治办干事）")
        expect(close.get_by_label(field("审核人"))).to_have_value(re.compile(r"^\d+$"))  # the convener, preselected
        close.get_by_label("确认闭会后会议纪要定稿，不能再修改").check()
        close.get_by_role("button", name="闭会并生成纪要").click()

    close_the_meeting()
    expect(page.locator("#close")).to_contain_text("还有规则提示未处理，不能闭会")
    assert Meeting.objects.get(pk=town_meeting).status == MeetingStatus.OPEN
    flags = agenda_item(page, number).locator("li.flag:not(.overridden)")
    expect(flags).to_have_count(1)
    expect(flags).to_contain_text("报县社会治理协调中心")
    shot(page, "town-flag")
    flags.locator("summary", has_text="不予处理并说明理由").click()
    flags.get_by_label(field("不予处理的理由")).fill("已于本次例会提请县协调中心，待县签收。")
    flags.get_by_role("button", name="保存理由").click()
    expect_message(page, f"已记录 {number} 的不予处理理由。")
    expect(agenda_item(page, number).locator("li.flag.overridden")).to_contain_text("已说明不予处理")
    expect(page.locator("#close")).to_contain_text("闭会后生成会议纪要")

    close_the_meeting()
    expect_message(page, "已闭会，会议纪要已生成。")
    expect(page.locator(".status.meeting-closed")).to_have_text("已闭会")
    minutes = page.locator("article.minutes")
    expect(minutes).to_contain_text(number)
    expect(minutes.locator("table.four")).to_contain_text(STAFF_NAME)
    shot(page, "town-minutes")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="导出 Word").click()
    download = download_info.value
    assert download.suggested_filename.endswith("平安周例会纪要.docx"), download.suggested_filename
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = docx_text(saved)
    assert number in text and TITLE in text
    assert "决定：提请上一级" in text
    assert "办理：签收、落实四定、发出预警、提请上级" in text
    assert STAFF_NAME in text and TOWN_UNIT in text
    assert "橙色预警；情形：集体访、越级访" in text
    assert "已于本次例会提请县协调中心，待县签收。" in text
    log_out(page)

    # 3. County: the centre signs for it in its 待签收 inbox and transfers it to the land-dispute committee ---------
    log_in(page, base, "county")
    page.locator("nav.nav").get_by_role("link", name="待签收").click()
    expect(page).to_have_url(base + "/cases/inbox/")
    row = page.locator("li.case-row").filter(has_text=number)
    expect(row).to_contain_text("来自 嘉祥街道")
    expect(row).to_contain_text("需县自然资源和规划局、县涉土调委会参与。")
    shot(page, "county-inbox")
    row.get_by_role("link", name="签收", exact=True).click()
    expect(page.get_by_role("heading", name="签收", exact=True)).to_be_visible()
    page.get_by_label(field("签收意见")).fill("县协调中心签收，移交县涉土调委会。")
    page.get_by_role("button", name="签收", exact=True).click()
    expect_message(page, "已签收，案件由本级承办。")
    expect_case(page, number, "调处中")

    act(page, number, "移交责任单位")
    page.get_by_label(field("接收单位")).select_option(label=COUNTY_UNIT)
    page.get_by_label(field("移交事由")).fill("排水沟占用宅基地，属涉土纠纷，请调委会组织调解。")
    shot(page, "county-transfer")
    page.get_by_role("button", name="移交责任单位").click()
    expect_message(page, "已移交责任单位。")
    expect_case(page, number, "调处中")
    expect(page.locator(".tag", has_text="县级 · ")).to_have_text(f"县级 · {COUNTY_UNIT}")
    log_out(page)

    # 4. Unit: signs for the transfer in its 新移交 inbox, 三包 包调处, then 办理反馈 — it does not resolve alone ---------
    log_in(page, base, "unit")
    page.locator("nav.nav").get_by_role("link", name="新移交").click()
    expect(page).to_have_url(base + "/cases/inbox/")
    row = page.locator("li.case-row").filter(has_text=number)
    expect(row).to_contain_text("排水沟占用宅基地")
    shot(page, "unit-inbox")
    row.get_by_role("link", name="签收", exact=True).click()
    expect(page.get_by_role("heading", name="签收移交", exact=True)).to_be_visible()
    page.get_by_role("button", name="签收移交").click()
    expect_message(page, "已签收，由本单位办理。")
    expect_case(page, number, "调处中")
    act(page, number, "三包记录")
    page.get_by_label(field("类别")).select_option(label="包调处")
    expect(page.get_by_label(field("日期"))).to_have_value(today.isoformat())
    page.get_by_label(field("内容")).fill("组织六户与赵玉兰现场协商，约定沿路边新挖排水沟，费用六户分担。")
    page.get_by_role("button", name="三包记录").click()
    expect_message(page, "已记录三包情况。")
    act(page, number, "办理反馈")
    page.get_by_label(field("办理结果")).select_option(label="调解成功")
    page.get_by_label(field("办理情况")).fill("签订人民调解协议书，新沟由六户出资开挖。")
    page.get_by_role("button", name="办理反馈").click()
    expect_message(page, "已提交办理反馈，等待移交方审核。")
    buttons = page.get_by_role("navigation", name="办理操作")
    expect(buttons.get_by_role("link", name="化解", exact=True)).to_have_count(0)
    expect(buttons.get_by_role("link", name="结案")).to_have_count(0)
    shot(page, "unit-case")
    log_out(page)

    # 5. County reviews the feedback (resolved), visits, lifts the warning and closes ------------------------------
    log_in(page, base, "county")
    page.goto(case_url)
    expect_case(page, number, "调处中")
    act(page, number, "审核办理反馈")
    page.get_by_label("通过（按反馈结果化解）").check()
    page.get_by_label(field("审核说明")).fill("协议内容完整，同意。")
    page.get_by_role("button", name="审核办理反馈").click()
    expect_message(page, "已审核办理反馈。")
    expect_case(page, number, "已化解")
    act(page, number, "回访")
    page.get_by_label(field("协议履行情况")).select_option(label="协议已履行")
    page.get_by_label(field("满意度")).select_option(label="满意")
    page.get_by_label(field("回访情况")).fill("新沟已通水，双方无争执。")
    shot(page, "county-visit")
    page.get_by_role("button", name="回访").click()
    expect_message(page, "已记录回访。")
    act(page, number, "解除预警")  # a case cannot be closed while its warning is still open
    page.get_by_label(field("解除理由")).fill("协议已履行，集体访风险消除。")
    page.get_by_role("button", name="解除预警").click()
    expect_message(page, "已解除预警。")
    act(page, number, "结案")
    page.get_by_label(field("结案说明")).fill("协议已履行，回访满意。")
    page.get_by_role("button", name="确认结案").click()
    expect_message(page, "已结案。")

    # The case page: 已结案, every hop on the timeline, the registration number throughout.
    expect_case(page, number, "已结案")
    timeline = page.locator("ol.timeline > li")
    kinds = [EventKind(k).label for k in TIMELINE]
    expect(timeline.locator("strong")).to_have_text(kinds)

    def hops(kind):
        return timeline.filter(has=page.locator("strong").get_by_text(EventKind(kind).label, exact=True))

    expect(hops(EventKind.REFERRED).nth(0)).to_contain_text(re.compile(r"刘山村(委会)? → 嘉祥街道"))
    expect(hops(EventKind.REFERRED).nth(1)).to_contain_text("嘉祥街道 → 嘉祥县")
    expect(hops(EventKind.ACCEPTED).nth(0)).to_contain_text("层级：村 → 镇街")
    expect(hops(EventKind.ACCEPTED).nth(0)).to_contain_text("→ 嘉祥街道")
    expect(hops(EventKind.ACCEPTED).nth(1)).to_contain_text("层级：镇街 → 县")
    expect(hops(EventKind.ACCEPTED).nth(1)).to_contain_text("→ 嘉祥县")
    expect(hops(EventKind.ASSIGNED)).to_contain_text(f"责任单位：{TOWN_UNIT}；责任人：{STAFF_NAME}")
    expect(hops(EventKind.WARNING_RAISED)).to_contain_text("情形：集体访、越级访")
    expect(hops(EventKind.TRANSFERRED)).to_contain_text(COUNTY_UNIT)
    expect(hops(EventKind.FEEDBACK_ACCEPTED)).to_contain_text("调解成功")
    shot(page, "closed-case")

    case = Dispute.objects.get(pk=case_pk)
    assert (case.number, case.status, case.tier, case.holder_unit.name) == (number, Status.CLOSED, Tier.COUNTY,
                                                                           COUNTY_UNIT)
    assert list(case.events.values_list("kind", flat=True)) == TIMELINE
