"""月报/季报 (/dashboard/report.docx, /dashboard/report.xlsx): the title derived from the period, the generated summary
with the hand-computed figures, the tables, 典型案例, no party's name / ID number / phone, logged, outsiders 404."""

import datetime
import io
import re
import zipfile

import docx
import openpyxl
import pytest
import time_machine
from django.urls import reverse

from audit.models import Action, AuditEntry
from cases import services
from cases.models import Party
from org.models import Division
from stats.periods import Period
from stats.reports import kind_of

from .conftest import NOW, TOWN_X, VILLAGE_A

NOV_QUERY = "?period=custom&from=2026-11-01&to=2026-11-30"
TITLE = "嘉祥街道矛盾纠纷排查化解工作月报（2026年11月）"
SENTENCE = ("本月共收集研判矛盾纠纷9起，化解4起，化解率44.4%，环比增加8起，同比增加8起；在办3起，其中逾期1起；"
            "反复2起。")  # October 1 case, November 2025 1 case (tests/stats/conftest.py)
ID_NUMBER = "370829196001010017"
SECRETS = ("张三", "李四", "13812345678", ID_NUMBER, "138****5678", "1380017")


@pytest.fixture
def at_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def typical(november, town_x, at_noon):
    """c1 listed as 典型案例 by the town, and its applicant given an ID number (which must never be printed)."""
    party = Party.objects.filter(dispute=november["c1"], name="张三").first()
    party.id_number = ID_NUMBER
    party.save()
    return services.mark_typical(actor=town_x, dispute=november["c1"], title="宅基地边界纠纷就地化解案",
                                 summary="张某与李某因宅基地边界发生争执，村调委会现场丈量后促成双方达成协议。",
                                 self_gov_tags=["self"], method_tags=["on_site"])


def fetch(client, name, query=NOV_QUERY):
    response = client.get(reverse(name) + query)
    assert response.status_code == 200, response.status_code
    assert "attachment" in response["Content-Disposition"]
    return response.content


def docx_text(content) -> tuple[str, list[list[list[str]]]]:
    document = docx.Document(io.BytesIO(content))
    tables = [[[cell.text for cell in row.cells] for row in t.rows] for t in document.tables]
    return "\n".join(p.text.replace("\n", "") for p in document.paragraphs), tables  # (the title's line break)


def xlsx_cells(content) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [[c for c in row] for row in sheet.iter_rows(values_only=True)]


def all_parts(content) -> str:
    """Every XML part of the file (text, tables, properties, shared strings), to look for what must not be there."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return "".join(z.read(name).decode("utf-8", "replace") for name in z.namelist())


@pytest.mark.django_db
def test_docx_has_the_title_the_summary_sentence_and_the_tables(november, client, town_x, at_noon):
    client.force_login(town_x)
    text, tables = docx_text(fetch(client, "stats:report_docx"))
    assert TITLE in text
    assert SENTENCE in text
    assert "化解率环比下降55.6个百分点，同比下降55.6个百分点" in text  # 44.4 % against 100.0 % both times
    assert "按时办结率83.3%" in text and "化解（流量口径" in text and "5起" in text
    divisions = next(t for t in tables if t[0][0] == "区划")
    assert divisions[0] == ["区划", "收集研判数", "化解数", "化解率", "部分达成", "调解不成", "在办", "逾期", "反复"]
    village_a = Division.objects.get(code=VILLAGE_A).short_name
    assert [village_a, "9", "4", "44.4%", "1", "1", "3", "1", "2"] in divisions
    assert divisions[-1] == ["合计", "9", "4", "44.4%", "1", "1", "3", "1", "2"]
    assert len(divisions) == 2 + Division.objects.filter(parent_id=TOWN_X).count()
    assert any(t[0][0] == "类别" and t[-1][:3] == ["合计", "9", "4"] for t in tables)
    assert any(t[0] == ["分类", "项目", "纠纷数"] for t in tables)
    assert any(t[0][0] == "周" for t in tables)  # meeting compliance per week
    assert "本期无典型案例" in text


@pytest.mark.django_db
def test_xlsx_has_the_same_title_summary_and_division_table(november, client, town_x, at_noon):
    client.force_login(town_x)
    cells = xlsx_cells(fetch(client, "stats:report_xlsx"))
    texts = [str(c) for row in cells for c in row if c is not None]
    assert TITLE in texts
    assert any(SENTENCE in t for t in texts)
    header = next(i for i, row in enumerate(cells) if row[0] == "区划")
    assert list(cells[header]) == ["区划", "收集研判数", "化解数", "化解率", "部分达成", "调解不成", "在办", "逾期", "反复"]
    village_a = Division.objects.get(code=VILLAGE_A).short_name
    rows = cells[header + 1:]
    a = next(r for r in rows if r[0] == village_a)
    assert a[1:3] == [9, 4] and a[3] == pytest.approx(0.444) and a[4:] == [1, 1, 3, 1, 2]
    total = next(r for r in rows if r[0] == "合计")
    assert total[1:3] == [9, 4]


@pytest.mark.django_db
def test_typical_cases_are_printed_anonymised_and_no_party_detail_leaks(typical, client, town_x, county_user,
                                                                       at_noon):
    for user in (town_x, county_user):
        client.force_login(user)
        for name in ("stats:report_docx", "stats:report_xlsx"):
            content = fetch(client, name)
            raw = all_parts(content)
            assert "宅基地边界纠纷就地化解案" in raw and "张某与李某" in raw
            for secret in SECRETS:
                assert secret not in raw, (name, secret)
    text, _ = docx_text(fetch(client, "stats:report_docx"))
    assert "本期无典型案例" not in text
    assert "嘉祥县矛盾纠纷排查化解工作月报（2026年11月）" in text  # the county's own title


@pytest.mark.django_db
def test_an_empty_period_reads_gracefully(client, secretary_a):
    client.force_login(secretary_a)
    text, tables = docx_text(fetch(client, "stats:report_docx", "?from=2026-01-01&to=2026-01-31"))
    assert "本月无登记纠纷，化解率“—”" in text
    assert "本期无典型案例" in text
    divisions = next(t for t in tables if t[0][0] == "区划")
    assert divisions[1][3] == "—" and divisions[-1][0] == "合计"
    cells = xlsx_cells(fetch(client, "stats:report_xlsx", "?from=2026-01-01&to=2026-01-31"))
    header = next(i for i, row in enumerate(cells) if row[0] == "区划")
    assert cells[header + 1][3] == "—"


@pytest.mark.parametrize("start, end, kind, word, span", [
    ((2026, 11, 1), (2026, 11, 30), "月报", "本月", "2026年11月"),
    ((2026, 12, 1), (2026, 12, 15), "月报", "本月", "2026年12月，截至12月15日"),
    ((2026, 10, 1), (2026, 12, 31), "季报", "本季度", "2026年第四季度"),
    ((2026, 1, 1), (2026, 3, 31), "季报", "本季度", "2026年第一季度"),
    ((2026, 11, 3), (2026, 11, 20), "报告", "本期", "2026年11月3日至11月20日"),
    ((2025, 11, 1), (2026, 2, 28), "报告", "本期", "2025年11月1日至2026年2月28日"),
])
def test_the_kind_of_report_follows_the_period(start, end, kind, word, span):
    assert kind_of(Period(datetime.date(*start), datetime.date(*end))) == (kind, word, span)


def test_a_quarter_preset_so_far_is_a_quarterly_report():
    assert kind_of(Period(datetime.date(2026, 10, 1), datetime.date(2026, 10, 20), "quarter"))[0] == "季报"
    assert kind_of(Period(datetime.date(2026, 10, 1), datetime.date(2026, 10, 20), "month"))[0] == "月报"


@pytest.mark.django_db
def test_a_quarterly_report_over_the_fixture(november, client, town_x, at_noon):
    client.force_login(town_x)
    text, _ = docx_text(fetch(client, "stats:report_docx", "?from=2026-10-01&to=2026-12-31"))
    assert "嘉祥街道矛盾纠纷排查化解工作季报（2026年第四季度）" in text
    assert re.search(r"本季度共收集研判矛盾纠纷10起，化解5起，化解率50\.0%", text)  # c10 of October joins


@pytest.mark.django_db
def test_reports_are_logged(november, client, town_x, at_noon):
    client.force_login(town_x)
    fetch(client, "stats:report_docx")
    fetch(client, "stats:report_xlsx")
    entries = AuditEntry.objects.filter(action=Action.EXPORT, user=town_x).order_by("id")
    assert [e.object_label for e in entries] == ["矛盾纠纷排查化解工作月报"] * 2
    assert "docx" in entries[0].detail and "xlsx" in entries[1].detail
    assert all("2026年11月01日至2026年11月30日" in e.detail for e in entries)


@pytest.mark.django_db
def test_bad_parameters(client, town_x, town_y, secretary_a, auditor, sysadmin):
    client.force_login(town_x)
    text, _ = docx_text(fetch(client, "stats:report_docx", "?period=xyz"))
    assert "统计期间无效" in text and "月报" in text
    fetch(client, "stats:report_xlsx", "?from=2026-13-45")
    for name in ("stats:report_docx", "stats:report_xlsx"):
        client.force_login(town_y)
        assert client.get(reverse(name) + f"?division={TOWN_X}").status_code == 404
        client.force_login(secretary_a)
        assert client.get(reverse(name) + f"?division={TOWN_X}").status_code == 404
        for user in (auditor, sysadmin):
            client.force_login(user)
            assert client.get(reverse(name)).status_code == 403
