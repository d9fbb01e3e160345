"""导出Excel (issue 10 point 4): the ledger's filtered rows as a workbook — the same rows and count as the ledger,
Chinese headers, real dates, ID numbers and phones masked, logged, capped, and a fixed number of queries."""

import datetime
import io
import re
from urllib.parse import quote

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry
from cases.models import Dispute, Party, Status
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_B, VILLAGE_C, party_row

ID_A = "370829198506150038"  # valid GB 11643 numbers, as the authz matrix uses
ID_B = "11010519491231002X"
MOBILE = "13812345678"
LANDLINE = "0537-6812345"
FULL_NUMBERS = re.compile(r"\d{17}[\dXx]|1\d{10}|\d{3,4}-\d{7,8}")  # a full ID number, mobile or landline
EXPORT = reverse("cases:export")
LEDGER = reverse("cases:list")


def full_parties(tag=""):
    return [party_row(f"张{tag}", "applicant", id_number=ID_A, phone=MOBILE),
            party_row(f"李{tag}", "respondent", sex="F", id_number=ID_B, phone=LANDLINE)]


def workbook(response):
    assert response.status_code == 200, response
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def sheet_rows(response):
    rows = list(workbook(response).active.iter_rows(values_only=True))
    return rows[0], rows[1:]


def ledger_count(client, query=""):
    body = client.get(LEDGER + query).content.decode()
    return int(re.search(r"共 (\d+)\+? 条", body).group(1))


def ledger_numbers(client, query=""):
    body = client.get(LEDGER + query).content.decode()
    return re.findall(r'<span class="number">([^<]+)</span>', body)


@pytest.fixture
def town_cases(make_case, secretary_a, secretary_b, secretary_c):
    """Town X's ledger (villages A and B) with a mix of states, categories and dates; and a case of town Y."""
    now = timezone.now()
    cases = {
        "a_open": make_case(secretary_a, VILLAGE_A, category="land", parties=full_parties("甲")),
        "a_progress": make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS, category="housing"),
        "a_done": make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED, category="land"),
        "b_open": make_case(secretary_b, VILLAGE_B, category="neighbour", parties=full_parties("乙")),
        "b_rejected": make_case(secretary_b, VILLAGE_B, status=Status.REJECTED, category="land"),
        "c_open": make_case(secretary_c, VILLAGE_C, category="land", title="东纸坊村的纠纷"),
    }
    # Registered on different days (auto_now_add overwritten), one case overdue.
    for days, key in enumerate(["a_open", "a_progress", "a_done", "b_open", "b_rejected"]):
        Dispute.objects.filter(pk=cases[key].pk).update(created_at=now - datetime.timedelta(days=10 * days))
    Dispute.objects.filter(pk=cases["a_progress"].pk).update(deadline=now - datetime.timedelta(days=2))
    Dispute.objects.filter(pk=cases["b_open"].pk).update(deadline=now + datetime.timedelta(days=20))
    return {k: Dispute.objects.get(pk=v.pk) for k, v in cases.items()}


def local_day(days_ago):
    return (timezone.localdate() - datetime.timedelta(days=days_ago)).isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "expected"), [
    ("", 5),
    ("?status=open", 3),  # 已登记, 调处中 (a_open, a_progress, b_open)
    ("?category=land", 3),  # a_open, a_done, b_rejected (c_open is another town's)
    (f"?division={VILLAGE_A}", 3),
    (f"?division={VILLAGE_B}&status=open", 1),
    (f"?logged_from={local_day(25)}&logged_to={local_day(5)}", 2),  # a_done (20 days), a_progress (10 days)
    ("?clock=overdue", 1),
    ("?status=open&order=number", 3),
])
def test_the_export_has_the_ledgers_rows_in_the_ledgers_order(client, town_x, town_cases, query, expected):
    client.force_login(town_x)
    count = ledger_count(client, query)
    assert count == expected
    headers, rows = sheet_rows(client.get(EXPORT + query))
    assert len(rows) == count
    assert [r[0] for r in rows] == ledger_numbers(client, query)  # the same cases, in the ledger's order
    assert town_cases["c_open"].number not in {r[0] for r in rows}


@pytest.mark.django_db
def test_headers_are_chinese_and_start_with_the_case_number(client, town_x, town_cases):
    client.force_login(town_x)
    headers, rows = sheet_rows(client.get(EXPORT + "?status=open"))
    assert headers[0] == "案件编号"
    for name in ("纠纷标题", "类别", "来源", "风险等级", "所在镇街", "所在村/社区", "状态", "当前层级", "承办单位",
                 "登记时间", "发生日期", "办结时限", "化解结果", "化解时间", "反复次数", "当事人", "身份证号（脱敏）",
                 "联系电话（脱敏）"):
        assert name in headers
    row = dict(zip(headers, next(r for r in rows if r[0] == town_cases["b_open"].number), strict=True))
    assert row["所在镇街"] == "嘉祥街道" and row["所在村/社区"] == "唐庄村"
    assert row["类别"] == "邻里" and row["状态"] == "已登记" and row["当前层级"] == "村"
    assert row["当事人"] == "张乙（申请人）；李乙（被申请人）"
    assert row["反复次数"] == 0


@pytest.mark.django_db
def test_dates_are_real_excel_dates_in_local_time(client, town_x, town_cases):
    client.force_login(town_x)
    headers, rows = sheet_rows(client.get(EXPORT + "?status=done"))
    row = dict(zip(headers, rows[0], strict=True))
    case = town_cases["a_done"]
    for name, value in (("登记时间", case.created_at), ("化解时间", case.resolved_at)):
        assert isinstance(row[name], datetime.datetime), name
        local = timezone.localtime(value).replace(tzinfo=None)
        assert abs(row[name] - local) < datetime.timedelta(seconds=1), name  # local time, not UTC
    assert isinstance(row["发生日期"], datetime.datetime)  # openpyxl reads an Excel date as a datetime
    assert row["发生日期"].date() == case.arose_on
    sheet = workbook(client.get(EXPORT + "?status=done")).active
    assert "yy" in sheet.cell(row=2, column=headers.index("登记时间") + 1).number_format


@pytest.mark.django_db
def test_no_full_id_number_or_phone_anywhere_in_the_workbook(client, town_x, town_cases):
    client.force_login(town_x)
    book = workbook(client.get(EXPORT))
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert cells
    for cell in cells:
        assert not FULL_NUMBERS.search(cell), cell
        for number in (ID_A, ID_B, MOBILE, LANDLINE, "6812345"):
            assert number not in cell
    headers = next(book.active.iter_rows(values_only=True))
    row = dict(zip(headers, next(r for r in book.active.iter_rows(values_only=True)
                                 if r[0] == town_cases["a_open"].number), strict=True))
    assert row["身份证号（脱敏）"] == "3708**********0038；1101**********002X"  # core.validators' masks
    assert row["联系电话（脱敏）"] == "138****5678；0537-***2345"


@pytest.mark.django_db
def test_a_village_secretary_exports_only_their_village(client, secretary_a, town_cases):
    client.force_login(secretary_a)
    _, rows = sheet_rows(client.get(EXPORT))
    numbers = {r[0] for r in rows}
    assert numbers == {town_cases[k].number for k in ("a_open", "a_progress", "a_done")}


@pytest.mark.django_db
def test_a_formula_typed_as_a_title_stays_text(client, make_case, secretary_a):
    make_case(secretary_a, VILLAGE_A, title='=HYPERLINK("http://evil.example","点我")')
    client.force_login(secretary_a)
    sheet = workbook(client.get(EXPORT)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


@pytest.mark.django_db
def test_the_file_is_an_attachment_with_a_chinese_dated_name(client, secretary_a, town_cases):
    client.force_login(secretary_a)
    response = client.get(EXPORT)
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"矛盾纠纷台账-{timezone.localdate():%Y%m%d}.xlsx"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    workbook(response)


@pytest.mark.django_db
def test_every_export_is_audited_with_its_conditions_and_row_count(client, town_x, town_cases):
    client.force_login(town_x)
    workbook(client.get(EXPORT + "?status=open&category=land"))
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert entry.object_label == "矛盾纠纷台账" and entry.username == "town_x"
    assert "状态=全部未办结" in entry.detail and "类别=山林土地" in entry.detail
    assert "共 1 条" in entry.detail
    assert ID_A not in entry.detail


@pytest.mark.django_db
def test_a_number_typed_as_the_keyword_is_not_written_into_the_audit_log(client, town_x, town_cases):
    client.force_login(town_x)
    _, rows = sheet_rows(client.get(EXPORT + f"?q={ID_A}"))
    assert rows == []  # the ledger's keyword never matches ID numbers (cases.filters)
    entry = AuditEntry.objects.get(action=Action.EXPORT)
    assert ID_A not in entry.detail and "已略去" in entry.detail and "共 0 条" in entry.detail


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?status=nonsense", "?logged_from=2026-13-45", f"?division={VILLAGE_C}"])
def test_invalid_filter_values_go_back_to_the_ledger_with_a_message(client, town_x, town_cases, query):
    client.force_login(town_x)
    response = client.get(EXPORT + query)
    assert response.status_code == 302
    assert response["Location"].startswith(LEDGER + "?")
    page = client.get(response["Location"]).content.decode()
    assert "筛选条件有误，未能导出" in page
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.django_db
def test_more_rows_than_the_cap_asks_to_narrow_the_filter(client, town_x, town_cases, settings):
    settings.LEDGER_EXPORT_MAX_ROWS = 4
    client.force_login(town_x)
    response = client.get(EXPORT)  # 5 rows
    assert response.status_code == 302
    assert "请缩小筛选范围" in client.get(response["Location"]).content.decode()
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    _, rows = sheet_rows(client.get(EXPORT + "?status=open"))  # 3 rows: within the cap
    assert len(rows) == 3


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["sysadmin", "auditor", "security_admin"])
def test_roles_without_case_content_get_403_and_no_link(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(EXPORT).status_code == 403
    assert "导出Excel" not in client.get(LEDGER).content.decode()


@pytest.mark.django_db
def test_the_ledger_links_to_the_export_with_its_own_filter(client, town_x, town_cases):
    client.force_login(town_x)
    body = client.get(LEDGER + "?status=open&category=land&page=2").content.decode()
    link = re.search(r'<a href="([^"]+)">导出Excel</a>', body).group(1).replace("&amp;", "&")
    assert link == EXPORT + "?status=open&category=land"  # the ledger's filter, without its page
    _, rows = sheet_rows(client.get(link))
    assert [r[0] for r in rows] == [town_cases["a_open"].number]


@pytest.mark.django_db
def test_post_is_not_allowed_and_anonymous_users_sign_in(client, secretary_a):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(secretary_a)
    assert client.post(EXPORT).status_code == 405


def clone_cases(case, n, start=0):
    """n cheap copies of `case`, each with two parties with full numbers (only rows matter here)."""
    rows = []
    for i in range(start, start + n):
        clone = Dispute.objects.get(pk=case.pk)
        clone.pk = None
        clone.number = f"{case.number}-{i}"
        rows.append(clone)
    created = Dispute.objects.bulk_create(rows)
    Party.objects.bulk_create([Party(dispute=d, **p) for d in created for p in full_parties(str(d.pk))])


def export_queries(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(EXPORT)
        rows = len(list(workbook(response).active.iter_rows())) - 1
    return len(ctx.captured_queries), rows


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(client, make_case, make_user, secretary_a):
    from org.models import Role

    client.force_login(make_user(Role.TOWN_LEADER, TOWN_X))
    first = make_case(secretary_a, VILLAGE_A, parties=full_parties())
    clone_cases(first, 9)
    small, rows = export_queries(client)
    assert rows == 10
    clone_cases(first, 90, start=9)
    large, rows = export_queries(client)
    assert rows == 100
    assert small == large
