"""Account security (docs/security.md): who needs a second factor, when a password must change, separation of
duties, and the services that change an account's security state — each one atomic and writing one audit row.

Settings are read when a request is served, never at import, so tests (and operators) can switch them.
"""

import base64
import datetime
import time

import django_otp
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

import audit
from audit.models import Action, Outcome
from org.models import Division, Membership, Role, Unit
from org.selectors import membership_of

# Session keys (timestamps are Unix seconds).
LOGIN_AT = "security_login_at"
SEEN_AT = "security_seen_at"
OTP_ENROLLED = "security_otp_enrolled"
OTP_SETUP_KEY = "security_otp_setup_key"
# The idle clock is written at most this often, so ordinary page views do not rewrite the session row.
SEEN_RESOLUTION = 60


def context(request):
    """Template context: whether the second factor is on (the login page says so when it is off), lockout rule."""
    return {
        "two_factor_required": settings.REQUIRE_2FA,
        "lockout_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }


# --- Sessions -------------------------------------------------------------------------------------------------------


def now_ts() -> float:
    return timezone.now().timestamp()


def start_session(request, user):
    """Called on every login (our page, the admin's, the test client's force_login)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session[LOGIN_AT] = session[SEEN_AT] = now_ts()
    session[OTP_ENROLLED] = django_otp.user_has_device(user)


def session_expiry(session) -> str | None:
    """Why this signed-in session is over, or None. Stamps the idle clock (at most once a minute)."""
    now = now_ts()
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if login_at is None or seen_at is None:  # a session that predates these rules: start the clocks now
        session.setdefault(LOGIN_AT, now)
        session[SEEN_AT] = now
        return None
    if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT:
        return f"登录已超过 {settings.SESSION_ABSOLUTE_TIMEOUT // 3600} 小时，请重新登录。"
    if now - seen_at > settings.SESSION_IDLE_TIMEOUT:
        return f"超过 {settings.SESSION_IDLE_TIMEOUT // 60} 分钟没有操作，请重新登录。"
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return None


# --- Second factor --------------------------------------------------------------------------------------------------


def requires_second_factor(request) -> bool:
    """2FA applies when REQUIRE_2FA is on, to the roles in OTP_REQUIRED_ROLES, to staff and superusers, and to
    anyone who has bound a device of their own accord."""
    if not settings.REQUIRE_2FA:
        return False
    user = request.user
    if user.is_staff or user.is_superuser or request.session.get(OTP_ENROLLED):
        return True
    m = membership_of(user)
    return m is not None and m.role in settings.OTP_REQUIRED_ROLES


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def setup_key(request) -> str:
    """The secret offered on the setup page, kept in the session (not the database) until it is confirmed."""
    key = request.session.get(OTP_SETUP_KEY)
    if not key:
        key = request.session[OTP_SETUP_KEY] = random_hex(20)
    return key


def provisioning_uri(user, key: str) -> str:
    return TOTPDevice(user=user, key=key).config_url


def manual_key(key: str) -> str:
    """The secret in base32, in groups of four, for typing into an authenticator app."""
    secret = base64.b32encode(bytes.fromhex(key)).decode()
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(text: str) -> str:
    """A QR code as an SVG data: URI, rendered here (no CDN, no script; CSP img-src allows data:)."""
    import qrcode
    import qrcode.image.svg

    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _token(value: str) -> int | None:
    value = (value or "").strip().replace(" ", "")
    return int(value) if value.isdigit() and len(value) in (6, 8) else None


def _verified(request, device):
    django_otp.login(request, device)
    request.session[OTP_ENROLLED] = True
    request.session.cycle_key()  # a new session id once the second factor is proven


@transaction.atomic
def bind_totp_device(request, *, token: str) -> TOTPDevice | None:
    """Confirm the secret shown on the setup page with a code from the app; then the user is verified."""
    user = request.user
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        return None
    device = TOTPDevice(user=user, key=setup_key(request), name="手机验证器", confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    code = _token(token)
    if code is None or not totp.verify(code, device.tolerance):
        audit.record(request, action=Action.OTP_FAILED, outcome=Outcome.FAILURE, detail="绑定时验证码错误")
        return None
    device.last_t = totp.t()
    device.save()
    del request.session[OTP_SETUP_KEY]
    _verified(request, device)
    audit.record(request, action=Action.OTP_SETUP, obj=device, label="TOTP")
    return device


def verify_second_factor(request, *, token: str) -> tuple[bool, str]:
    """Check a code against the user's device (django-otp throttles repeated failures)."""
    user = request.user
    device = confirmed_device(user)
    if device is None:
        return False, "尚未绑定验证器。"
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        audit.record(request, action=Action.OTP_FAILED, outcome=Outcome.FAILURE, detail="尝试过于频繁，已暂停验证")
        return False, "验证码错误次数过多，请稍等片刻再试。"
    # A malformed code counts as a failure too (TOTPDevice.verify_token throttles it).
    verified = django_otp.verify_token(user, device.persistent_id, (token or "").strip().replace(" ", ""))
    if verified is None:
        audit.record(request, action=Action.OTP_FAILED, outcome=Outcome.FAILURE, detail="验证码错误")
        return False, "验证码不正确，请输入验证器上当前显示的 6 位数字。"
    _verified(request, verified)
    audit.record(request, action=Action.OTP_VERIFY, obj=verified, label="TOTP")
    return True, ""


@transaction.atomic
def reset_second_factor(request, *, user) -> int:
    """An administrator removes a user's devices (lost phone); the user binds a new one at the next login."""
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    audit.record(request, action=Action.OTP_RESET, obj=user, label=user.get_username(),
                 detail=f"删除验证器 {count} 个，用户下次登录须重新绑定")
    return count


# --- Passwords ------------------------------------------------------------------------------------------------------


def password_change_reason(user) -> str | None:
    """Why this user must change their password before doing anything else, or None."""
    m = membership_of(user)
    if m is None:
        return None
    if m.must_change_password:
        return "您的密码由系统管理员设置，请先修改为只有您本人知道的新密码。"
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days and m.password_changed_at < timezone.now() - datetime.timedelta(days=days):
        return f"您的密码已使用超过 {days} 天，请修改后继续使用。"
    return None


@transaction.atomic
def change_password(request, *, user, new_password: str):
    """The user sets their own new password (already validated by the form)."""
    user.set_password(new_password)
    user.save(update_fields=["password"])  # accounts.validators.PasswordChangeTracker stamps password_changed_at
    Membership.objects.filter(user=user).update(must_change_password=False)
    m = membership_of(user)
    if m is not None:  # the copy cached on this request's user
        m.must_change_password, m.password_changed_at = False, timezone.now()
    update_session_auth_hash(request, user)
    audit.record(request, action=Action.PASSWORD_CHANGE, user=user)


@transaction.atomic
def password_set_by_admin(request, *, user):
    """An administrator set `user`'s password in the admin: only the administrator knows it, so it must change at
    the next login (unless the administrator set their own)."""
    if user.pk == request.user.pk:
        audit.record(request, action=Action.PASSWORD_CHANGE, user=user, detail="在后台管理中修改本人密码")
        return
    Membership.objects.filter(user=user).update(must_change_password=True)
    audit.record(request, action=Action.PASSWORD_RESET, obj=user, label=user.get_username(),
                 detail="管理员设置了新密码，用户下次登录须修改")


# --- Separation of duties -------------------------------------------------------------------------------------------


def duty_conflict(*, role: str | None, is_staff: bool, is_superuser: bool) -> str | None:
    """Administration (Django admin: staff/superuser) and every other duty are held by different people: an
    auditor never administers, and an administrator holds no case role (DESIGN.md §2)."""
    if not (is_staff or is_superuser) or not role or role == Role.ADMIN:
        return None
    if role == Role.AUDITOR:
        return "审计员不能同时担任系统管理员：审计员账号不能勾选“职员状态”或“超级用户状态”。"
    return f"只有“系统管理员”角色可以进入后台管理；“{Role(role).label}”账号不能勾选“职员状态”或“超级用户状态”。"


def refuse_duty_conflict(request, *, user, message: str):
    audit.record(request, action=Action.DUTY_CONFLICT, outcome=Outcome.FAILURE, obj=user,
                 label=user.get_username() if user is not None and user.pk else "", detail=message)


MEMBERSHIP_FIELDS = {"role": "角色", "division_id": "区划", "unit_id": "单位"}


def _membership_labels(values: dict) -> dict:
    division = Division.objects.filter(code=values["division_id"]).values_list("name", flat=True).first()
    unit = values["unit_id"] and Unit.objects.filter(pk=values["unit_id"]).values_list("name", flat=True).first()
    return {"role": Role(values["role"]).label if values["role"] else "—", "division_id": division or "—",
            "unit_id": unit or "—"}


@transaction.atomic
def save_membership(request, *, membership: Membership, created: bool) -> Membership:
    """Create or change a user's division, role and unit (the admin's save). A new membership belongs to an
    account the administrator set up, so its password must be changed at first login."""
    old = None
    if not created:
        old = Membership.objects.select_for_update().filter(pk=membership.pk).values(*MEMBERSHIP_FIELDS).first()
    if created:
        membership.must_change_password = True
    membership.save()
    new = {f: getattr(membership, f) for f in MEMBERSHIP_FIELDS}
    username = membership.user.get_username()
    if old is None:
        labels = _membership_labels(new)
        detail = f"设定岗位：{labels['division_id']} · {labels['role']}" + (
            f" · {labels['unit_id']}" if new["unit_id"] else "")
    else:
        if old == new:
            return membership
        before, after = _membership_labels(old), _membership_labels(new)
        detail = "；".join(f"{label}：{before[f]} → {after[f]}" for f, label in MEMBERSHIP_FIELDS.items()
                          if old[f] != new[f])
    audit.record(request, action=Action.ROLE_CHANGE, obj=membership.user, label=username, detail=detail)
    return membership


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


# --- Lockout --------------------------------------------------------------------------------------------------------


def lockout_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the typed user name, cut to the longest real one (150). Axes stores it in a 255-char
    column and the login form does not enforce a length, so a megabyte of text must not become a database error."""
    if credentials:
        value = credentials.get("username")
    else:
        value = getattr(request, "POST", {}).get("username")
    return None if value is None else str(value)[:150]


def locked_usernames() -> list[dict]:
    """User names locked right now (failures within the cool-off window at or over the limit), newest first."""
    cooloff = settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - cooloff)
        .values("username")
        .annotate(failures=Sum("failures_since_start"), last_attempt=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by("-last_attempt")
    )
    return [{**row, "unlock_at": row["last_attempt"] + cooloff} for row in rows]


@transaction.atomic
def unlock(request, *, username: str) -> int:
    """An administrator lifts a lockout before the cool-off ends (the user proved who they are by other means)."""
    count = axes_reset(username=username)
    user = get_user_model().objects.filter(username=username).first()
    audit.record(request, action=Action.UNLOCK, obj=user, label=username,
                 detail=f"解除“{username}”的登录锁定（清除失败记录 {count} 条）")
    return count
