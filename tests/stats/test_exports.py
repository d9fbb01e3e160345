"""/dashboard/export.xlsx (统计汇总表): the dashboard's figures as a workbook — one row per child division and a 合计
equal to the dashboard's summary, 按类别 and 按周 sheets, the same parameters and fallbacks, logged, outsiders 404."""

import datetime
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from audit.models import Action, AuditEntry
from org.models import Division, Level
from stats import dashboard as board
from stats.exports import HEADER_ROW
from stats.periods import Period

from .conftest import NOW, TOWN_X, VILLAGE_A

NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
NOV_QUERY = "?period=custom&from=2026-11-01&to=2026-11-30"
COLUMNS = ["区划", "收集研判数", "化解数", "化解率", "部分达成", "调解不成", "在办", "逾期", "反复"]
KEYS = ["collected", "resolved", "resolution_rate", "partial", "failed", "in_progress", "overdue", "relapsed"]
HEADER = HEADER_ROW + 1  # openpyxl counts rows from 1


@pytest.fixture
def at_noon():
    with time_machine.travel(NOW, tick=False):
        yield


def workbook(client, query=NOV_QUERY):
    response = client.get(reverse("stats:export") + query)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    assert "attachment" in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def table(sheet) -> tuple[list, list[list]]:
    """(header, data rows) of a sheet laid out as stats.exports documents: the header on HEADER_ROW."""
    rows = [list(r) for r in sheet.iter_rows(min_row=HEADER, values_only=True)]
    return rows[0], [r for r in rows[1:] if r[0] is not None]


def as_figures(row) -> list:
    """A dashboard row in the workbook's terms: rates as fractions, "—" for an empty rate."""
    return [("—" if row[k] is None else float(row[k]) / 100) if k == "resolution_rate" else row[k] for k in KEYS]


def assert_cells(cells, row):
    expected = as_figures(row)
    assert cells[:2] + cells[3:] == expected[:2] + expected[3:]
    if isinstance(expected[2], float):
        assert cells[2] == pytest.approx(expected[2])
    else:
        assert cells[2] == expected[2]


@pytest.mark.django_db
def test_county_sheet_has_one_row_per_town_and_a_total_equal_to_the_summary(november, client, county_user, at_noon):
    client.force_login(county_user)
    book = workbook(client)
    assert book.sheetnames == ["汇总", "按类别", "按周"]
    sheet = book["汇总"]
    header, rows = table(sheet)
    assert header == COLUMNS
    dash = board.build(county_user, NOV, None)
    towns = {d.short_name for d in Division.objects.filter(parent_id=dash.scope.code, level=Level.TOWNSHIP)}
    assert [r[0] for r in rows[:-1]] == [Division(name=r["label"]).short_name for r in dash.by_division]
    assert set(r[0] for r in rows[:-1]) == towns and len(towns) > 10
    total = rows[-1]
    assert total[0] == "合计"
    assert total[1:3] == [10, 5]  # hand-computed: town X's nine and village C's one
    assert_cells(total[1:], dash.summary)
    for cells in rows[:-1]:
        assert_cells(cells[1:], next(r for r in dash.by_division if Division(name=r["label"]).short_name == cells[0]))
    assert sheet.freeze_panes == f"B{HEADER + 1}"
    assert "2026年11月01日至2026年11月30日" in sheet.cell(HEADER_ROW, 1).value  # the note above the header
    assert sheet.column_dimensions["A"].width > 15


@pytest.mark.django_db
def test_town_sheet_lists_its_villages_with_the_hand_computed_figures(november, client, town_x, at_noon):
    client.force_login(town_x)
    sheet = workbook(client)["汇总"]
    header, rows = table(sheet)
    assert header == COLUMNS
    villages = [d.short_name for d in Division.objects.filter(parent_id=TOWN_X, level=Level.VILLAGE)]
    assert sorted(r[0] for r in rows[:-1]) == sorted(villages)  # short names: 呈祥社区, 刘山村 …
    village_a = Division.objects.get(code=VILLAGE_A).short_name
    a = next(r for r in rows if r[0] == village_a)
    # 收集研判 9, 化解 4, 化解率 44.4 %, 部分达成 1, 调解不成 1, 在办 3, 逾期 1, 反复 2 (tests/stats/conftest.py)
    assert a[1:3] == [9, 4] and a[3] == pytest.approx(0.444) and a[4:] == [1, 1, 3, 1, 2]
    assert rows[-1][0] == "合计" and rows[-1][1:3] == [9, 4] and rows[-1][4:] == [1, 1, 3, 1, 2]
    c = sheet.cell(HEADER + 1 + [r[0] for r in rows].index(village_a), 4)
    assert "%" in c.number_format  # a number shown as a percentage
    others = [r for r in rows[:-1] if r[0] != village_a]
    assert others and all(r[1] == 0 and r[3] == "—" for r in others)  # an empty cohort: "—", not 0 %


@pytest.mark.django_db
def test_village_sheet_is_the_village_itself(november, client, secretary_a, at_noon):
    client.force_login(secretary_a)
    header, rows = table(workbook(client)["汇总"])
    assert header == COLUMNS
    assert [r[0] for r in rows] == [Division.objects.get(code=VILLAGE_A).short_name, "合计"]
    assert rows[0][1:] == rows[1][1:] and rows[1][1:3] == [9, 4]


@pytest.mark.django_db
def test_category_and_week_sheets(november, client, town_x, at_noon):
    client.force_login(town_x)
    book = workbook(client)
    dash = board.build(town_x, NOV, None)
    header, rows = table(book["按类别"])
    assert header == ["类别", *COLUMNS[1:]]
    assert [r[0] for r in rows] == [str(r["label"]) for r in dash.by_category] + ["合计"]
    assert sum(r[1] for r in rows[:-1]) == rows[-1][1] == 9
    header, rows = table(book["按周"])
    assert header == ["周", "收集研判数", "化解数", "化解率"]
    assert len(rows) == 12
    assert [r[1] for r in rows] == [w["collected"] for w in dash.trend]
    assert sum(r[1] for r in rows) >= 9  # the last weeks hold November's cases
    assert rows[-1][0].startswith("2026年第49周")  # the week of 30 November


@pytest.mark.django_db
def test_the_export_is_logged(november, client, town_x, at_noon):
    client.force_login(town_x)
    workbook(client)
    entry = AuditEntry.objects.get(action=Action.EXPORT, user=town_x)
    assert entry.object_label == "统计汇总表"
    assert "2026年11月01日至2026年11月30日" in entry.detail and "嘉祥街道" in entry.detail


@pytest.mark.django_db
def test_the_dashboard_offers_the_export_with_its_parameters(client, town_x):
    client.force_login(town_x)
    body = client.get(reverse("stats:dashboard") + NOV_QUERY).content.decode()
    assert 'href="/dashboard/export.xlsx?period=custom&amp;from=2026-11-01&amp;to=2026-11-30"' in body
    assert reverse("stats:report_docx") in body and reverse("stats:report_xlsx") in body


@pytest.mark.django_db
def test_county_drills_into_a_town(november, client, county_user, at_noon):
    client.force_login(county_user)
    header, rows = table(workbook(client, NOV_QUERY + f"&division={TOWN_X}")["汇总"])
    villages = {d.short_name for d in Division.objects.filter(parent_id=TOWN_X, level=Level.VILLAGE)}
    assert set(r[0] for r in rows[:-1]) == villages and rows[-1][1] == 9


@pytest.mark.django_db
@pytest.mark.parametrize("query, note", [
    ("?period=xyz", "统计期间无效"), ("?from=2026-13-45", "开始日期格式不正确"), ("?from=2026-11-10&to=2026-11-01", "结束日期"),
])
def test_bad_periods_fall_back_to_this_month_with_the_reason_in_the_file(client, town_x, query, note):
    client.force_login(town_x)
    sheet = workbook(client, query)["汇总"]
    assert note in sheet.cell(HEADER_ROW, 1).value
    assert table(sheet)[0] == COLUMNS


@pytest.mark.django_db
def test_outsiders_get_404_and_roles_without_case_content_403(client, town_y, secretary_a, auditor, sysadmin):
    client.force_login(town_y)
    assert client.get(reverse("stats:export") + f"?division={TOWN_X}").status_code == 404
    assert client.get(reverse("stats:export") + "?division=abc").status_code == 404
    client.force_login(secretary_a)
    assert client.get(reverse("stats:export") + f"?division={TOWN_X}").status_code == 404
    for user in (auditor, sysadmin):
        client.force_login(user)
        assert client.get(reverse("stats:export")).status_code == 403
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
