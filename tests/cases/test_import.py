"""Excel import of 排查 results (issue 10, point 7): template, upload, preview, errors workbook, confirm."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from audit.models import AuditEntry
from cases import imports
from cases.models import CaseEvent, Dispute, Party
from cases.views.imports import PENDING_KEY
from core.validators import id_check_char
from tests.conftest import VILLAGE_A, party_row

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


def id_number(serial: int, *, male=True) -> str:
    """A valid ID number (born 198x-01-01); its 17th digit is odd for a man, even for a woman."""
    first = f"370829198{serial % 10}0101{serial % 100:02d}{1 if male else 2}"
    return first + id_check_char(first)


def bad_checksum(value: str) -> str:
    return value[:17] + ("0" if value[17] != "0" else "1")


def row(n=1, **over):
    values = {
        "纠纷标题": f"第{n}件宅基地纠纷", "类别": "房屋宅基地", "来源": "排查发现（网格员/信息员）", "风险等级": "黄·一般",
        "所在村/社区": "刘山村", "具体地点": "村东", "发生日期": YESTERDAY, "涉及人数": 2,
        "纠纷简要情况": "双方对宅基地界址有争议。",
        "当事人1姓名": f"张{n}", "当事人1性别": "男", "当事人1身份证号": id_number(n), "当事人1电话": "13812345678",
        "当事人2姓名": f"李{n}", "当事人2性别": "女", "当事人2身份证号": "", "当事人2电话": "0537-6812345",
    }
    values.update(over)
    return values


def workbook(rows, heads=None) -> bytes:
    heads = heads or imports.template_headers()
    wb = Workbook()
    ws = wb.active
    ws.title = imports.SHEET
    ws.append(heads)
    for values in rows:
        ws.append([values.get(h, "") for h in heads])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data, name="排查.xlsx"):
    return client.post(reverse("cases:import"), {"file": SimpleUploadedFile(name, data)})


def confirm(client):
    token = client.session[PENDING_KEY]["token"]
    return client.post(reverse("cases:import_confirm"), {"token": token})


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_TMP_DIR = tmp_path / "imports"
    return settings.IMPORT_TMP_DIR


@pytest.fixture
def sec(client, secretary_a):
    client.force_login(secretary_a)
    return client


def test_clean_three_rows_import_three_cases_with_timeline_and_parties(sec, import_dir):
    response = upload(sec, workbook([row(1), row(2), row(3, **{"发生日期": "2026/1/5", "风险等级": "红"})]))
    assert response.status_code == 302
    preview = sec.get(reverse("cases:import_preview"))
    text = preview.content.decode()
    assert "共 3 行" in text and "确认导入 3 件" in text
    assert "第1件宅基地纠纷" in text and "刘山村" in text and "张1" in text
    assert id_number(1) not in text and "3708**********" in text and "138****5678" in text  # masked
    response = confirm(sec)
    assert response.status_code == 302 and response.url == reverse("cases:list")
    cases = list(Dispute.objects.order_by("number"))
    assert [c.title for c in cases] == ["第1件宅基地纠纷", "第2件宅基地纠纷", "第3件宅基地纠纷"]
    third = cases[2]
    assert (third.risk, third.arose_on, third.village_id) == ("red", datetime.date(2026, 1, 5), VILLAGE_A)
    for case in cases:
        assert list(CaseEvent.objects.filter(dispute=case).values_list("kind", flat=True)) == ["logged"]
        assert sorted(case.parties.values_list("role", flat=True)) == ["applicant", "respondent"]
    assert Party.objects.get(name="张1").id_number == id_number(1)
    assert Party.objects.get(name="李1").phone == "0537-6812345"
    audit_row = AuditEntry.objects.get(action="import")
    assert audit_row.object_label == "排查.xlsx（3件）" and cases[0].number in audit_row.detail
    assert list(import_dir.iterdir()) == []  # the temporary file is gone
    assert PENDING_KEY not in sec.session
    assert "已导入3件纠纷" in sec.get(reverse("cases:list")).content.decode()


def test_one_bad_id_checksum_imports_nothing_and_names_row_and_column(sec):
    bad = row(2, **{"当事人1身份证号": bad_checksum(id_number(2))})
    upload(sec, workbook([row(1), bad, row(3)]))
    text = sec.get(reverse("cases:import_preview")).content.decode()
    assert "第3行 · 当事人1身份证号：" in text  # header is row 1: the second data row is Excel row 3
    assert "确认导入" not in text
    response = confirm(sec)
    assert response.status_code == 302 and Dispute.objects.count() == 0
    assert "文件中仍有错误，未导入任何纠纷" in sec.get(reverse("cases:import_preview")).content.decode()


def test_a_failure_while_importing_rolls_back_every_row(sec, monkeypatch):
    from cases.services import disputes

    real, calls = disputes.create_dispute, []

    def failing(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr("cases.services.imports.create_dispute", failing)
    upload(sec, workbook([row(1), row(2)]))
    with pytest.raises(RuntimeError):
        confirm(sec)
    assert Dispute.objects.count() == 0 and not AuditEntry.objects.filter(action="import").exists()


def test_village_outside_the_jurisdiction_is_an_error(sec):
    upload(sec, workbook([row(1, **{"所在村/社区": "唐庄村"})]))  # village B, same town, not the secretary's
    text = sec.get(reverse("cases:import_preview")).content.decode()
    assert "第2行 · 所在村/社区：“唐庄村”不是您辖区内的村/社区" in text
    confirm(sec)
    assert Dispute.objects.count() == 0


def test_town_writer_imports_for_any_village_of_the_town(client, town_x):
    client.force_login(town_x)
    upload(client, workbook([row(1, **{"所在村/社区": "唐庄村"}), row(2)]))
    confirm(client)
    assert sorted(Dispute.objects.values_list("village__name", flat=True)) == ["刘山村委会", "唐庄村委会"]


def test_form_rules_apply_row_by_row(sec):
    future = timezone.localdate() + datetime.timedelta(days=3)
    rows = [row(1, **{"发生日期": future}), row(2, **{"当事人1电话": "12345"}), row(3, **{"类别": "吵架"}),
            row(4, **{"纠纷标题": ""}), row(5, **{"当事人1姓名": "", "当事人1性别": "", "当事人1身份证号": "",
                                             "当事人1电话": "", "当事人2姓名": "", "当事人2性别": "",
                                             "当事人2电话": ""}),
            row(6, **{"当事人2身份证号": id_number(6), "当事人2性别": "男"})]
    upload(sec, workbook(rows))
    text = sec.get(reverse("cases:import_preview")).content.decode()
    for expected in ("第2行 · 发生日期：发生日期不能晚于今天", "第3行 · 当事人1电话：", "第4行 · 类别：",
                     "第5行 · 纠纷标题：", "第6行 · 当事人：请至少填写一名当事人", "第7行 · 当事人：同一身份证号不能重复"):
        assert expected in text


def test_duplicate_id_on_an_open_case_is_a_warning_not_an_error(sec, secretary_a, make_case):
    old = make_case(secretary_a, VILLAGE_A, parties=[party_row(id_number=id_number(1)), party_row("李四")])
    upload(sec, workbook([row(1), row(2, **{"当事人2身份证号": id_number(12, male=False)}),
                          row(3, **{"当事人2身份证号": id_number(12, male=False)})]))
    text = sec.get(reverse("cases:import_preview")).content.decode()
    assert f"该身份证号已在在办案件 {old.number} 中登记为当事人" in text
    assert "与本表第3行当事人的身份证号相同" in text
    assert "确认导入 3 件" in text
    assert AuditEntry.objects.filter(action="pii_view", detail__contains="批量导入预览").exists()
    confirm(sec)
    assert Dispute.objects.count() == 4


def test_a_closed_case_is_no_duplicate(sec, secretary_a, make_case):
    make_case(secretary_a, VILLAGE_A, status="closed", parties=[party_row(id_number=id_number(1))])
    upload(sec, workbook([row(1)]))
    assert "可能重复" not in sec.get(reverse("cases:import_preview")).content.decode()


@pytest.mark.parametrize("name, data, message", [
    ("排查.xls", b"\xd0\xcf\x11\xe0 old excel", "只能导入 .xlsx 格式"),
    ("排查.csv", "标题,类别\n".encode(), "只能导入 .xlsx 格式"),
    ("排查.xlsx", b"not a zip at all", "不是有效的 .xlsx 文件"),
    ("排查.xlsx", b"PK\x03\x04 broken zip", "文件已损坏"),
])
def test_wrong_or_corrupt_file_is_a_field_error(sec, name, data, message):
    response = upload(sec, data, name)
    assert response.status_code == 400 and message in response.content.decode()
    assert PENDING_KEY not in sec.session


def test_missing_headers_are_refused(sec):
    response = upload(sec, workbook([{"纠纷标题": "x"}], heads=["纠纷标题", "备注"]))
    assert response.status_code == 400 and "第1行缺少列：类别、来源" in response.content.decode()


def test_oversize_file_is_refused(sec):
    response = sec.post(reverse("cases:import"), {
        "file": SimpleUploadedFile("大.xlsx", b"PK\x03\x04" + b"0" * (imports.MAX_BYTES + 100_000))})
    assert response.status_code == 413 and "文件不能超过10" in response.content.decode()


def test_oversize_file_is_refused_by_the_form_too(sec, monkeypatch):
    monkeypatch.setattr(imports, "MAX_BYTES", 1000)
    response = upload(sec, workbook([row(1)]))
    assert response.status_code == 400 and "文件不能超过" in response.content.decode()


def test_more_than_5000_rows_refused(sec):
    heads = ["纠纷标题", "类别", "来源", "所在村/社区", "发生日期", "涉及人数", "纠纷简要情况", "当事人1姓名", "当事人1性别"]
    data = workbook([{"纠纷标题": f"t{i}", "当事人1姓名": "张"} for i in range(imports.MAX_ROWS + 1)], heads=heads)
    response = upload(sec, data)
    assert response.status_code == 400 and "数据超过5000行" in response.content.decode()


def test_errors_workbook_has_the_error_column(sec):
    upload(sec, workbook([row(1), row(2, **{"当事人1身份证号": bad_checksum(id_number(2))})]))
    response = sec.get(reverse("cases:import_errors"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content))[imports.SHEET]
    heads = [c.value for c in ws[1]]
    col = heads.index("错误说明") + 1
    assert ws.cell(2, col).value is None
    assert ws.cell(3, col).value.startswith("当事人1身份证号：")
    assert ws.cell(3, 1).value == "第2件宅基地纠纷"  # the user's own data is kept


def test_template_has_headers_example_and_drop_downs(sec):
    response = sec.get(reverse("cases:import_template"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:2] == ["排查登记", "填写说明"] and wb["选项"].sheet_state == "hidden"
    ws = wb["排查登记"]
    heads = [c.value for c in ws[1]]
    assert heads[:9] == ["纠纷标题", "类别", "来源", "风险等级", "所在村/社区", "具体地点", "发生日期", "涉及人数",
                         "纠纷简要情况"]
    assert heads[9:13] == ["当事人1姓名", "当事人1性别", "当事人1身份证号", "当事人1电话"]
    letters = {h: ws.cell(1, i + 1).column_letter for i, h in enumerate(heads)}
    covered = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    for head in ("类别", "来源", "风险等级", "所在村/社区", "当事人1性别", "当事人2性别"):
        assert f"{letters[head]}2" in covered, head
    lists = wb["选项"]
    village_col = covered[f"{letters['所在村/社区']}2"].split("!")[1].split(":")[0].replace("$", "")[0]
    assert [c.value for c in lists[village_col][1:] if c.value] == ["刘山村"]  # the secretary's own village only
    assert covered[f"{letters['所在村/社区']}2"].endswith(f"${village_col}$2")
    example = wb["填写说明"][2]
    assert example[0].value == "张某与李某宅基地边界纠纷"


def test_template_row_filled_in_imports(sec):
    """The template as downloaded, filled in like a user would (with its example row copied), imports."""
    wb = load_workbook(io.BytesIO(sec.get(reverse("cases:import_template")).content))
    example = [c.value for c in wb["填写说明"][2]]
    ws = wb["排查登记"]
    for col, value in enumerate(example, start=1):
        ws.cell(2, col, value)
    out = io.BytesIO()
    wb.save(out)
    assert upload(sec, out.getvalue()).status_code == 302
    confirm(sec)
    assert Dispute.objects.get().title == "张某与李某宅基地边界纠纷"


def test_abandon_deletes_the_file(sec, import_dir):
    upload(sec, workbook([row(1)]))
    assert len(list(import_dir.iterdir())) == 1
    sec.post(reverse("cases:import_abandon"))
    assert list(import_dir.iterdir()) == [] and PENDING_KEY not in sec.session
    assert sec.get(reverse("cases:import_preview")).status_code == 302


def test_confirm_with_a_stale_token_imports_nothing(sec):
    upload(sec, workbook([row(1)]))
    sec.post(reverse("cases:import_confirm"), {"token": "x" * 32})
    assert Dispute.objects.count() == 0


@pytest.mark.parametrize("name", ["import", "import_template", "import_preview", "import_errors"])
def test_outsiders_get_403(client, county_user, auditor, name):
    for user in (county_user, auditor):
        client.force_login(user)
        assert client.get(reverse(f"cases:{name}")).status_code == 403


def test_ledger_links_import_for_writers_only(client, secretary_a, county_user):
    client.force_login(secretary_a)
    assert reverse("cases:import") in client.get(reverse("cases:list")).content.decode()
    client.force_login(county_user)
    assert reverse("cases:import") not in client.get(reverse("cases:list")).content.decode()


def test_service_refuses_outsiders_and_foreign_villages(secretary_a, county_user):
    from cases import services
    from core.errors import Forbidden, Refused
    from org.models import Division
    from tests.conftest import DISPUTE_FIELDS, VILLAGE_B

    fields = {**DISPUTE_FIELDS, "arose_on": YESTERDAY}
    rows = [{"village": Division.objects.get(code=VILLAGE_B), "fields": fields, "parties": [party_row()]}]
    with pytest.raises(Forbidden):
        services.import_cases(actor=county_user, rows=rows)
    with pytest.raises(Refused):
        services.import_cases(actor=secretary_a, rows=rows)
    assert Dispute.objects.count() == 0


def test_the_errors_workbook_fixed_and_uploaded_again_imports(sec):
    """The user corrects the downloaded errors workbook and uploads it: its 错误说明 column is ignored."""
    upload(sec, workbook([row(1), row(2, **{"当事人1身份证号": bad_checksum(id_number(2))})]))
    wb = load_workbook(io.BytesIO(sec.get(reverse("cases:import_errors")).content))
    ws = wb[imports.SHEET]
    heads = [c.value for c in ws[1]]
    ws.cell(3, heads.index("当事人1身份证号") + 1, id_number(2))
    out = io.BytesIO()
    wb.save(out)
    assert upload(sec, out.getvalue(), "排查（错误说明）.xlsx").status_code == 302
    response = sec.get(reverse("cases:import_errors"))
    heads = [c.value for c in load_workbook(io.BytesIO(response.content))[imports.SHEET][1]]
    assert heads.count("错误说明") == 1
    confirm(sec)
    assert Dispute.objects.count() == 2


def test_a_pending_file_gone_from_disk_sends_back_to_upload(sec, import_dir):
    upload(sec, workbook([row(1)]))
    for f in import_dir.iterdir():
        f.write_bytes(b"garbage")
    response = sec.get(reverse("cases:import_preview"))
    assert response.status_code == 302 and response.url == reverse("cases:import")


def test_preview_queries_grow_by_the_form_only(sec, django_assert_max_num_queries):
    """Each row costs what one registration form costs (village, constraints); the duplicate check is batched."""
    upload(sec, workbook([row(i) for i in range(60)]))
    with django_assert_max_num_queries(15 + 6 * 60):
        assert "共 60 行" in sec.get(reverse("cases:import_preview")).content.decode()
