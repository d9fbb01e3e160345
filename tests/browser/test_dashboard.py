"""Acceptance (issue 10): at 1366 px and at 375 px a county user opens 统计, drills into one town, the charts render
with no console errors, a number's link opens the ledger with the same count, and the ledger downloads as Excel
with exactly that many rows. Screenshots in test-artifacts/test_county_dashboard_*.png."""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from cases.models import Status
from tests.browser.test_full_path import log_in
from tests.conftest import VILLAGE_A, VILLAGE_B, VILLAGE_C

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def make_user(reference_data, make_user):
    return make_user


@pytest.fixture
def no_login_walls(settings):
    settings.REQUIRE_2FA = False


@pytest.mark.parametrize("width", [1366, 375])
def test_county_dashboard_drill_down_to_ledger_and_excel(
        live_server, new_context, shot, no_login_walls, secretary_a, secretary_b, secretary_c, county_user,
        make_case, width, tmp_path):
    for i, (actor, village, status) in enumerate([
        (secretary_a, VILLAGE_A, Status.RESOLVED), (secretary_a, VILLAGE_A, Status.IN_PROGRESS),
        (secretary_a, VILLAGE_A, Status.LOGGED), (secretary_b, VILLAGE_B, Status.RESOLVED),
        (secretary_b, VILLAGE_B, Status.CLOSED), (secretary_c, VILLAGE_C, Status.RESOLVED),
        (secretary_c, VILLAGE_C, Status.LOGGED),
    ]):
        make_case(actor, village, status=status, title=f"统计浏览器样例{i}")
    page = new_context(viewport={"width": width, "height": 900}, accept_downloads=True).new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    base = live_server.url
    log_in(page, base, county_user.username)

    page.get_by_role("link", name="统计", exact=True).first.click()
    expect(page.get_by_role("heading", name=re.compile("矛盾纠纷统计 · 嘉祥县"))).to_be_visible()
    expect(page.locator("[data-rendered]")).to_have_count(4)  # trend, towns, category, source
    shot(page, f"{width}-county")

    page.locator(".rank-table").get_by_role("link", name="嘉祥街道").click()
    expect(page.get_by_role("heading", name=re.compile("矛盾纠纷统计 · 嘉祥街道"))).to_be_visible()
    expect(page.get_by_text("按村/社区排名（按化解率）")).to_be_visible()
    expect(page.locator("[data-rendered]")).to_have_count(4)
    shot(page, f"{width}-town")

    card = page.locator(".dash-card", has_text="收集研判数").locator("a.value")
    shown = int(card.inner_text())
    assert shown == 5  # villages A and B of 嘉祥街道
    card.click()
    expect(page.get_by_role("heading", name="纠纷台账")).to_be_visible()
    expect(page.get_by_text(f"共 {shown} 条")).to_be_visible()
    shot(page, f"{width}-ledger")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出Excel").click()
    path = tmp_path / "ledger.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    assert rows[0][0] == "案件编号" and len(rows) - 1 == shown
    assert not errors, errors
