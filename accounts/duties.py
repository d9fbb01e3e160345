"""三员 separation of duties (等保 8.1.5; docs/security.md §4): the 系统管理员 administers accounts in the Django admin,
the 安全管理员 approves the role grants that give case access (and handles lockouts and 2FA, accounts.security), the
审计员 reads the log — three people. The services that change accounts and posts, each atomic with one audit row.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from audit.models import Action, Outcome
from core.errors import Forbidden, Refused
from org.models import NO_CASE_ACCESS_ROLES, Division, Membership, MembershipRequest, RequestStatus, Role, Unit
from org.selectors import membership_of


def is_security_admin(user) -> bool:
    """The 安全管理员: lifts lockouts, resets and issues 2FA enrolment, approves role grants; no case content."""
    m = membership_of(user)
    return m is not None and m.role == Role.SECURITY_ADMIN


def duty_conflict(*, role: str | None, is_staff: bool, is_superuser: bool) -> str | None:
    """三员 (等保 8.1.5): the 系统管理员 (the only role that may enter the Django admin: staff/superuser), the
    安全管理员 and the 审计员 are three different people, and an administrator holds no case role (DESIGN.md §2).
    One membership per user already keeps the roles apart; this keeps admin access to the administrator role."""
    if not (is_staff or is_superuser) or not role or role == Role.ADMIN:
        return None
    if role == Role.AUDITOR:
        return "审计员不能同时担任系统管理员：审计员账号不能勾选“职员状态”或“超级用户状态”。"
    if role == Role.SECURITY_ADMIN:
        return "安全管理员不能同时担任系统管理员：安全管理员账号不能勾选“职员状态”或“超级用户状态”。"
    return f"只有“系统管理员”角色可以进入后台管理；“{Role(role).label}”账号不能勾选“职员状态”或“超级用户状态”。"


def decision_conflict(user, grant: MembershipRequest) -> str | None:
    """Why `user` may not decide on `grant`, or None: only a 安全管理员, never the one who asked for it (the
    administrator's own request) and never the one it would be granted to."""
    if not is_security_admin(user):
        return "只有安全管理员可以审批岗位授权。"
    if grant.requested_by_id == user.pk:
        return "不能审批本人提交的授权申请：须由另一名安全管理员审批。"
    if grant.user_id == user.pk:
        return "不能审批授予本人的岗位：须由另一名安全管理员审批。"
    return None


def refuse_duty_conflict(request, *, user, message: str):
    audit.record(request, action=Action.DUTY_CONFLICT, outcome=Outcome.FAILURE, obj=user,
                 label=user.get_username() if user is not None and user.pk else "", detail=message)


MEMBERSHIP_FIELDS = {"role": "角色", "division_id": "区划", "unit_id": "单位"}


def _membership_labels(values: dict) -> dict:
    division = Division.objects.filter(code=values["division_id"]).values_list("name", flat=True).first()
    unit = values["unit_id"] and Unit.objects.filter(pk=values["unit_id"]).values_list("name", flat=True).first()
    return {"role": Role(values["role"]).label if values["role"] else "—", "division_id": division or "—",
            "unit_id": unit or "—"}


def _describe(old: dict | None, new: dict) -> str:
    """"设定岗位：嘉祥县 · 审计员" for a new membership, "角色：A → B；区划：…" for a change (only what changed)."""
    if old is None:
        labels = _membership_labels(new)
        return f"设定岗位：{labels['division_id']} · {labels['role']}" + (
            f" · {labels['unit_id']}" if new["unit_id"] else "")
    before, after = _membership_labels(old), _membership_labels(new)
    return "；".join(f"{label}：{before[f]} → {after[f]}" for f, label in MEMBERSHIP_FIELDS.items() if old[f] != new[f])


def grant_needs_approval(*, old: dict | None, new: dict) -> bool:
    """A membership that gives case access (its role is not one of NO_CASE_ACCESS_ROLES), new or with another role,
    division or unit, waits for a 安全管理员. Removing access, and the 三员 roles themselves, take effect at once."""
    return new["role"] not in NO_CASE_ACCESS_ROLES and old != new


def pending_grant_of(user) -> MembershipRequest | None:
    return MembershipRequest.objects.filter(user=user, status=RequestStatus.PENDING).first() if user.pk else None


def pending_grant_message(grant: MembershipRequest) -> str:
    return f"该用户已有一项待审批的岗位授权申请（编号 {grant.pk}），请等安全管理员处理后再提交。"


@transaction.atomic
def save_membership(request, *, membership: Membership, created: bool) -> Membership | MembershipRequest:
    """Create or change a user's division, role and unit (the admin's save). A grant that gives case access is
    not saved: it becomes a pending `MembershipRequest` for a 安全管理员 (returned instead of the membership). A
    new membership belongs to an account the administrator set up, so its password must be changed at first login."""
    old = None
    if not created:
        old = Membership.objects.select_for_update().filter(pk=membership.pk).values(*MEMBERSHIP_FIELDS).first()
    new = {f: getattr(membership, f) for f in MEMBERSHIP_FIELDS}
    if grant_needs_approval(old=old, new=new):
        return _request_grant(request, membership=membership, old=old, new=new)
    if old is None:
        membership.must_change_password = True
    membership.save()
    if old == new:
        return membership
    audit.record(request, action=Action.ROLE_CHANGE, obj=membership.user, label=membership.user.get_username(),
                 detail=_describe(old, new))
    return membership


def _request_grant(request, *, membership: Membership, old: dict | None, new: dict) -> MembershipRequest:
    user = membership.user
    pending = pending_grant_of(user)
    if pending is not None:
        raise Refused(pending_grant_message(pending))
    try:
        with transaction.atomic():
            grant = MembershipRequest.objects.create(
                user=user, division_id=new["division_id"], role=new["role"], unit_id=new["unit_id"],
                title=membership.title, phone=membership.phone, requested_by=request.user,
            )
    except IntegrityError:  # another request for this user was saved a moment ago
        raise Refused("该用户已有一项待审批的岗位授权申请，请等安全管理员处理后再提交。") from None
    audit.record(request, action=Action.ROLE_CHANGE, obj=user, label=user.get_username(),
                 detail=f"申请{_describe(old, new)}（申请编号 {grant.pk}，待安全管理员审批后生效）")
    return grant


def pending_grants():
    """The requests waiting for a 安全管理员, oldest first."""
    return (MembershipRequest.objects.filter(status=RequestStatus.PENDING)
            .select_related("user", "division", "unit", "requested_by").order_by("requested_at", "id"))


def _locked_pending_grant(request, grant_id: int) -> MembershipRequest:
    grant = MembershipRequest.objects.select_for_update().filter(pk=grant_id).first()
    if grant is None:
        raise Refused("没有这项岗位授权申请。")
    conflict = decision_conflict(request.user, grant)
    if conflict:
        raise Forbidden(conflict)
    if grant.status != RequestStatus.PENDING:
        raise Refused(f"这项申请已经处理（{grant.get_status_display()}），无需重复操作。")
    return grant


@transaction.atomic
def approve_grant(request, *, grant_id: int, note: str = "") -> Membership:
    """A 安全管理员 approves a pending grant: the membership is created (must change password at first login) or
    changed, the request is marked approved, one audit row — all in one transaction."""
    return approve_locked_grant(request, grant=_locked_pending_grant(request, grant_id), note=note)


def approve_locked_grant(request, *, grant: MembershipRequest, note: str = "") -> Membership:
    """What approving one pending grant does, for `approve_grant` and the batch approval (accounts.onboarding):
    the caller holds the grant's row lock, inside its transaction, and has checked `decision_conflict`."""
    user = grant.user
    conflict = duty_conflict(role=grant.role, is_staff=user.is_staff, is_superuser=user.is_superuser)
    if conflict:
        raise Refused(conflict)
    membership = Membership.objects.select_for_update().filter(user=user).first()
    old = None if membership is None else {f: getattr(membership, f) for f in MEMBERSHIP_FIELDS}
    if membership is None:
        membership = Membership(user=user, must_change_password=True)
    membership.division, membership.role, membership.unit = grant.division, grant.role, grant.unit
    membership.title, membership.phone = grant.title, grant.phone
    try:
        membership.clean()
    except ValidationError as error:
        raise Refused("；".join(error.messages)) from None
    membership.save()
    grant.status, grant.decided_by, grant.decided_at = RequestStatus.APPROVED, request.user, timezone.now()
    grant.note = note[:200]
    grant.save(update_fields=["status", "decided_by", "decided_at", "note"])
    new = {f: getattr(membership, f) for f in MEMBERSHIP_FIELDS}
    detail = f"批准岗位授权申请（编号 {grant.pk}，申请人 {_username(grant.requested_by)}）：" + (
        _describe(old, new) if old != new else "岗位与申请一致，无变化")
    audit.record(request, action=Action.ROLE_CHANGE, obj=user, label=user.get_username(),
                 detail=detail + (f"；意见：{grant.note}" if grant.note else ""))
    return membership


@transaction.atomic
def refuse_grant(request, *, grant_id: int, note: str) -> MembershipRequest:
    """A 安全管理员 refuses a pending grant, with a reason; nothing about the user's access changes."""
    if not (note or "").strip():
        raise Refused("请填写拒绝理由。", field="note")
    grant = _locked_pending_grant(request, grant_id)
    grant.status, grant.decided_by, grant.decided_at = RequestStatus.REFUSED, request.user, timezone.now()
    grant.note = note.strip()[:200]
    grant.save(update_fields=["status", "decided_by", "decided_at", "note"])
    labels = _membership_labels({"role": grant.role, "division_id": grant.division_id, "unit_id": grant.unit_id})
    audit.record(request, action=Action.ROLE_CHANGE, obj=grant.user, label=grant.user.get_username(),
                 detail=f"拒绝岗位授权申请（编号 {grant.pk}，申请人 {_username(grant.requested_by)}）："
                        f"{labels['division_id']} · {labels['role']}；理由：{grant.note}")
    return grant


def _username(user) -> str:
    return user.get_username() if user is not None else "（账号已删除）"


@transaction.atomic
def delete_membership(request, *, membership: Membership):
    labels = _membership_labels({f: getattr(membership, f) for f in MEMBERSHIP_FIELDS})
    user = membership.user
    membership.delete()
    audit.record(request, action=Action.ROLE_CHANGE, obj=user, label=user.get_username(),
                 detail=f"撤销岗位：{labels['division_id']} · {labels['role']}")


ACCOUNT_FLAGS = {"is_active": "启用", "is_staff": "职员状态（可进入后台）", "is_superuser": "超级用户"}


@transaction.atomic
def save_account(request, *, user, created: bool):
    """Create or change an account in the admin; records its creation and any change of the flags that grant
    access (active, staff, superuser)."""
    User = get_user_model()
    old = None if created else User.objects.select_for_update().filter(pk=user.pk).values(*ACCOUNT_FLAGS).first()
    user.save()
    if created:
        detail = "创建账号（初始密码由管理员设置，首次登录须修改）"
    else:
        changes = [f"{label}：{'是' if old[f] else '否'} → {'是' if getattr(user, f) else '否'}"
                   for f, label in ACCOUNT_FLAGS.items() if old[f] != getattr(user, f)]
        if not changes:
            return user
        detail = "；".join(changes)
    audit.record(request, action=Action.ACCOUNT_CHANGE, obj=user, label=user.get_username(), detail=detail)
    return user


@transaction.atomic
def delete_account(request, *, user):
    username, pk = user.get_username(), user.pk
    user.delete()
    audit.record(request, action=Action.ACCOUNT_CHANGE, label=username, detail=f"删除账号（编号 {pk}）")
