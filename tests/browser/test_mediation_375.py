"""Acceptance (issue 12): the mediation file on a 375 px phone.

A village mediator (网格员/调解员 of 刘山村, on the village's 调委会) names himself lead mediator, records two sessions,
tries a written agreement without terms (refused at the field, error summary on top), records it properly, resolves
the case, opens the 人民调解协议书 print view (parties masked, terms, mediators, committee), and a week later — the
clock moved with time-machine and the sweep run as cron would — finds the 7-day 回访 in his 待办. Screenshots of the
file page, the refused form and the print view at 375 and 1366 px go to /work/shots/mediation/ when that folder
exists (test-artifacts/ otherwise).
"""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Mediator, Status
from cases.services.supervision import sweep
from org.models import Division, Person, Role
from org.people import person_for
from tests.browser.test_full_path import expect_message, field, log_in
from tests.conftest import VILLAGE_A, party_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/shots/mediation")
WIDE = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
ID_NUMBER = "370829198506150038"
TERMS = "李四于本月底前自行拆除越界围墙半米，张三不再追究。"


@pytest.fixture
def make_user(reference_data, make_user):
    """Users need the divisions, which a transactional flush removes: restore them first (see conftest)."""
    return make_user


@pytest.fixture
def mediator(make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="med_a")
    person = person_for(user)
    person.name = "王调解"
    person.save(update_fields=["name"])
    Mediator.objects.create(person=person, committee_division=Division.objects.get(code=VILLAGE_A),
                            kind="full_time")
    Mediator.objects.create(person=Person.objects.create(name="刘老伯", post="老党员", division_id=VILLAGE_A),
                            committee_division_id=VILLAGE_A, kind="elder")
    return user


@pytest.fixture
def case(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS, title="张三与李四宅基地围墙纠纷",
                     parties=[party_row("张三", id_number=ID_NUMBER), party_row("李四", "respondent")])


def snap(page, name, *, wide=False):
    folder = SHOTS if SHOTS.is_dir() else Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    if wide:
        page.set_viewport_size(WIDE)
    page.screenshot(path=str(folder / f"{name}-{'1366' if wide else '375'}.png"), full_page=True)
    if wide:
        page.set_viewport_size(PHONE)


def record_session(page, place, record):
    page.get_by_role("link", name="记录调解", exact=True).click()
    form = page.locator("#mediation-form")
    form.get_by_label(field("调解地点")).fill(place)
    form.get_by_label(field("参加人员")).fill("张三、李四、村民代表")
    form.get_by_label(field("调解笔录")).fill(record)
    form.get_by_role("button", name="记录调解").click()
    expect_message(page, "已记录本次调解和笔录。")


def test_a_village_mediator_keeps_the_file_prints_the_agreement_and_gets_the_visit(
    live_server, page, mediator, case, settings
):
    settings.REQUIRE_2FA = False
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, base, "med_a")
    page.goto(f"{base}/cases/{case.number}/")
    page.get_by_role("link", name="人民调解卷宗").click()
    expect(page.get_by_role("heading", name="人民调解卷宗")).to_be_visible()
    expect(page.locator(".empty").first).to_contain_text("尚未确定调解员")

    page.get_by_role("link", name="确定调解员").click()
    page.get_by_label(field("主持调解员")).select_option(label="王调解（专职·嘉祥县刘山村人民调解委员会）")
    page.get_by_label(re.compile("刘老伯")).check()
    page.get_by_role("button", name="确定调解员").click()
    expect_message(page, "已确定调解员。")

    record_session(page, "村委会调解室", "张三称李四围墙越界半米；李四称按老界修建。调解员释明宅基地使用证界址。")
    record_session(page, "争议现场", "现场丈量，确认越界约半米；李四同意拆除。")
    expect(page.get_by_role("heading", name="调解记录（2次）")).to_be_visible()
    snap(page, "file")

    # A written agreement without terms: refused at the field, summary at the top, nothing saved.
    page.get_by_role("link", name="记录调解协议").click()
    form = page.locator("#mediation-form")
    form.get_by_label("书面协议").check()
    form.get_by_label(field("纠纷主要事实、争议事项及各方责任")).fill("双方因宅基地围墙界址发生争执。")
    form.get_by_label(field("履行方式")).fill("李四自行拆除")
    deadline = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
    form.get_by_label(field("履行期限")).fill(deadline)
    form.get_by_label(field("协议金额（元）")).fill("2000")
    form.get_by_role("button", name="确认记录调解协议").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("请填写协议内容。")
    expect(page.locator(".has-error")).to_contain_text("请填写协议内容。")
    snap(page, "agreement-refused")
    snap(page, "agreement-refused", wide=True)
    page.locator("#mediation-form").get_by_label(field("协议内容")).fill(TERMS)
    page.locator("#mediation-form").get_by_role("button", name="确认记录调解协议").click()
    expect_message(page, "已记录调解协议。")

    page.goto(f"{base}/cases/{case.number}/")
    page.get_by_role("link", name="化解", exact=True).click()
    page.get_by_label(field("化解结果")).select_option(label="调解成功")
    page.get_by_role("button", name=re.compile("化解$")).click()
    expect_message(page, "已记录化解结果。")

    page.get_by_role("link", name="人民调解卷宗").click()
    page.get_by_role("link", name="打印协议书").click()
    paper = page.locator(".med-paper")
    expect(paper).to_contain_text("嘉祥县刘山村人民调解委员会")
    expect(paper).to_contain_text(TERMS)
    expect(paper).to_contain_text("王调解、刘老伯")
    expect(paper).to_contain_text("3708**********0038")
    expect(paper).not_to_contain_text(ID_NUMBER)
    expect(page.get_by_role("button", name="打印", exact=True)).to_be_visible()
    snap(page, "agreement-print")
    snap(page, "agreement-print", wide=True)

    page.goto(f"{base}/todo/")
    expect(page.locator("main")).not_to_contain_text("回访到期")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=7), tick=True):
        sweep()  # cron's sweep_deadlines
        log_in(page, base, "med_a")  # the week-old session has expired
        page.goto(f"{base}/todo/")
        item = page.locator(".todo-rows li").filter(has_text="回访到期")
        expect(item).to_contain_text(f"{case.number} 化解后第7天回访")
        item.get_by_role("link").click()
        expect(page).to_have_url(re.compile(rf"/cases/{case.number}/$"))
        page.get_by_role("link", name="人民调解卷宗").click()
        expect(page.locator("#visits-title").locator("..").locator("..")).to_contain_text("已到期")
        snap(page, "file-visit-due")
        snap(page, "file-visit-due", wide=True)
