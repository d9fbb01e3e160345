"""Writes of the api app: systems, tokens, work orders, and the audit row of every call. Keyword-only arguments,
one transaction each. The case itself is registered by `cases.services.create_dispute`, never here."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone

import audit
from audit.models import Action, Outcome
from cases import services as case_services

from . import intake, tokens
from .models import ApiToken, ExternalSystem, WorkOrder


class Invalid(Exception):
    """The work order does not pass the registration form; `errors` are [{"field", "message"}]."""

    def __init__(self, errors):
        super().__init__("工单内容有误")
        self.errors = errors


def service_username(code: str) -> str:
    return f"api-{code}"


@transaction.atomic
def create_system(*, actor, name: str, code: str, division, callback_url: str = "") -> tuple[ExternalSystem, str]:
    """A new external system with its service account (no password, inactive: it never signs in, it is only the
    registrant of the cases the system sends) and a callback secret. Returns the system and the secret, which is
    shown once."""
    user = get_user_model().objects.create(
        username=service_username(code), first_name=f"{name}（接口）", password=make_password(None), is_active=False)
    secret = secrets.token_urlsafe(32)
    system = ExternalSystem.objects.create(name=name, code=code, division=division, callback_url=callback_url,
                                           callback_secret=secret, user=user)
    audit.record(None, action=Action.ACCOUNT_CHANGE, obj=system, user=actor, label=name,
                 detail=f"新建外部系统“{name}”（辖区：{division.name}），接口账号 {user.username}")
    return system, secret


@transaction.atomic
def issue_token(*, actor, system: ExternalSystem, label: str = "", can_create: bool = True, can_read: bool = True,
                rate_per_minute: int = 60) -> tuple[ApiToken, str]:
    """A new token of `system`. Returns the row and the token itself, which is never stored and shown once."""
    token = tokens.generate()
    row = ApiToken.objects.create(system=system, label=label, key_prefix=tokens.display_prefix(token),
                                  key_hash=tokens.digest(token), can_create=can_create, can_read=can_read,
                                  rate_per_minute=rate_per_minute, created_by=actor)
    scopes = "、".join(s for s, on in (("登记", can_create), ("查询", can_read)) if on) or "无"
    audit.record(None, action=Action.ACCOUNT_CHANGE, obj=row, user=actor, label=row.name,
                 detail=f"签发接口令牌（权限：{scopes}；每分钟{rate_per_minute}次）")
    return row, token


@transaction.atomic
def revoke_token(*, actor, token: ApiToken) -> bool:
    """Revoke a token (from now on: 401). Revoking a revoked token changes nothing and returns False."""
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor)
    if changed:
        token.refresh_from_db(fields=["revoked_at", "revoked_by"])
        audit.record(None, action=Action.ACCOUNT_CHANGE, obj=token, user=actor, label=token.name,
                     detail="吊销接口令牌")
    return bool(changed)


def existing_case(*, system: ExternalSystem, work_order_id: str):
    order = (WorkOrder.objects.select_related("dispute__holder_division", "dispute__holder_unit")
             .filter(system=system, work_order_id=work_order_id).first())
    return order.dispute if order else None


def intake_work_order(*, system: ExternalSystem, work_order_id: str, payload: dict):
    """The case of a work order: the one already registered for this id (created=False), or a new one registered
    through the registration form and `create_dispute` by the system's service account (created=True). Invalid
    content raises `Invalid` and registers nothing. Two requests of one id at once still make one case: the
    loser's insert hits the unique constraint, its transaction (case and number) rolls back, and it returns the
    winner's case."""
    found = existing_case(system=system, work_order_id=work_order_id)
    if found is not None:
        return found, False
    checked = intake.check(payload, division=system.division)
    if checked.errors:
        raise Invalid(checked.errors)
    try:
        with transaction.atomic():
            dispute = case_services.create_dispute(actor=system.user, **checked.case)
            WorkOrder.objects.create(system=system, work_order_id=work_order_id, dispute=dispute)
    except IntegrityError:
        found = existing_case(system=system, work_order_id=work_order_id)
        if found is None:
            raise
        return found, False
    return dispute, True


OPERATIONS = {"create": "登记案件", "read": "查询案件"}


def log_call(request, *, token: ApiToken | None, operation: str, status: int, result: str, number: str = "",
             presented: str = "") -> None:
    """The audit row of one API call: who (the token's name and service account), what, which case, the result.
    Creating is a 案件写入 row, reading an 导出 row (data leaves for another system), a refusal 越权或不存在的访问.
    `presented` is the prefix of an unknown token (never the whole token)."""
    if status in (401, 403, 404, 429):
        action = Action.ACCESS_DENIED
    else:
        action = Action.CASE_WRITE if operation == "create" else Action.EXPORT
    who = token.name if token is not None else f"未知令牌 {presented or '（未提供）'}"
    detail = f"外部接口 {OPERATIONS.get(operation, operation)}：{who}；{result}（{status}）"
    audit.record(request, action=action, outcome=Outcome.SUCCESS if status < 400 else Outcome.FAILURE,
                 user=token.system.user if token is not None else None,
                 username=None if token is not None else "外部接口", label=number, detail=detail)
