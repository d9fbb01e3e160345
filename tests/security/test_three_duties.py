"""三员 separation of duties (等保 8.1.5; issue 8, defect 3): the 系统管理员 sets accounts up, but a role grant that
gives case access takes effect only when a 安全管理员 approves it; the administrator never learns the password the
new user chooses; lockouts, 2FA resets and grant approval are the 安全管理员's, not the administrator's."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import duties
from audit.models import Action, AuditEntry, Outcome
from cases import policy
from core.errors import Forbidden
from org.models import Membership, MembershipRequest, RequestStatus, Role
from tests.conftest import COUNTY, PASSWORD, TOWN_X, VILLAGE_A

pytestmark = pytest.mark.django_db

ADMIN_SET_PASSWORD = "Admin-set-Passw0rd"
NEW_PASSWORD = "Only-the-user-kn0ws"


@pytest.fixture
def admin_client(sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client = Client()
    client.force_login(sysadmin)
    return client


@pytest.fixture
def secadm_client(security_admin):
    client = Client()
    client.force_login(security_admin)
    return client


def create_account_in_the_admin(admin_client, username="newsec"):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": username, "usable_password": "true", "password1": ADMIN_SET_PASSWORD,
        "password2": ADMIN_SET_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]
    return get_user_model().objects.get(username=username)


def grant_in_the_admin(admin_client, user, role=Role.VILLAGE_SECRETARY, division=VILLAGE_A):
    return admin_client.post(reverse("admin:org_membership_add"), {
        "user": user.pk, "division": division, "role": role, "title": "", "phone": ""})


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_case_role_created_in_the_admin_waits_for_the_security_admin(admin_client, secadm_client, secretary_a,
                                                                       make_case):
    case = make_case(secretary_a, VILLAGE_A)
    user = create_account_in_the_admin(admin_client)
    response = grant_in_the_admin(admin_client, user)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:org_membershiprequest_changelist")
    assert not Membership.objects.filter(user=user).exists()
    [grant] = MembershipRequest.objects.filter(user=user)
    assert (grant.status, grant.role, grant.division_id) == (RequestStatus.PENDING, Role.VILLAGE_SECRETARY, VILLAGE_A)
    assert grant.requested_by.username == "sysadmin"

    as_user = Client()
    as_user.force_login(user)
    listing = as_user.get(reverse("cases:list"))
    assert listing.status_code in (200, 403) and case.number not in listing.content.decode()
    assert as_user.get(case.get_absolute_url()).status_code == 404

    page = secadm_client.get(reverse("account:security"))
    assert "待审批授权" in page.content.decode() and "newsec" in page.content.decode()
    assert secadm_client.get(reverse("account:grant_approve", args=[grant.pk])).status_code == 200  # confirm page
    approved = secadm_client.post(reverse("account:grant_approve", args=[grant.pk]), {"note": "已电话核实"})
    assert approved.status_code == 302 and approved["Location"] == reverse("account:security")
    grant.refresh_from_db()
    assert (grant.status, grant.decided_by.username, grant.note) == (RequestStatus.APPROVED, "anquan", "已电话核实")
    membership = Membership.objects.get(user=user)
    assert (membership.role, membership.division_id, membership.must_change_password) == (
        Role.VILLAGE_SECRETARY, VILLAGE_A, True)

    Membership.objects.filter(user=user).update(must_change_password=False)  # (the first-login change: below)
    as_user = Client()
    as_user.force_login(user)
    assert case.number in as_user.get(reverse("cases:list")).content.decode()
    assert as_user.get(case.get_absolute_url()).status_code == 200

    rows = list(AuditEntry.objects.filter(action=Action.ROLE_CHANGE).order_by("id"))
    assert [(r.username, r.object_label) for r in rows] == [("sysadmin", "newsec"), ("anquan", "newsec")]
    assert rows[0].detail.startswith("申请设定岗位：刘山") and "待安全管理员审批" in rows[0].detail
    assert f"申请编号 {grant.pk}" in rows[0].detail
    assert rows[1].detail.startswith(f"批准岗位授权申请（编号 {grant.pk}，申请人 sysadmin）：设定岗位：")
    assert "村党组织书记" in rows[1].detail and "已电话核实" in rows[1].detail


def test_the_administrator_cannot_approve(admin_client, make_user, sysadmin, rf):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    Membership.objects.filter(user=user).delete()
    assert grant_in_the_admin(admin_client, user).status_code == 302
    grant = MembershipRequest.objects.get(user=user)
    assert admin_client.get(reverse("account:grant_approve", args=[grant.pk])).status_code == 403
    assert admin_client.post(reverse("account:grant_approve", args=[grant.pk])).status_code == 403
    assert admin_client.get(reverse("account:security")).status_code == 403
    grant.refresh_from_db()
    assert grant.status == RequestStatus.PENDING and not Membership.objects.filter(user=user).exists()
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED, username="sysadmin").count() == 3
    request = rf.post("/")
    request.user = sysadmin
    with pytest.raises(Forbidden, match="只有安全管理员可以审批岗位授权"):  # the service refuses too
        duties.approve_grant(request, grant_id=grant.pk)


def test_nobody_approves_their_own_request_or_a_grant_to_themselves(client, make_user, security_admin):
    other = make_user(Role.SECURITY_ADMIN, COUNTY, username="anquan2")
    target = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    # A request filed by someone who is a 安全管理员 now (e.g. an administrator moved to that post since).
    own = MembershipRequest.objects.create(user=target, division_id=TOWN_X, role=Role.TOWN_STAFF,
                                           requested_by=security_admin)
    client.force_login(security_admin)
    page = client.get(reverse("account:grant_approve", args=[own.pk]))
    assert "不能审批本人提交的授权申请" in page.content.decode()
    response = client.post(reverse("account:grant_approve", args=[own.pk]), {"note": ""})
    assert response.status_code == 200 and "不能审批本人提交的授权申请" in response.content.decode()
    own.refresh_from_db()
    assert own.status == RequestStatus.PENDING
    assert Membership.objects.get(user=target).role == Role.GRID_WORKER

    to_self = MembershipRequest.objects.create(user=security_admin, division_id=VILLAGE_A,
                                               role=Role.VILLAGE_SECRETARY, requested_by=other)
    response = client.post(reverse("account:grant_approve", args=[to_self.pk]))
    assert response.status_code == 200 and "不能审批授予本人的岗位" in response.content.decode()
    assert Membership.objects.get(user=security_admin).role == Role.SECURITY_ADMIN
    assert not AuditEntry.objects.filter(action=Action.ROLE_CHANGE).exists()

    other_client = Client()
    other_client.force_login(other)  # the other 安全管理员 may approve the first one
    assert other_client.post(reverse("account:grant_approve", args=[own.pk])).status_code == 302
    assert Membership.objects.get(user=target).role == Role.TOWN_STAFF


def test_a_refusal_needs_a_reason_and_changes_nothing(admin_client, secadm_client, make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    m = user.membership
    response = admin_client.post(reverse("admin:org_membership_change", args=[m.pk]), {
        "division": TOWN_X, "role": Role.TOWN_LEADER, "title": "", "phone": ""})
    assert response.status_code == 302
    assert Membership.objects.get(pk=m.pk).role == Role.GRID_WORKER  # not before approval
    grant = MembershipRequest.objects.get(user=user)
    url = reverse("account:grant_refuse", args=[grant.pk])
    response = secadm_client.post(url, {"note": ""})
    assert response.status_code == 200 and "请填写拒绝理由" in response.content.decode()
    assert secadm_client.post(url, {"note": "岗位未经镇街确认"}).status_code == 302
    grant.refresh_from_db()
    assert grant.status == RequestStatus.REFUSED and grant.note == "岗位未经镇街确认"
    assert Membership.objects.get(pk=m.pk).role == Role.GRID_WORKER
    last = AuditEntry.objects.filter(action=Action.ROLE_CHANGE).order_by("-id").first()
    assert last.username == "anquan" and last.detail.startswith(f"拒绝岗位授权申请（编号 {grant.pk}")
    assert "岗位未经镇街确认" in last.detail
    # Decided once: a second decision is refused.
    again = secadm_client.post(reverse("account:grant_approve", args=[grant.pk]))
    assert again.status_code == 200 and "已经处理" in again.content.decode()
    assert Membership.objects.get(pk=m.pk).role == Role.GRID_WORKER


def test_one_pending_request_per_user_and_no_moving_a_membership(admin_client, make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    m = user.membership
    url = reverse("admin:org_membership_change", args=[m.pk])
    assert admin_client.post(url, {"division": TOWN_X, "role": Role.TOWN_STAFF, "title": "", "phone": ""}).status_code == 302
    second = admin_client.post(url, {"division": TOWN_X, "role": Role.TOWN_LEADER, "title": "", "phone": ""})
    assert second.status_code == 200 and "已有一项待审批的岗位授权申请" in second.content.decode()
    assert MembershipRequest.objects.filter(user=user).count() == 1
    # The account a membership belongs to is shown, not editable: posting another user changes nothing.
    other = make_user(Role.AUDITOR, COUNTY, username="other")
    Membership.objects.filter(user=other).delete()
    admin_client.post(url, {"user": other.pk, "division": VILLAGE_A, "role": Role.GRID_WORKER, "title": "x",
                            "phone": ""})
    assert Membership.objects.get(pk=m.pk).user_id == user.pk
    assert not Membership.objects.filter(user=other).exists()


def test_roles_without_case_access_take_effect_at_once(admin_client, django_user_model):
    user = django_user_model.objects.create_user("shenji2", password=PASSWORD)
    assert grant_in_the_admin(admin_client, user, role=Role.AUDITOR, division=COUNTY).status_code == 302
    assert Membership.objects.get(user=user).role == Role.AUDITOR
    assert not MembershipRequest.objects.exists()


def test_an_admin_created_account_must_change_its_password_and_the_admin_never_learns_it(admin_client, secadm_client):
    user = create_account_in_the_admin(admin_client)
    grant_in_the_admin(admin_client, user)
    grant = MembershipRequest.objects.get(user=user)
    assert secadm_client.post(reverse("account:grant_approve", args=[grant.pk])).status_code == 302

    first = Client()
    assert login(first, "newsec", ADMIN_SET_PASSWORD).status_code == 302
    gate = first.get(reverse("cases:list"))
    assert gate.status_code == 302 and gate["Location"].startswith(reverse("account:password_change"))
    changed = first.post(reverse("account:password_change"), {
        "old_password": ADMIN_SET_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert changed.status_code == 302
    assert first.get(reverse("cases:list")).status_code == 200
    # The password the administrator chose no longer opens the account; the new one is nowhere to be read.
    assert login(Client(), "newsec", ADMIN_SET_PASSWORD).status_code == 200
    user.refresh_from_db()
    assert NEW_PASSWORD not in user.password
    assert not AuditEntry.objects.filter(detail__contains=NEW_PASSWORD).exists()
    assert AuditEntry.objects.filter(action=Action.PASSWORD_CHANGE, username="newsec").exists()


def test_the_security_admin_unlocks_a_locked_account(client, secretary_a, secadm_client, admin_client):
    for _ in range(5):
        login(client, "sec_a", "Wrong-passw0rd")
    assert login(client, "sec_a", PASSWORD).status_code == 429
    assert admin_client.post(reverse("account:unlock"), {"username": "sec_a"}).status_code == 403
    assert AccessAttempt.objects.filter(username="sec_a").exists()
    assert "sec_a" in secadm_client.get(reverse("account:security")).content.decode()
    assert secadm_client.post(reverse("account:unlock"), {"username": "sec_a"}).status_code == 302
    assert not AccessAttempt.objects.filter(username="sec_a").exists()
    [row] = AuditEntry.objects.filter(action=Action.UNLOCK)
    assert (row.username, row.role, row.object_label) == ("anquan", Role.SECURITY_ADMIN, "sec_a")
    assert login(client, "sec_a", PASSWORD).status_code == 302


def test_nobody_holds_two_of_the_three_duties(admin_client, security_admin, make_user, django_user_model):
    url = reverse("admin:auth_user_change", args=[security_admin.pk])
    data = {"username": "anquan", "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "is_staff": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "initial-date_joined_0": "2026-01-01", "initial-date_joined_1": "00:00:00"}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "安全管理员不能同时担任系统管理员" in response.content.decode()
    security_admin.refresh_from_db()
    assert not security_admin.is_staff
    staff = django_user_model.objects.create_user("helper", password="x", is_staff=True)
    response = grant_in_the_admin(admin_client, staff, role=Role.SECURITY_ADMIN, division=COUNTY)
    assert response.status_code == 200 and "安全管理员不能同时担任系统管理员" in response.content.decode()
    assert AuditEntry.objects.filter(action=Action.DUTY_CONFLICT, outcome=Outcome.FAILURE).count() == 2
    assert duties.duty_conflict(role=Role.SECURITY_ADMIN, is_staff=False, is_superuser=True)
    assert duties.duty_conflict(role=Role.ADMIN, is_staff=True, is_superuser=True) is None


def test_a_grant_to_an_account_made_staff_meanwhile_is_not_approved(admin_client, secadm_client, django_user_model):
    user = django_user_model.objects.create_user("later_staff", password=PASSWORD)
    grant_in_the_admin(admin_client, user)
    grant = MembershipRequest.objects.get(user=user)
    django_user_model.objects.filter(pk=user.pk).update(is_staff=True)
    response = secadm_client.post(reverse("account:grant_approve", args=[grant.pk]))
    assert response.status_code == 200 and "不能勾选“职员状态”" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


def test_the_requests_are_read_only_in_the_admin(admin_client, make_user):
    user = make_user(Role.GRID_WORKER, VILLAGE_A, username="wangge")
    Membership.objects.filter(user=user).delete()
    grant_in_the_admin(admin_client, user)
    grant = MembershipRequest.objects.get(user=user)
    assert admin_client.get(reverse("admin:org_membershiprequest_changelist")).status_code == 200
    change = reverse("admin:org_membershiprequest_change", args=[grant.pk])
    admin_client.post(change, {"status": RequestStatus.APPROVED})
    grant.refresh_from_db()
    assert grant.status == RequestStatus.PENDING
    assert admin_client.get(reverse("admin:org_membershiprequest_add")).status_code == 403


def test_the_menu_gives_account_security_to_the_security_admin_only(security_admin, sysadmin):
    assert [item.label for item in policy.menu_for(security_admin)] == ["账号安全"]
    sysadmin.is_staff = True
    assert [item.label for item in policy.menu_for(sysadmin)] == ["系统管理", "批量导入人员"]
