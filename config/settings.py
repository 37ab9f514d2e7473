"""All settings, read from the environment here and nowhere else.

With nothing set the app runs for local use: SQLite in the project folder, tasks
in-process, DEBUG on. `DJANGO_ENV=production` turns on the production checks.
docs/deployment.md lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """The variable's value; an empty value counts as unset."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    return default if not value else value.lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    try:
        return int(value) if value else default
    except ValueError as wrong:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from wrong


def env_float(name: str, default: float) -> float:
    value = env(name)
    try:
        return float(value) if value else default
    except ValueError as wrong:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from wrong


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


ENVIRONMENT = env("DJANGO_ENV", "development").lower()
if ENVIRONMENT not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env("SECRET_KEY")
if PRODUCTION:
    # Refuse to start rather than run a government system with a guessable key
    # or with tracebacks shown to the public.
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured("Production needs SECRET_KEY (at least 32 characters).")
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with DEBUG on.")
    if not env("ALLOWED_HOSTS"):
        raise ImproperlyConfigured("Production needs ALLOWED_HOSTS (the host names the site answers to).")
elif not SECRET_KEY:
    SECRET_KEY = "development-only-key-not-for-production-use-0123456789"
# Earlier keys, while a new SECRET_KEY takes over: sessions, reset links and recovery codes made
# under them stay valid until these are removed.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    # Before django.contrib.auth: its changepassword command replaces Django's, so a password set at
    # the shell must be changed at the next sign-in like one an administrator sets in the admin.
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "treebeard",
    # Under Chinese names in the admin, with English in the catalog (config/apps.py).
    "config.apps.AxesConfig",
    "simple_history",
    "django_otp",
    "config.apps.TOTPConfig",
    "config.apps.StaticConfig",
    # The domain apps, from the bottom layer up (docs/architecture.md draws the house).
    "notifications",
    "similarity",
    "members",
    "responsibility",
    "meetings",
    "reviews",
    "rectification",
    "reminders",
    "workbench",
    "seeding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The Content Security Policy (no inline script) and the Permissions-Policy.
    "config.security_headers.SecurityHeadersMiddleware",
    # Serves static/ from the app itself: government intranets have no CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Gives request.user the second factor (otp_device) this session was verified with, if any.
    "django_otp.middleware.OTPMiddleware",
    # Lets the audit trail record who changed what and from which address.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The year the person works on, chosen once and kept across pages (foundation/years.py); needs the user.
    "foundation.years.YearContextMiddleware",
    # Session time limits, the two-factor step and the first-sign-in password change; needs the user and messages.
    "accounts.security.SessionSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a lockout flagged during sign-in into the lockout page; django-axes wants it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # `day` / `moment`: dates as <time> kept on one line (foundation/dates.py).
            "builtins": ["foundation.dates"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workbench.navigation.navigation",
                "notifications.context_processors.unread",
            ],
        },
    }
]

DATABASE_URL = env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
# Keeping connections open saves a connect per request; keep workers × this below max_connections.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the dev server read while a task writes, instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # A dropped connection is noticed before use instead of failing a request.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # PostgreSQL's JIT compiles the province-wide aggregates of the dashboard for longer than they
        # run (3.8 s of compiling for a 0.3 s query on seed_scale --orgs 100000, docs/benchmarks.md).
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out login is refused before its password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user would be one more row every query has to skip.
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "email", "phone")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    # Three of lower, upper, digit, symbol (等保 2.0 asks for mixed classes).
    {"NAME": "accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in security (docs/architecture.md, "Sign-in security"). Failures are counted per login
# and address together, so someone guessing one login cannot lock its owner out everywhere.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
if min(LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES, SESSION_IDLE_MINUTES, SESSION_ABSOLUTE_HOURS) < 1:
    raise ImproperlyConfigured(
        "LOGIN_FAILURE_LIMIT, LOGIN_LOCKOUT_MINUTES, SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be >= 1."
    )
# Two-factor sign-in (docs/deployment.md): required of administrators and committee roles in
# production; off by default in development so the demo logins of `make run` work without a phone.
TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", PRODUCTION)
# An administrator resets a lost device by deleting it; seeing its key or recovery codes would let them copy it.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Only behind our own front proxy may its X-Forwarded-For be believed (its last entry is the client).
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", PRODUCTION)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "foundation.client.client_address"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # our own accounts.security log records sign-ins and failures
# The cookie never outlives the absolute limit; accounts.security enforces both limits exactly.
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 3600

# The audit trail (docs/architecture.md, "Audit trail"): 等保 2.0 asks that it be kept at least
# 180 days; beat deletes what is older than this every night (`manage.py prune_audit` by hand).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 365)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least 180 (days the audit trail is kept).")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "var" / "staticfiles")))
# Evidence files live outside static/ and are served only through permission-checked views.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Celery: REDIS_URL switches to a real broker with workers and beat; without it
# every task runs in-process so `make run` needs nothing else started.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task for another
# …and with Redis that task is requeued at once, not after the hour's visibility timeout.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One cache shared by every web process when Redis is there (the ballot pages' limit on
# wrong codes counts per client across processes); otherwise each process keeps its own.
# 工作台 figures are counted over the whole subtree (seconds at province scale) and kept this long
# per person, root and year; 0 counts them afresh on every request.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 300)
# The rectification board's figures are kept until a task or finding below the board's root
# changes (accounts/figures_cache.py), and at most this long; 0 counts them on every request.
BOARD_CACHE_SECONDS = env_int("BOARD_CACHE_SECONDS", 600)
if min(DASHBOARD_CACHE_SECONDS, BOARD_CACHE_SECONDS) < 0:
    raise ImproperlyConfigured("DASHBOARD_CACHE_SECONDS and BOARD_CACHE_SECONDS must be 0 or more.")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "pb"}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Time moves warnings from green to yellow to red even when nobody writes: beat
# recomputes the day's stale items shortly after midnight.
CELERY_BEAT_SCHEDULE = {
    "responsibility-refresh-warnings": {
        "task": "responsibility.refresh_warnings",
        "schedule": crontab(hour=0, minute=20),
    },
}

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "noreply@localhost")

# Notifications: mail and group robots have no request to take the host from, so links in them
# start with SITE_URL. A robot that does not answer within the timeout is retried later with
# backoff; after NOTIFICATION_MAX_ATTEMPTS failures a delivery is given up (and logged).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
NOTIFICATION_WEBHOOK_TIMEOUT = env_float("NOTIFICATION_WEBHOOK_TIMEOUT", 5.0)
NOTIFICATION_MAX_ATTEMPTS = env_int("NOTIFICATION_MAX_ATTEMPTS", 6)
if NOTIFICATION_MAX_ATTEMPTS < 1 or NOTIFICATION_WEBHOOK_TIMEOUT <= 0:
    raise ImproperlyConfigured("Need NOTIFICATION_MAX_ATTEMPTS >= 1 and NOTIFICATION_WEBHOOK_TIMEOUT > 0.")
# The outbox is drained after every commit; this periodic pass sends what a broker outage
# left behind and the retries whose backoff has passed.
# Organizational life's lights move with the calendar: recomputed nightly, before the reminder sweep reads them.
CELERY_BEAT_SCHEDULE["meetings-refresh-life"] = {
    "task": "meetings.refresh_life",
    "schedule": crontab(hour=0, minute=35),
}

CELERY_BEAT_SCHEDULE["notifications-deliver"] = {
    "task": "notifications.deliver",
    "schedule": crontab(minute="*"),
}

CELERY_BEAT_SCHEDULE["accounts-prune-audit"] = {
    "task": "accounts.prune_audit",
    "schedule": crontab(hour=3, minute=40),
}

# A PDF asked for while the broker was down waits as queued; this sweep sends it once the broker is back.
CELERY_BEAT_SCHEDULE["workbench-requeue-renders"] = {
    "task": "workbench.requeue_renders",
    "schedule": crontab(minute="*/10"),
}

# Votes wait sealed until their organization has a batch; once a ballot window has closed, this
# adds the rest to the tallies (pages count them in memory until then, so nothing waits on it).
CELERY_BEAT_SCHEDULE["reviews-count-ballots"] = {
    "task": "reviews.count_ballots",
    "schedule": crontab(hour=0, minute=10),
}

# The largest import file an administrator may upload (bytes).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)
# Data rows per imported sheet or CSV file: a county's organizations or people fit; more goes in batches.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 20_000)
# Columns per imported sheet: the templates have seven, the rest is room for notes.
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
# What an .xlsx may expand to (bytes): 20,000 rows in both sheets take about 15 MB; more is a zip bomb.
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 50 * 1024 * 1024)
# Spreadsheet XML deflates 5 to 25 times; a part of 1 MB or more that inflates 100 times was built to.
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100)
if min(IMPORT_MAX_ROWS, IMPORT_MAX_COLUMNS, IMPORT_MAX_UNCOMPRESSED_BYTES, IMPORT_MAX_COMPRESSION_RATIO) < 1:
    raise ImproperlyConfigured(
        "IMPORT_MAX_ROWS, IMPORT_MAX_COLUMNS, IMPORT_MAX_UNCOMPRESSED_BYTES and IMPORT_MAX_COMPRESSION_RATIO"
        " must be at least 1."
    )

# Evidence files on duty records: the largest accepted file (bytes), and how many a record may carry.
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10)
# Warning colours: an unmet period turns yellow, then red, when the share of its time
# used exceeds the share of its target done by this much (0 < yellow < red <= 1).
RESPONSIBILITY_YELLOW_GAP = env_float("RESPONSIBILITY_YELLOW_GAP", 0.5)
RESPONSIBILITY_RED_GAP = env_float("RESPONSIBILITY_RED_GAP", 0.8)
if not 0 < RESPONSIBILITY_YELLOW_GAP < RESPONSIBILITY_RED_GAP <= 1:
    raise ImproperlyConfigured("Need 0 < RESPONSIBILITY_YELLOW_GAP < RESPONSIBILITY_RED_GAP <= 1.")

# Rectification: days past the deadline after which an open task is shown to the
# organization's secretary, then to the committee (督办), and flagged 整改不力; and how
# many returns make it 整改不力 too.
RECTIFICATION_SECRETARY_AFTER_DAYS = env_int("RECTIFICATION_SECRETARY_AFTER_DAYS", 7)
RECTIFICATION_COMMITTEE_AFTER_DAYS = env_int("RECTIFICATION_COMMITTEE_AFTER_DAYS", 14)
RECTIFICATION_WEAK_AFTER_DAYS = env_int("RECTIFICATION_WEAK_AFTER_DAYS", 30)
RECTIFICATION_WEAK_RETURNS = env_int("RECTIFICATION_WEAK_RETURNS", 2)
if not 0 < RECTIFICATION_SECRETARY_AFTER_DAYS <= RECTIFICATION_COMMITTEE_AFTER_DAYS:
    raise ImproperlyConfigured("Need 0 < RECTIFICATION_SECRETARY_AFTER_DAYS <= RECTIFICATION_COMMITTEE_AFTER_DAYS.")

# Deadline reminders: beat sweeps every deadline once a day at REMINDER_HOUR (Asia/Shanghai,
# CELERY_TIMEZONE) and reminds at these many days before a deadline and after it (overdue).
REMINDER_HOUR = env_int("REMINDER_HOUR", 8)
if not 0 <= REMINDER_HOUR <= 23:
    raise ImproperlyConfigured("REMINDER_HOUR must be an hour from 0 to 23.")
try:
    REMINDER_BEFORE_DAYS = sorted({int(days) for days in env_list("REMINDER_BEFORE_DAYS", "7,3,1")})
    REMINDER_AFTER_DAYS = sorted({int(days) for days in env_list("REMINDER_AFTER_DAYS", "1,7,14")})
except ValueError as wrong:
    raise ImproperlyConfigured("REMINDER_BEFORE_DAYS and REMINDER_AFTER_DAYS must be whole numbers: 7,3,1.") from wrong
# 0 before is the day itself; after starts the day after, so the two never name the same day.
if not all(0 <= days <= 365 for days in REMINDER_BEFORE_DAYS) or not all(
    1 <= days <= 365 for days in REMINDER_AFTER_DAYS
):
    raise ImproperlyConfigured("Need REMINDER_BEFORE_DAYS within 0..365 and REMINDER_AFTER_DAYS within 1..365.")
CELERY_BEAT_SCHEDULE["reminders-send"] = {
    "task": "reminders.send",
    "schedule": crontab(hour=REMINDER_HOUR, minute=0),
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Django's default, stated: a window of another site opened from here (or opening us) gets no handle on it.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    # Off by default: intranet sites under the same parent domain may still be HTTP-only.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # `check --deploy` warns about each choice below; docs/deployment.md section 6 explains why each is
    # a valid one, so a warning is silenced only while its choice is in force.
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, chosen in [
            ("security.W008", not SECURE_SSL_REDIRECT),  # the front proxy redirects HTTP to HTTPS
            ("security.W004", not SECURE_HSTS_SECONDS),  # the front proxy sends HSTS (keep only one)
            ("security.W005", not SECURE_HSTS_INCLUDE_SUBDOMAINS),  # sibling intranet sites may be HTTP-only
            ("security.W021", not SECURE_HSTS_PRELOAD),  # preload is for public sites only
        ]
        if chosen
    ]
    # TLS ends at the front proxy, which passes the original scheme in this header;
    # the app port must therefore be reachable by that proxy only.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO").upper()},
    # WeasyPrint and fontTools narrate every render at INFO; their warnings still show.
    "loggers": {name: {"level": "WARNING"} for name in ("weasyprint", "fontTools")},
}
# The hosts group robots may post to (WeCom and DingTalk), on port 443; an intranet relay can be
# added, as "host:port" when it listens on another port (only that port is then allowed).
NOTIFICATION_WEBHOOK_HOSTS = [
    host.lower() for host in env_list("NOTIFICATION_WEBHOOK_HOSTS", "qyapi.weixin.qq.com,oapi.dingtalk.com")
]

SITE_TITLE = _("党建工作责任制管理平台")
