"""Onboarding a county (issue 13 #5, issue 11 #1): the people and accounts import and the batch approval."""

import io
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts import onboarding, onboarding_sheet
from accounts.views_onboarding import PENDING
from audit.models import AuditEntry
from org.models import Membership, MembershipRequest, Person, Role
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, VILLAGE_C

User = get_user_model()
HEADS = onboarding_sheet.HEADERS


def row(n=1, **over):
    values = {"区划代码": VILLAGE_A, "单位": "", "姓名": f"网格员{n}", "职务": "专职网格员",
              "手机号": f"139{n:08d}", "用户名": f"grid_{n}", "角色": "网格员/调解员/信息员"}
    values.update(over)
    return values


def workbook(rows, heads=HEADS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = onboarding_sheet.SHEET
    ws.append(heads)
    for values in rows:
        ws.append([values.get(h, "") for h in heads])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client, data, name="人员.xlsx"):
    return client.post(reverse("account:onboarding"), {"file": SimpleUploadedFile(name, data)})


def confirm(client):
    token = client.session[PENDING.key]["token"]
    return client.post(reverse("account:onboarding_confirm"), {"token": token})


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_TMP_DIR = tmp_path / "imports"
    return settings.IMPORT_TMP_DIR


@pytest.fixture
def admin_client(client, sysadmin):
    client.force_login(sysadmin)
    return client


def test_a_person_without_an_account_is_created_in_the_directory(admin_client, import_dir):
    no_account = row(1, 单位="嘉祥街道司法所", 区划代码=TOWN_X, 姓名="赵司法", 职务="所长", 用户名="", 角色="")
    assert upload(admin_client, workbook([no_account])).status_code == 302
    text = admin_client.get(reverse("account:onboarding_preview")).content.decode()
    assert "共 1 行" in text and "不开通账号" in text and "139****0001" in text and "13900000001" not in text
    response = confirm(admin_client)
    assert response.status_code == 200
    person = Person.objects.get(name="赵司法")
    assert (person.division_id, person.unit.name, person.post, person.user) == (TOWN_X, "嘉祥街道司法所", "所长", None)
    assert person.phone == "13900000001"
    assert MembershipRequest.objects.count() == 0 and not User.objects.filter(first_name="赵司法").exists()
    assert list(import_dir.iterdir()) == []
    assert AuditEntry.objects.get(action="import").object_label == "人员.xlsx（1人）"


def test_a_unit_not_in_the_division_is_refused_with_the_row_named(admin_client):
    wrong = row(2, 区划代码=TOWN_X, 单位="纸坊镇派出所", 角色="综治办/司法所工作人员", 用户名="zf_police")
    upload(admin_client, workbook([row(1), wrong]))
    text = admin_client.get(reverse("account:onboarding_preview")).content.decode()
    assert "第3行 · 单位：“纸坊镇派出所”不属于嘉祥街道（该单位属于纸坊镇）。" in text
    assert "确认导入" not in text
    confirm(admin_client)
    assert not Person.objects.filter(user=None).exists()
    assert User.objects.filter(username__in=["grid_1", "zf_police"]).count() == 0


@pytest.mark.parametrize("over, column, message", [
    ({"区划代码": "370829999999"}, "区划代码", "“370829999999”不是嘉祥县的区划代码"),
    ({"区划代码": "370800000000"}, "区划代码", "省、市一级"),
    ({"角色": "镇街副书记"}, "角色", "“镇街副书记”只能设在镇街一级，刘山村"),
    ({"角色": "队长"}, "角色", "没有“队长”这个角色"),
    ({"角色": "审计员"}, "角色", "三员"),
    ({"用户名": "sysadmin"}, "用户名", "已被现有账号使用"),
    ({"用户名": "有 空格"}, "用户名", "只能包含字母"),
    ({"手机号": "12345"}, "手机号", "请输入11位手机号"),
    ({"姓名": ""}, "姓名", "请填写姓名"),
    ({"用户名": ""}, "用户名", "选择了角色就要填写用户名"),
    ({"角色": ""}, "角色", "填写了用户名就要选择角色"),
    ({"区划代码": COUNTY, "角色": "责任单位工作人员"}, "单位", "必须填写所在单位"),
])
def test_each_rule_names_its_column_in_chinese(sysadmin, over, column, message):
    rows = onboarding_sheet.read_rows(workbook([row(1, **over)]))
    report = onboarding.validate(rows)
    assert not report.ok
    assert any(col == column and message in msg for col, msg in report.rows[0].errors), report.rows[0].errors


def test_a_username_twice_in_the_file_names_the_first_row(sysadmin):
    report = onboarding.validate(onboarding_sheet.read_rows(workbook([row(1), row(2, 用户名="GRID_1")])))
    assert report.lines() == ["第3行 · 用户名：“GRID_1”与本表第2行的用户名重复。"]


def test_the_errors_workbook_writes_each_rows_errors_beside_it(admin_client):
    upload(admin_client, workbook([row(1), row(2, 区划代码="999")]))
    response = admin_client.get(reverse("account:onboarding_errors"))
    ws = load_workbook(io.BytesIO(response.content))[onboarding_sheet.SHEET]
    assert ws.cell(1, 8).value == "错误说明" and ws.cell(2, 8).value is None
    assert "区划代码：“999”不是嘉祥县的区划代码" in ws.cell(3, 8).value


def test_a_thousand_accounts_with_one_bad_row_create_nothing_and_name_the_row(admin_client):
    rows = [row(n) for n in range(1, 1001)]
    rows[636] = row(637, 角色="村支书记")  # Excel row 638
    upload(admin_client, workbook(rows))
    text = admin_client.get(reverse("account:onboarding_preview")).content.decode()
    assert "第638行 · 角色：没有“村支书记”这个角色，请从下拉列表选择。" in text
    response = confirm(admin_client)
    assert response.status_code == 302
    assert User.objects.filter(username__startswith="grid_").count() == 0
    assert not Person.objects.filter(name__startswith="网格员").exists() and MembershipRequest.objects.count() == 0


def test_a_thousand_accounts_import_and_each_must_change_its_password_once_approved(
        client, admin_client, sysadmin, security_admin, django_assert_max_num_queries):
    rows = [row(n) for n in range(1, 1001)]
    upload(admin_client, workbook(rows))
    started = time.monotonic()
    with django_assert_max_num_queries(1100):  # bulk: a few statements per 500 rows, one audit row per account
        response = confirm(admin_client)
    assert time.monotonic() - started < 30
    assert response.status_code == 200
    sheet = response.content.decode()
    users = User.objects.filter(username__startswith="grid_")
    assert users.count() == 1000 and Person.objects.filter(user__in=users).count() == 1000
    assert sheet.count('class="slip"') == 1000 and "沿虚线裁开" in sheet
    assert response["Cache-Control"].startswith("no-cache") or "no-store" in response["Cache-Control"]
    # Never stored in clear: not in the database, the audit log or the session; shown only on this response.
    grid_7 = User.objects.get(username="grid_7")
    password = sheet.split("grid_7</code>")[1].split('class="password">')[1].split("</code>")[0]
    assert grid_7.check_password(password) and password not in grid_7.password
    assert not AuditEntry.objects.filter(detail__contains=password).exists()
    assert password not in str(dict(admin_client.session))
    # 三员: the administrator's import grants nothing; the posts wait for the 安全管理员.
    assert Membership.objects.filter(user__in=users).count() == 0
    grants = MembershipRequest.objects.filter(user__in=users, status="pending")
    assert grants.count() == 1000 and grants.values("requested_at").distinct().count() == 1
    client.force_login(security_admin)
    batch = grants.order_by("id").first()
    page = client.get(reverse("account:security")).content.decode()
    assert reverse("account:grant_batch_approve", args=[batch.pk]) in page and "grid_500" not in page
    assert "1000" in client.get(reverse("account:grant_batch_approve", args=[batch.pk])).content.decode()
    response = client.post(reverse("account:grant_batch_approve", args=[batch.pk]), {"note": "已核对名册"})
    assert response.status_code == 302
    memberships = Membership.objects.filter(user__in=users)
    assert memberships.count() == 1000 and all(m.must_change_password for m in memberships)
    assert set(memberships.values_list("role", "division_id")) == {(Role.GRID_WORKER, VILLAGE_A)}
    assert AuditEntry.objects.filter(action="role_change", user_id=security_admin.pk).count() == 1001
    # The first login: straight to the password change page.
    fresh = client.__class__()
    assert fresh.post(reverse("login"), {"username": "grid_7", "password": password}).status_code == 302
    landed = fresh.get(reverse("home"))
    assert landed.status_code == 302 and landed.url.startswith(reverse("account:password_change"))


def test_the_administrator_cannot_approve_its_own_batch_and_a_security_admin_cannot_import(
        client, admin_client, security_admin):
    upload(admin_client, workbook([row(1), row(2)]))
    confirm(admin_client)
    batch = MembershipRequest.objects.order_by("id").first()
    assert admin_client.post(reverse("account:grant_batch_approve", args=[batch.pk])).status_code == 403
    assert Membership.objects.filter(user__username__startswith="grid_").count() == 0
    client.force_login(security_admin)
    assert client.get(reverse("account:onboarding")).status_code == 403
    assert upload(client, workbook([row(3)])).status_code == 403
    assert not User.objects.filter(username="grid_3").exists()


def test_a_batch_approval_is_all_or_nothing(client, admin_client, security_admin, monkeypatch):
    upload(admin_client, workbook([row(1), row(2), row(3, 区划代码=VILLAGE_C)]))
    confirm(admin_client)
    from accounts import duties

    real, calls = duties.approve_locked_grant, []

    def failing(request, *, grant, note=""):
        calls.append(grant.pk)
        if len(calls) == 3:
            raise duties.Refused("模拟故障")
        return real(request, grant=grant, note=note)

    monkeypatch.setattr(duties, "approve_locked_grant", failing)
    client.force_login(security_admin)
    first = MembershipRequest.objects.order_by("id").first()
    response = client.post(reverse("account:grant_batch_approve", args=[first.pk]))
    assert response.status_code == 400 and "模拟故障" in response.content.decode()
    assert Membership.objects.filter(user__username__startswith="grid_").count() == 0
    assert MembershipRequest.objects.filter(status="pending").count() == 3


def test_generated_passwords_pass_every_rule_and_differ():
    from django.contrib.auth.password_validation import validate_password

    passwords = {onboarding.generate_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        validate_password(password)
        assert len(password) == 14 and not set(password) & set("0O1lI")


def test_initial_hashes_are_cheap_pbkdf2_that_django_upgrades(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    from django.contrib.auth.hashers import check_password, get_hasher

    encoded = onboarding.initial_hash("Kp7m-Xq4r-Tz9w")
    assert encoded.startswith(f"pbkdf2_sha256${onboarding.INITIAL_ROUNDS}$")
    assert check_password("Kp7m-Xq4r-Tz9w", encoded) and get_hasher("default").must_update(encoded)


def test_the_template_lists_divisions_units_and_only_importable_roles(admin_client):
    response = admin_client.get(reverse("account:onboarding_template"))
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[:4] == ["人员导入", "填写说明", "区划代码", "单位"]
    assert [c.value for c in wb["人员导入"][1]] == HEADS
    codes = {r[0] for r in wb["区划代码"].iter_rows(min_row=2, values_only=True)}
    assert {VILLAGE_A, TOWN_X, COUNTY} <= codes and "370800000000" not in codes
    roles = {r[0] for r in wb["选项"].iter_rows(min_row=2, values_only=True)}
    assert "村党组织书记" in roles and "审计员" not in roles and "系统管理员" not in roles
    # the template's own example rows pass the import's rules
    example = wb["填写说明"]
    rows = [onboarding_sheet.Row(n, {k: str(v or "") for k, v in zip(onboarding_sheet.KEY_OF.values(), values,
                                                                      strict=True)})
            for n, values in enumerate(example.iter_rows(min_row=2, max_row=3, values_only=True), start=2)]
    assert onboarding.validate(rows).ok, onboarding.validate(rows).lines()


def test_other_roles_get_403_and_anonymous_the_login(client, secretary_a, auditor):
    assert client.get(reverse("account:onboarding")).status_code == 302
    for user in (secretary_a, auditor):
        client.force_login(user)
        for name in ("account:onboarding", "account:onboarding_template", "account:onboarding_preview"):
            assert client.get(reverse(name)).status_code == 403, (user, name)
        assert client.post(reverse("account:onboarding_confirm")).status_code == 403


def test_a_bad_file_is_a_field_error_with_the_summary(admin_client):
    response = upload(admin_client, b"not a workbook", name="x.xlsx")
    text = response.content.decode()
    assert response.status_code == 400 and "error-summary" in text and "不是有效的 .xlsx 文件" in text
    response = upload(admin_client, workbook([row(1)], heads=["姓名"]))
    assert "第1行缺少列：区划代码" in response.content.decode()
