"""Settings for 平安周例会, read from the environment (django-environ).

Every deployment knob is an environment variable (or a line of `.env`, see `.env.example`).
"""

import copy
import datetime
import os
import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost"]),
)
environ.Env.read_env(BASE_DIR / ".env")  # never overrides variables already set

DEBUG = env("DEBUG")
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-development-key-only-for-debug"
    else:
        raise ImproperlyConfigured("SECRET_KEY 未设置：关闭 DEBUG 时必须通过环境变量或 .env 提供 SECRET_KEY。")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",  # before accounts: accounts/admin.py unregisters its admin (2FA reset is logged)
    "django_tasks",  # the job queue (docs/jobs.md): the backport of Django 6's tasks framework
    "django_tasks_db",  # its database backend (job rows in our database); before notify, whose admin hides its admin
    "core",
    "org",
    "accounts",
    "audit",
    "cases",
    "meetings",
    "notify",
    "stats",
    "perf",  # benchmark seed and timing commands only (docs/performance.md)
    "api",  # the intake API for the 12345 hotline and the grid platform (docs/api.md)
]

# Order matters (docs/security.md §3): the session and user first; the timeouts before anything records or gates;
# the 2FA gate before the password gate; CSP outside the lockout response; Axes last, as its docs require.
MIDDLEWARE = [
    "core.middleware.FriendlyErrorPagesMiddleware",  # the demo (DEBUG) shows our Chinese 403/404/500 pages too
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.middleware.NulByteMiddleware",  # a NUL byte in the path or a parameter: 400 before anything reads it
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.NoStoreForSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionTimeoutMiddleware",
    "audit.middleware.AuditMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RefusedMiddleware",  # a service's refusal that no form showed becomes a Chinese error page
    "jiaxiang.db_router.ReportsFromReplicaMiddleware",  # statistics and exports read from DATABASES["replica"]
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jiaxiang.urls"

# <input>, <select> and <textarea> written in Python, byte for byte as Django's templates (core/form_renderer.py).
FORM_RENDERER = "core.form_renderer.FastRenderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "org.context_processors.membership",
                "cases.context_processors.navigation",
                "notify.context_processors.todo_badge",
                "accounts.security.context",
            ],
        },
    },
]

WSGI_APPLICATION = "jiaxiang.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
PG_OPTIONS = f"-c jit=off -c random_page_cost={env.float('PG_RANDOM_PAGE_COST', default=1.1)}"  # see below
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers (two users signing one referral at once): WAL lets readers run beside the writer; IMMEDIATE
    # takes the write lock at BEGIN, so a second writer waits for it (up to `timeout` seconds) and then reads the
    # first one's result, instead of failing with "database is locked" when it upgrades a stale read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
    # Tests: a file, one per process (pytest-xdist appends the worker's suffix), so that threads can share it; the
    # default in-memory test database cannot be opened by a second thread (tests/cases/test_sqlite_concurrency.py).
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", str(Path(tempfile.gettempdir()) / f"jiaxiang-test-{os.getpid()}.sqlite3"))
else:
    # JIT compilation cost ~1 s per list query at 100k cases and saved nothing (docs/benchmarks.md). The planner's
    # random-read cost is deploy/postgresql.conf's (SSD, 1.1) on every connection, so tests, CI and the benchmark plan
    # as production does: with the server default (4) a town's filtered ledger walked the whole county's
    # registration index instead of the town's (docs/performance.md, tests/perf/test_plans_pg.py).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = PG_OPTIONS
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)

# A read replica for statistics and exports (docs/deploy.md): REPLICA_DATABASE_URL, otherwise the primary itself.
# jiaxiang/db_router.py sends the case-content reads of the views named in REPLICA_VIEWS there; everything else,
# and every write, goes to the primary. Tests share the primary's test database (MIRROR).
_replica_url = env("REPLICA_DATABASE_URL", default="")
DATABASES["replica"] = env.db("REPLICA_DATABASE_URL") if _replica_url else copy.deepcopy(DATABASES["default"])
DATABASES["replica"].update(ATOMIC_REQUESTS=False, TEST={"MIRROR": "default"})
if DATABASES["replica"]["ENGINE"] != "django.db.backends.sqlite3":
    # Read-only sessions: a write routed here by mistake fails loudly instead of landing on the replica (or, when the
    # "replica" is the primary itself, bypassing the router's rule that writes go to "default").
    DATABASES["replica"]["OPTIONS"] = {"options": f"{PG_OPTIONS} -c default_transaction_read_only=on"}
    DATABASES["replica"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASE_ROUTERS = ["jiaxiang.db_router.ReplicaRouter"]
REPLICA_READS = env.bool("REPLICA_READS", default=bool(_replica_url))  # off: the replica alias is never used
REPLICA_VIEWS = ["stats:*", "cases:export", "cases:casebook_export"]  # URL names; "app:*" for a whole namespace
REPLICA_APPS = ["cases", "meetings", "stats"]  # only their models; accounts, sessions, org, audit stay on the primary

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Identification and authentication (等保 8.1.4.1 身份鉴别; docs/security.md) -----------------------------------

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked usernames before the password is even checked
    "django.contrib.auth.backends.ModelBackend",
]

# Django's four rules (with fixed Chinese messages), then 3 of 4 character classes, then the age tracker.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "accounts.validators.PasswordChangeTracker"},
]
# A password older than this must be changed at the next request (0 turns the rule off).
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)

# Lockout (django-axes): by username only, so a shared village office NAT address never locks a whole town out.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True
# A try during the lockout is refused but does not restart the 30 minutes (the page promises a fixed time).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "audit.ip.client_ip"  # the same proxy-aware, unspoofable address the audit log uses
AXES_USERNAME_CALLABLE = "accounts.security.lockout_username"  # typed names cut to 150 characters
AXES_ENABLE_ADMIN = False  # attempts are unlocked only through the logged view (account:security)
AXES_DISABLE_ACCESS_LOG = True  # logins are in the audit log already; one record, not two
AXES_VERBOSE = False
# axes.W006 warns that a username-only lockout could be dodged by rotating IP, user agent or cookies. It cannot here:
# Axes sums the failures of every attempt row with that username, whatever their address or agent (tested in
# tests/security/test_lockout.py). Locking by address would lock whole village offices behind one NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Second factor (django-otp, TOTP). Off in the DEBUG demo; the login page then says so.
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=not DEBUG)
OTP_REQUIRED_ROLES = ["county_centre", "admin", "security_admin", "auditor"]  # staff and superusers always need it too
OTP_TOTP_ISSUER = "嘉祥县平安周例会"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions: 30 minutes idle, 12 hours absolute (accounts.middleware.SessionTimeoutMiddleware); the cookie dies with the
# browser (shared office computers) and the server-side row with the absolute limit.
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("SESSION_ABSOLUTE_TIMEOUT", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Client addresses: REMOTE_ADDR unless it is one of these reverse proxies (IPs or CIDR), see audit/ip.py.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# With DEBUG on, answer 403/404/500 with our Chinese pages rather than Django's technical ones (core.middleware).
FRIENDLY_ERROR_PAGES = env.bool("FRIENDLY_ERROR_PAGES", default=True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
# Our wording of Django's own messages (password rules …), searched before Django's catalogues.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Transport and headers: on whenever DEBUG is off; `manage.py check --deploy --fail-level WARNING` passes ---------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # no script reads the token; forms carry it
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # probes talk plain HTTP to gunicorn on 127.0.0.1 (jiaxiang/health.py)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("BEHIND_TLS_PROXY", default=False):
    # Only when the proxy in TRUSTED_PROXIES terminates TLS and overwrites this header on every request.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4.x format): no inline script or style anywhere, no framing, no CDN.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # data: for the server-rendered 2FA QR code
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Personal information at rest (cases/crypto.py, docs/pii.md) ---------------------------------------------------
FIELD_ENCRYPTION_KEY = env("FIELD_ENCRYPTION_KEY", default="")
FIELD_ENCRYPTION_OLD_KEYS = env.list("FIELD_ENCRYPTION_OLD_KEYS", default=[])
FIELD_HASH_KEY = env("FIELD_HASH_KEY", default="")  # optional; otherwise derived from the key with HKDF
if not FIELD_ENCRYPTION_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY 未设置：关闭 DEBUG 时必须通过环境变量或 .env 提供当事人信息加密密钥"
        "（32字节随机数的 base64 编码，生成：python -c \"import base64,os;print(base64.b64encode(os.urandom(32)).decode())\"）。"
        "密钥不得存放在数据库中；丢失密钥将无法解密已登记的身份证号、电话和住址。"
    )
PII_REVEALS_PER_HOUR = env.int("PII_REVEALS_PER_HOUR", default=10)

# --- Case attachments (cases/attachments.py) ----------------------------------------------------------------------
# Outside STATIC_ROOT and any MEDIA_URL: served only by cases.views_attachments after a jurisdiction check.
ATTACHMENT_ROOT = env.path("ATTACHMENT_ROOT", default=BASE_DIR / "var" / "attachments")
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Case list: rows per page, and how deep the page number may go (OFFSET stays bounded on 100k+ cases).
CASE_LIST_PAGE_SIZE = 25
CASE_LIST_MAX_PAGES = 200
# The ledger's Excel export (cases.views.export): above this many rows it asks to narrow the filter.
LEDGER_EXPORT_MAX_ROWS = env.int("LEDGER_EXPORT_MAX_ROWS", default=100_000)

# Audit log (audit app): pages of the auditor's list, and the most rows one CSV export may hold.
AUDIT_PAGE_SIZE = 50
AUDIT_EXPORT_MAX_ROWS = env.int("AUDIT_EXPORT_MAX_ROWS", default=100_000)
# Not-found responses for these paths are browser noise, not probing; they are not recorded as access_denied.
AUDIT_IGNORED_PATHS = ["/favicon.ico", "/robots.txt", "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png"]

# --- The citizen's side (issue 13 #4, docs/citizen.md): receipt, public status page /q/<查询码>/, rating ----------
# The address printed (and QR-coded) on the receipt, e.g. https://pingan.jiaxiang.gov.cn; empty: the address the
# receipt page was opened at (its host is one of ALLOWED_HOSTS).
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", default="")
CITIZEN_HOTLINE = env("CITIZEN_HOTLINE", default="12345（政务服务便民热线）")
# Per client address (audit.ip.client_ip) and window: public look-ups (status page, rating page) and ratings sent.
CITIZEN_LOOKUPS_PER_WINDOW = env.int("CITIZEN_LOOKUPS_PER_WINDOW", default=30)
CITIZEN_RATINGS_PER_WINDOW = env.int("CITIZEN_RATINGS_PER_WINDOW", default=5)
CITIZEN_WINDOW_SECONDS = env.int("CITIZEN_WINDOW_SECONDS", default=600)
# The counters live in the cache: with more than one application process, one shared cache for all of them
# (CACHE_URL=redis://127.0.0.1:6379/1); the default is per process.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Background jobs and delivery of 待办 (docs/jobs.md; notify/jobs.py, notify/delivery/) --------------------------
# Jobs are rows in our database (django-tasks' database backend), written in the transaction of the change that
# asks for them; `manage.py db_worker --queue-name '*'` runs them, on any number of machines (row locks). Tests run
# them synchronously (tests/conftest.py switches to the immediate backend).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
        "QUEUES": [],  # any queue name: every app may name its own (the worker takes all of them)
    },
}
# Channels of a user who has set no preference (notify.Preference): sms, email (WeCom robots are per division).
NOTIFY_DEFAULT_CHANNELS = env.list("NOTIFY_DEFAULT_CHANNELS", default=["sms"])
NOTIFY_MAX_ATTEMPTS = env.int("NOTIFY_MAX_ATTEMPTS", default=12)  # then 发送失败, retried by hand in the admin
NOTIFY_HTTP_TIMEOUT = env.float("NOTIFY_HTTP_TIMEOUT", default=5.0)
# The address links in SMS / WeCom / e-mail point to, e.g. https://pingan.jiaxiang.gov.cn (no link when empty).
SITE_URL = env("SITE_URL", default="").rstrip("/")
# SMS: "log" (demo: written to the log, nothing sent) or "aliyun" (阿里云短信 SendSms, signed request).
SMS_PROVIDER = env("SMS_PROVIDER", default="log")
SMS_TEMPLATE_CODE = env("SMS_TEMPLATE_CODE", default="")  # 您有新的待办：${kind}，案件${number}，请登录平安周例会处理。
SMS_URGENT_TEMPLATE_CODE = env("SMS_URGENT_TEMPLATE_CODE", default="")  # the red-warning template (else the above)
ALIYUN_SMS_ENDPOINT = env("ALIYUN_SMS_ENDPOINT", default="https://dysmsapi.aliyuncs.com/")
ALIYUN_SMS_REGION = env("ALIYUN_SMS_REGION", default="cn-hangzhou")
ALIYUN_SMS_ACCESS_KEY_ID = env("ALIYUN_SMS_ACCESS_KEY_ID", default="")
ALIYUN_SMS_ACCESS_KEY_SECRET = env("ALIYUN_SMS_ACCESS_KEY_SECRET", default="")
ALIYUN_SMS_SIGN_NAME = env("ALIYUN_SMS_SIGN_NAME", default="")
WECOM_WEBHOOK_URL = env("WECOM_WEBHOOK_URL", default="https://qyapi.weixin.qq.com/cgi-bin/webhook/send")
# E-mail through Django's mail framework: EMAIL_URL=smtp+tls://user:password@smtp.example.cn:587 (django-environ).
vars().update(env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://127.0.0.1:25"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="平安周例会 <noreply@localhost>")

# --- Cache and sessions (docs/deploy.md): optional Redis, shared by every app server --------------------------------
# REDIS_URL (or CACHE_URL), e.g. redis://127.0.0.1:6379/0. Without it: the per-process memory cache and sessions in
# the database, which is right for one server. With it: Django's built-in Redis cache, and sessions cached there but
# still written through to the database (cached_db), so a Redis restart signs nobody out. The lockout (django-axes,
# database handler) and the reveal budget (PII_REVEALS_PER_HOUR, counted in the database) never depend on the cache.
_cache_url = env("CACHE_URL", default="") or env("REDIS_URL", default="")
if _cache_url.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url, "KEY_PREFIX": "jiaxiang",
        "TIMEOUT": 300, "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }}
    SESSION_ENGINE = env("SESSION_ENGINE", default="django.contrib.sessions.backends.cached_db")
elif _cache_url:
    CACHES = {"default": env.cache_url("CACHE_URL")}
SESSION_ENGINE = env("SESSION_ENGINE", default=globals().get("SESSION_ENGINE", "django.contrib.sessions.backends.db"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
}
