"""Separation of duties (等保 8.1.4.2 访问控制 / 8.1.10 安全管理中心): administrators manage accounts and reference data
but see no case content, and a case role they grant waits for a 安全管理员 (test_three_duties.py); auditors read the
audit log and administer nothing; every role change is recorded."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from audit.models import Action, AuditEntry, Outcome
from org.models import Membership, MembershipRequest, Role
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A

pytestmark = pytest.mark.django_db

CASE_CONTENT_MODELS = ["Dispute", "Party", "CaseEvent", "Assignment", "DutyLog", "Referral", "EarlyWarning", "Visit",
                       "Supervision", "ClockMark"]


@pytest.fixture
def admin_client(client, sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    return client


def test_no_case_content_model_is_registered_in_the_admin():
    registered = {model for model in admin.site._registry}
    for name in CASE_CONTENT_MODELS:
        model = apps.get_model("cases", name)
        assert model not in registered, f"{name} 是案件内容，不得在后台管理中注册"
    assert apps.get_model("audit", "AuditEntry") not in registered  # administrators do not read the audit log


def test_administrator_gets_404_on_case_pages_and_in_the_admin(admin_client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    assert admin_client.get(case.get_absolute_url()).status_code == 404
    assert admin_client.get(f"/admin/cases/dispute/{case.pk}/change/").status_code == 404
    assert admin_client.get("/admin/cases/party/").status_code == 404
    assert admin_client.get(reverse("admin:org_membership_changelist")).status_code == 200


def test_auditor_cannot_be_made_staff(admin_client, auditor):
    url = reverse("admin:auth_user_change", args=[auditor.pk])
    data = {"username": "auditor", "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "is_staff": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"}
    response = admin_client.post(url, data)
    assert response.status_code == 200  # the form again, with the refusal
    assert "审计员不能同时担任系统管理员" in response.content.decode()
    auditor.refresh_from_db()
    assert not auditor.is_staff
    [row] = AuditEntry.objects.filter(action=Action.DUTY_CONFLICT)
    assert (row.username, row.object_label, row.outcome) == ("sysadmin", "auditor", Outcome.FAILURE)


def test_a_staff_account_cannot_be_given_the_auditor_or_a_case_role(admin_client, make_user, django_user_model):
    staff = django_user_model.objects.create_user("helper", password="x", is_staff=True)
    for role, division in ((Role.AUDITOR, COUNTY), (Role.TOWN_LEADER, TOWN_X)):
        response = admin_client.post(reverse("admin:org_membership_add"), {
            "user": staff.pk, "division": division, "role": role, "title": "", "phone": ""})
        assert response.status_code == 200
        assert "职员状态" in response.content.decode()
    assert not Membership.objects.filter(user=staff).exists()
    assert AuditEntry.objects.filter(action=Action.DUTY_CONFLICT, outcome=Outcome.FAILURE).count() == 2
    response = admin_client.post(reverse("admin:org_membership_add"), {
        "user": staff.pk, "division": COUNTY, "role": Role.ADMIN, "title": "", "phone": ""})
    assert response.status_code == 302


def test_role_change_is_recorded_with_before_and_after(admin_client, make_user, security_admin):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    m = user.membership
    response = admin_client.post(reverse("admin:org_membership_change", args=[m.pk]), {
        "user": user.pk, "division": TOWN_X, "role": Role.TOWN_STAFF, "title": "综治办", "phone": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    [row] = AuditEntry.objects.filter(action=Action.ROLE_CHANGE)
    assert row.username == "sysadmin" and row.object_label == "wangge"
    assert "网格员/调解员/信息员 → 综治办/司法所工作人员" in row.detail
    assert "刘山" in row.detail and "嘉祥街道" in row.detail
    # A case role is a grant: pending until a 安全管理员 approves it (三员, test_three_duties.py).
    assert "待安全管理员审批" in row.detail
    assert Membership.objects.get(pk=m.pk).role == Role.GRID_WORKER
    approver = type(admin_client)()
    approver.force_login(security_admin)
    grant = MembershipRequest.objects.get(user=user)
    assert approver.post(reverse("account:grant_approve", args=[grant.pk])).status_code == 302
    changed = Membership.objects.get(pk=m.pk)
    assert (changed.role, changed.division_id, changed.title) == (Role.TOWN_STAFF, TOWN_X, "综治办")
    assert not changed.must_change_password  # a role change is not a new password
    approval = AuditEntry.objects.filter(action=Action.ROLE_CHANGE).order_by("-id").first()
    assert approval.username == "anquan" and "网格员/调解员/信息员 → 综治办/司法所工作人员" in approval.detail


def test_saving_without_changes_records_nothing(admin_client, make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    admin_client.post(reverse("admin:org_membership_change", args=[user.membership.pk]), {
        "user": user.pk, "division": VILLAGE_A, "role": Role.GRID_WORKER, "title": "", "phone": ""})
    assert not AuditEntry.objects.filter(action=Action.ROLE_CHANGE).exists()


def test_removing_a_membership_is_recorded(admin_client, make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    response = admin_client.post(reverse("admin:org_membership_delete", args=[user.membership.pk]), {"post": "yes"})
    assert response.status_code == 302
    [row] = AuditEntry.objects.filter(action=Action.ROLE_CHANGE)
    assert row.detail.startswith("撤销岗位")


def test_granting_staff_to_an_administrator_is_recorded(client, sysadmin, make_user):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    other = make_user(Role.ADMIN, COUNTY, username="admin2")
    client.force_login(sysadmin)
    url = reverse("admin:auth_user_change", args=[other.pk])
    data = {"username": "admin2", "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "is_staff": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"}
    assert client.post(url, data).status_code == 302
    [row] = AuditEntry.objects.filter(action=Action.ACCOUNT_CHANGE)
    assert "职员状态（可进入后台）：否 → 是" in row.detail


def test_auditor_page_is_for_auditors_only(client, sysadmin, auditor):
    client.force_login(sysadmin)
    assert client.get(reverse("audit:list")).status_code == 403
    client.force_login(auditor)
    assert client.get(reverse("audit:list")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302  # not staff: the admin's login page
