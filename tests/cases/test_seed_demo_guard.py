"""`seed_demo` only writes to a demo database and never touches an existing account (issue 8, defect 2): with DEBUG
off it ran on PostgreSQL, reset an operator-chosen password to the public demo password, made `sysadmin` a
superuser and wrote no audit row."""

import io

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import Action, AuditEntry
from cases.models import Dispute
from org.demo_accounts import DEMO_PASSWORD, DEMO_PENDING_GRANTS, DEMO_USERS
from org.models import Membership, MembershipRequest, RequestStatus, Role
from tests.conftest import COUNTY

pytestmark = pytest.mark.django_db

OPERATOR_PASSWORD = "Operator-chose-th1s"


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", "--cases", "6", *args, stdout=out)
    return out.getvalue()


def configured_name():
    return str(django_settings.DATABASES["default"]["NAME"])


def demo_rows():
    names = [u[0] for u in DEMO_USERS] + [g[0] for g in DEMO_PENDING_GRANTS]
    return (get_user_model().objects.filter(username__in=names).count(), AuditEntry.objects.count(),
            Dispute.objects.count(), MembershipRequest.objects.count())


def test_refused_with_debug_off_and_nothing_is_written(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="已拒绝运行：当前未开启 DEBUG") as refused:
        seed()
    assert f"--demo-database {configured_name()}" in str(refused.value)
    assert demo_rows() == (0, 0, 0, 0)


@pytest.mark.parametrize("debug", [False, True])
def test_refused_when_demo_database_names_another_database(settings, debug):
    settings.DEBUG = debug
    with pytest.raises(CommandError, match="两者不一致"):
        seed("--demo-database", "jiaxiang_prod")
    assert demo_rows() == (0, 0, 0, 0)


def test_the_named_demo_database_is_seeded_and_each_created_account_audited(settings):
    settings.DEBUG = False
    out = seed("--demo-database", configured_name())
    assert "已创建演示账号" in out and DEMO_PASSWORD in out
    User = get_user_model()
    for username, _, _, role, _, _ in DEMO_USERS:
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD) and user.membership.role == role
        [row] = AuditEntry.objects.filter(action=Action.ACCOUNT_CHANGE, object_label=username)
        assert row.detail.startswith("演示数据：创建账号") and row.object_id == str(user.pk)
    # The demo's accounts, and the stand-in secretaries (cun_…, no login) of the villages its cases are walked in.
    rows = AuditEntry.objects.filter(action=Action.ACCOUNT_CHANGE)
    assert rows.exclude(object_label__startswith="cun_").count() == len(DEMO_USERS) + len(DEMO_PENDING_GRANTS)
    assert all("不能登录" in r.detail for r in rows.filter(object_label__startswith="cun_"))
    assert not AuditEntry.objects.filter(detail__contains=DEMO_PASSWORD).exists()
    assert Membership.objects.get(user__username="anquan").role == Role.SECURITY_ADMIN
    [grant] = MembershipRequest.objects.all()  # the demo's grant waiting for the 安全管理员
    assert grant.status == RequestStatus.PENDING and grant.requested_by.username == "sysadmin"
    assert not Membership.objects.filter(user=grant.user).exists()
    assert Dispute.objects.count() == 6


def test_existing_accounts_are_left_as_they_are_and_reruns_change_nothing(settings, make_user):
    settings.DEBUG = True
    admin = make_user(Role.ADMIN, COUNTY, username="sysadmin")
    admin.set_password(OPERATOR_PASSWORD)
    admin.first_name = "张工"
    admin.save()
    Membership.objects.filter(user=admin).update(title="信息科")
    out = seed()
    assert "未修改其密码、权限和岗位（跳过）：sysadmin" in out
    admin.refresh_from_db()
    assert admin.check_password(OPERATOR_PASSWORD) and not admin.check_password(DEMO_PASSWORD)
    assert not admin.is_superuser and not admin.is_staff and admin.first_name == "张工"
    assert Membership.objects.get(user=admin).title == "信息科"
    assert not AuditEntry.objects.filter(object_label="sysadmin").exists()

    before = demo_rows()
    again = seed()
    assert demo_rows() == before  # idempotent: no account, audit row, dispute or request added
    assert "演示纠纷已存在" in again and "已创建演示账号" not in again
