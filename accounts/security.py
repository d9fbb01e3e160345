"""Account security (docs/security.md): who needs a second factor, when a password must change, lockouts, and the
services that change an account's security state — each one atomic and writing one audit row. Separation of duties
(三员: who may approve a grant, duty conflicts, the admin's account and post changes) is in accounts.duties.

Settings are read when a request is served, never at import, so tests (and operators) can switch them.
"""

import base64
import datetime
import secrets
import time

import django_otp
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model, update_session_auth_hash
from django.core import signing
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

import audit
from audit.models import Action, AuditEntry, Outcome
from core.errors import Forbidden, Refused
from org.models import (
    EnrolmentCode,
    Membership,
)
from org.selectors import membership_of

# Session keys (timestamps are Unix seconds).
LOGIN_AT = "security_login_at"
SEEN_AT = "security_seen_at"
OTP_ENROLLED = "security_otp_enrolled"
OTP_SETUP_KEY = "security_otp_setup_key"
OTP_ENROLMENT_CODE = "security_otp_enrolment_code"  # the id of the enrolment code the user typed (not the code)
# The idle clock is written at most this often, so ordinary page views do not rewrite the session row.
SEEN_RESOLUTION = 60


def context(request):
    """Template context: whether the second factor is on (the login page says so when it is off), lockout rule."""
    return {
        "two_factor_required": settings.REQUIRE_2FA,
        "lockout_limit": settings.AXES_FAILURE_LIMIT,
        "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "offers_second_factor": offers_second_factor(request),
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


# A session whose row has expired (or was deleted) leaves nobody signed in, so the timeout check above never sees it
# and no logout signal fires. A small signed cookie — (user id, login time), no personal data, dies with the browser
# like the session cookie — remembers that a session was open; a request carrying it without a signed-in session
# records the end once and the cookie is deleted (accounts.middleware.SessionTimeoutMiddleware).
MARKER_COOKIE = "jx_session"
MARKER_SALT = "accounts.security.session_marker"
LOST_SESSION_DETAIL = "会话超时结束（空闲/绝对时限）"


def session_marker(session) -> str | None:
    """The signed marker of the signed-in session (deterministic, so a string compare tells whether the browser's
    is current), or None when nobody is signed in. Reads the session only: no query."""
    user_id, login_at = session.get(SESSION_KEY), session.get(LOGIN_AT)
    if user_id is None or login_at is None:
        return None
    # Signer, not signing.dumps: dumps stamps the time, so the marker changed every second and was re-sent needlessly
    # (and a test comparing two requests failed when they straddled a second).
    return signing.Signer(salt=MARKER_SALT).sign_object([str(user_id), int(login_at)])


def record_lost_session(request, marker: str):
    """The browser says a session was open but none is: its row expired or vanished (idle or absolute limit, or
    `clearsessions`). One `logout` row for that session (its login time is the row's object label, so a second
    request carrying the same cookie before it is deleted adds nothing); a forged or garbled marker is ignored."""
    try:
        user_id, login_at = signing.Signer(salt=MARKER_SALT).unsign_object(marker)
        login_at = datetime.datetime.fromtimestamp(int(login_at), tz=datetime.UTC)
        user = get_user_model().objects.filter(pk=int(user_id)).first()
    except (signing.BadSignature, TypeError, ValueError, OverflowError):
        return None
    if user is None:
        return None
    label = f"会话（登录于 {timezone.localtime(login_at):%Y-%m-%d %H:%M:%S}）"
    if AuditEntry.objects.filter(action=Action.LOGOUT, user_id=user.pk, at__gte=login_at, detail=LOST_SESSION_DETAIL,
                                 object_label=label).exists():
        return None
    return audit.record(request, action=Action.LOGOUT, user=user, detail=LOST_SESSION_DETAIL, label=label)


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


def offers_second_factor(request) -> bool:
    """The header's 双因素认证 link: for whoever uses a second factor — the roles in OTP_REQUIRED_ROLES, staff and
    superusers (they need it, or will once REQUIRE_2FA is on) — and for anyone who has bound a device (to see it).
    Other roles (village and town staff, units) are not shown the link; the page stays open for a voluntary binding."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    return enrolment_code_required(user) or bool(session is not None and session.get(OTP_ENROLLED))


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
    """Confirm the secret shown on the setup page with a code from the app; then the user is verified. For the
    accounts that must use 2FA this also needs the enrolment code the user typed first (`accept_enrolment_code`),
    which is used up here, in the same transaction as the device."""
    user = request.user
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        return None
    enrolment = None
    if enrolment_code_required(user):
        enrolment = _usable_enrolment_code(request, lock=True)
        if enrolment is None:
            request.session.pop(OTP_ENROLMENT_CODE, None)
            audit.record(request, action=Action.OTP_FAILED, outcome=Outcome.FAILURE,
                         detail="绑定时没有有效的绑定码，未绑定")
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
    if enrolment is not None:
        enrolment.used_at = timezone.now()
        enrolment.save(update_fields=["used_at"])
        del request.session[OTP_ENROLMENT_CODE]
    del request.session[OTP_SETUP_KEY]
    _verified(request, device)
    audit.record(request, action=Action.OTP_SETUP, obj=device, label="TOTP",
                 detail=f"使用安全管理员签发的绑定码（编号 {enrolment.pk}）" if enrolment is not None else "")
    return device


# One-time enrolment codes: whoever holds a password alone must not bind their own authenticator to an account
# that must use 2FA. A 安全管理员 issues a code (after checking who is asking), it is shown once, only its keyed
# hash is stored, it expires after ENROLMENT_CODE_HOURS and is used up by the binding.
ENROLMENT_CODE_HOURS = 24
ENROLMENT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out over the phone
ENROLMENT_CODE_LENGTH = 16  # ~79 bits: not guessable online


def enrolment_code_required(user) -> bool:
    """Binding a first authenticator needs an enrolment code for the roles that must use 2FA (OTP_REQUIRED_ROLES)
    and for staff and superusers — whether or not REQUIRE_2FA is on now (a device bound today counts tomorrow)."""
    if user.is_staff or user.is_superuser:
        return True
    m = membership_of(user)
    return m is not None and m.role in settings.OTP_REQUIRED_ROLES


def _normalised_code(value: str) -> str:
    return "".join(c for c in str(value or "").upper() if c.isalnum())[:64]


def _code_hash(value: str) -> str:
    return salted_hmac("accounts.security.enrolment_code", _normalised_code(value), algorithm="sha256").hexdigest()


@transaction.atomic
def issue_enrolment_code(request, *, user, actor=None) -> str:
    """A 安全管理员 (or, with actor=None and no request, the operator at the server's command line) issues a new
    enrolment code for `user`; earlier unused ones stop working. Returns the code — the only time it exists."""
    actor = actor if actor is not None else getattr(request, "user", None)
    if actor is not None and actor.pk == user.pk:
        raise Forbidden("不能为自己签发绑定码，请由另一名安全管理员签发。")
    if confirmed_device(user) is not None:
        raise Refused(f"“{user.get_username()}”已绑定验证器：如需更换手机，请先重置其双因素认证，再签发绑定码。",
                      field="username")
    now = timezone.now()
    voided = EnrolmentCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    code = "".join(secrets.choice(ENROLMENT_CODE_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    row = EnrolmentCode.objects.create(user=user, code_hash=_code_hash(code), issued_by=actor, issued_at=now,
                                       expires_at=now + datetime.timedelta(hours=ENROLMENT_CODE_HOURS))
    detail = f"签发双因素绑定码（编号 {row.pk}，{ENROLMENT_CODE_HOURS} 小时内有效，仅可使用一次）"
    if voided:
        detail += f"；此前未使用的 {voided} 个绑定码作废"
    if actor is None:
        detail += "；由服务器命令行签发"
    audit.record(request, action=Action.OTP_CODE, obj=user, label=user.get_username(), user=actor, detail=detail)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def accept_enrolment_code(request, *, code: str) -> str | None:
    """The user types the code on the setup page; if it is theirs, unused and unexpired it is remembered in the
    session (its id, not the code) until the binding uses it. Returns why not, or None."""
    user = request.user
    row = EnrolmentCode.objects.filter(user=user, code_hash=_code_hash(code)).first()
    now = timezone.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        why = "绑定码错误" if row is None else ("绑定码已使用" if row.used_at is not None else "绑定码已过期")
        audit.record(request, action=Action.OTP_FAILED, outcome=Outcome.FAILURE, detail=why)
        return "绑定码无效、已使用或已过期。请联系安全管理员核实身份后重新签发。"
    request.session[OTP_ENROLMENT_CODE] = row.pk
    return None


def _usable_enrolment_code(request, *, lock=False) -> EnrolmentCode | None:
    pk = request.session.get(OTP_ENROLMENT_CODE)
    if not isinstance(pk, int):
        return None
    rows = EnrolmentCode.objects.select_for_update() if lock else EnrolmentCode.objects
    return rows.filter(pk=pk, user=request.user, used_at__isnull=True, expires_at__gt=timezone.now()).first()


def enrolment_code_accepted(request) -> bool:
    """Whether the setup page may show the QR code: no code needed, or a usable one was typed in this session."""
    return not enrolment_code_required(request.user) or _usable_enrolment_code(request) is not None


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
    """A 安全管理员 removes a user's devices (lost phone); the user binds a new one at the next login (with a new
    enrolment code, for the roles that must use 2FA)."""
    if request.user.pk == user.pk:
        raise Forbidden("不能重置自己的双因素认证，请由另一名安全管理员操作。")
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
    """A 安全管理员 lifts a lockout before the cool-off ends (the user proved who they are by other means)."""
    count = axes_reset(username=username)
    user = get_user_model().objects.filter(username=username).first()
    audit.record(request, action=Action.UNLOCK, obj=user, label=username,
                 detail=f"解除“{username}”的登录锁定（清除失败记录 {count} 条）")
    return count
