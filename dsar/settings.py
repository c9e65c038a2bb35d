"""Settings for the DSAR workflow application.

Every value comes from an environment variable (see README "Configuration" and
``.env.example``). With nothing set, the application runs on its embedded defaults: SQLite,
a file-system Celery broker, file storage and file email, all under ``var/``. With
``DSAR_ENV=production`` it refuses to start unless a secret key, a server database, a
server broker and the allowed host names are given, and it turns on the HTTPS settings.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext

from dsar.env import (
    PROBLEMS,
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_list,
    env_rate,
    env_secret,
    env_str,
    problem,
    problems_raise,
)

PROBLEMS.clear()  # a fresh reading of the settings reports only its own problems

# Lets classes such as admin.ModelAdmin[Model] be subscripted at run time, as the types say.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DSAR_ENV = env_choice("DSAR_ENV", "development", ("development", "production"))
PRODUCTION = DSAR_ENV == "production"

# Everything the embedded defaults write (database, broker queue, files, mail) lives here.
VAR_DIR = Path(env_str("DSAR_VAR_DIR", str(BASE_DIR / "var"))).resolve()

DEBUG = env_bool("DSAR_DEBUG", default=False)
if PRODUCTION and DEBUG:
    problem("DSAR_DEBUG must be off when DSAR_ENV=production")


def _development_secret_key() -> str:
    """Keep one random key per checkout so sessions survive restarts of the quick start."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY and PRODUCTION:
    problem("SECRET_KEY (or SECRET_KEY_FILE) is required when DSAR_ENV=production")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()
elif PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    problem("SECRET_KEY must be at least 50 random characters")

ALLOWED_HOSTS = env_list("DSAR_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    problem("DSAR_ALLOWED_HOSTS is required when DSAR_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("DSAR_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "requests_app",
]
if not PRODUCTION:
    # The demo estate and its commands (load_demo, seed_demo): the quick start and the tests.
    INSTALLED_APPS += ["demo"]

# Celery beat keeps its schedule in the database (django-celery-beat): the periodic tasks are
# rows an administrator edits in the admin. dsar.beat installs the defaults of
# dsar/celery.py that are missing and never overwrites an edited one.
INSTALLED_APPS += ["django_celery_beat"]

# --- The REST API (/api/v1/) and its OpenAPI schema (/api/schema/) ---
INSTALLED_APPS += ["rest_framework", "drf_spectacular", "drf_spectacular_sidecar"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "requests_app.api.auth.ApiKeyAuthentication",
        "requests_app.api.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["requests_app.api.auth.ScopeRequired"],
    "DEFAULT_THROTTLE_CLASSES": ["requests_app.api.auth.CallerThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "requests_app.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DSAR workflow API",
    "DESCRIPTION": (
        "Data subject requests: create, read and act on them, read the data map and the metrics. "
        "Authenticate with `Authorization: Bearer <API key>`; each operation names the scope it needs. "
        'Errors have one shape: `{"error": {"code": ..., "message": ..., "details": ...}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description of the API is public; every operation in it wants a key.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "APPEND_COMPONENTS": {
        "securitySchemes": {"ApiKey": {"type": "http", "scheme": "bearer", "description": "An API key: dsar_..."}}
    },
    "SECURITY": [{"ApiKey": []}],
    "AUTHENTICATION_WHITELIST": [],
}

# --- Staff UI: two-factor login (django-otp) and lockout after failed logins (django-axes) ---
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "requests_app.infra.language.QueryLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# A strict Content-Security-Policy on every page: scripts and styles from this site's own
# files only (no inline script or style, no eval), nothing framed, forms posted only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Staff UI middleware: OTPMiddleware after AuthenticationMiddleware (it marks the user as
# verified by a second factor); AxesMiddleware last, so it turns a lockout into its page. ---
MIDDLEWARE += [
    "django_otp.middleware.OTPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dsar.urls"
WSGI_APPLICATION = "dsar.wsgi.application"

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
                "requests_app.infra.context_processors.branding",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------

DATABASE_URL = env_secret("DATABASE_URL", f"sqlite:///{VAR_DIR / 'dsar.sqlite3'}")
_conn_max_age = env_int("DSAR_DB_CONN_MAX_AGE", 60, minimum=0)
_database_url_read = True
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=_conn_max_age, conn_health_checks=True)
except ValueError:
    _database_url_read = False
    # The URL itself is not repeated: it may hold a password.
    problem("DATABASE_URL is not a database URL such as postgres://user:password@host:5432/name")
    _database = dj_database_url.parse(f"sqlite:///{VAR_DIR / 'dsar.sqlite3'}", conn_max_age=_conn_max_age)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if PRODUCTION and _database_url_read:
        problem("DATABASE_URL must name a PostgreSQL server when DSAR_ENV=production")
    Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server, the worker and beat share the file: WAL lets readers work while one
    # writes, and IMMEDIATE transactions take the write lock up front instead of failing
    # half-way when two writers meet.
    _database["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    _database["CONN_MAX_AGE"] = 0
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Celery ---------------------------------------------------------------------------------

CELERY_BROKER_URL = env_secret("CELERY_BROKER_URL", "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    if PRODUCTION:
        problem("CELERY_BROKER_URL must name a Redis server when DSAR_ENV=production")
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # With acks_late, Redis hands an unacknowledged message to another worker after this
    # many seconds; it must outlast the longest task or work would run twice at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("DSAR_CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
        # A broker that does not answer fails a publish in seconds, not in the operating
        # system's TCP timeout: the web request goes on and the sweeper sends the work later.
        "socket_connect_timeout": 3,
    }
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        # kombu's Redis transport with the fix that keeps a worker alive when Redis restarts.
        CELERY_BROKER_TRANSPORT = "dsar.broker:Transport"
CELERY_TASK_DEFAULT_QUEUE = env_str("DSAR_CELERY_QUEUE", "dsar")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, not when it starts, and a worker that dies mid-task
# hands its message back: the work runs again (tasks are idempotent) instead of being lost.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("DSAR_TASK_TIME_LIMIT", 900, minimum=10)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30 if CELERY_TASK_TIME_LIMIT > 60 else CELERY_TASK_TIME_LIMIT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 3
# A prefork child warms the PDF renderer before it reports ready (fonts, stylesheets, one
# small report: a few seconds on a busy machine); Celery's default 4 s would kill it for that.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = 60.0
# On SIGTERM (with REMAP_SIGTERM=SIGQUIT, as every documented way of running a worker sets),
# running tasks get this long to finish; then they are stopped, and their work comes back
# (a redelivered message, an expired lease): every task can be run again safely.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = float(env_int("DSAR_WORKER_SHUTDOWN_GRACE_SECONDS", 20, minimum=0))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "dsar.beat:DatabaseScheduler"
CELERY_TIMEZONE = env_str("DSAR_TIME_ZONE", "UTC")
DJANGO_CELERY_BEAT_TZ_AWARE = True

# --- Cache (rate limits) ----------------------------------------------------------------

# Rate limits must be shared by every web process, so production keeps them in Redis (by
# default the broker's); with the in-memory cache of the quick start they are counted in the
# database instead (requests_app.infra.ratelimit), and there too while Redis is down.
# In production the cache is the broker's Redis by default (a broker that is not Redis is
# reported above, once).
_cache_url = env_secret(
    "DSAR_CACHE_URL", CELERY_BROKER_URL if PRODUCTION and CELERY_BROKER_URL.startswith("redis") else "locmem://"
)
if _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
            "KEY_PREFIX": "dsar",
            # Redis down means counting in the database (see ratelimit), after seconds at most.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
elif _cache_url == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    problem("DSAR_CACHE_URL must be a redis:// URL or locmem://")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Files, static, email -------------------------------------------------------------------

MEDIA_ROOT = Path(env_str("DSAR_MEDIA_ROOT", str(VAR_DIR / "media")))
STATIC_ROOT = VAR_DIR / "static"
STATIC_URL = "/static/"
# Stored files (raw emails, attachments, encrypted bundles): the file system under
# DSAR_MEDIA_ROOT, or any S3-compatible object store through django-storages.
_STORAGE = env_choice("DSAR_STORAGE", "file", ("file", "s3"))
_DEFAULT_STORAGE: dict[str, object] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if _STORAGE == "s3":
    _DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("DSAR_S3_BUCKET"),
            "endpoint_url": env_str("DSAR_S3_ENDPOINT_URL") or None,
            "region_name": env_str("DSAR_S3_REGION") or None,
            "access_key": env_secret("DSAR_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_secret("DSAR_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("DSAR_S3_PREFIX", "dsar"),
            # Objects are private and never served by URL: the application streams them.
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not env_str("DSAR_S3_BUCKET"):
        problem("DSAR_S3_BUCKET is required when DSAR_STORAGE=s3")
STORAGES = {
    "default": _DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production WhiteNoise serves straight from the apps, so the quick start needs no
# collectstatic step.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

EMAIL_BACKEND_NAME = env_choice("DSAR_EMAIL_BACKEND", "smtp" if PRODUCTION else "file", ("smtp", "file", "console"))
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}[EMAIL_BACKEND_NAME]
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = env_str("DSAR_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("DSAR_EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("DSAR_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_secret("DSAR_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("DSAR_EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env_bool("DSAR_EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env_int("DSAR_EMAIL_TIMEOUT", 30, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DSAR_FROM_EMAIL", "privacy@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    problem("DSAR_EMAIL_USE_TLS and DSAR_EMAIL_USE_SSL cannot both be on")

# --- Security -------------------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("DSAR_SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe over plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DSAR_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DSAR_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DSAR_HSTS_PRELOAD", default=True)
if env_bool("DSAR_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Locale ---------------------------------------------------------------------------------

LANGUAGE_CODE = "en"
# The languages a requester is answered in: public pages, every email to them and their PDFs.
# The staff side stays in English. Adding one: see the README's "Languages".
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
# Deadlines are counted in calendar days of the company's own time zone.
TIME_ZONE = env_str("DSAR_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]
# A year: the language a requester chose on our pages is kept for their next visit.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- The application's own settings ---------------------------------------------------------

DSAR_COMPANY_NAME = env_str("DSAR_COMPANY_NAME", "Example Company")
# Jurisdiction applied when the request does not say where the subject lives.
DSAR_DEFAULT_JURISDICTION = env_str("DSAR_DEFAULT_JURISDICTION", "gdpr").lower()
# Public holidays that move a deadline to the next working day (holidays package codes,
# e.g. "DE" and "BY"); empty means weekends only.
DSAR_HOLIDAY_COUNTRY = env_str("DSAR_HOLIDAY_COUNTRY").upper()
DSAR_HOLIDAY_SUBDIVISION = env_str("DSAR_HOLIDAY_SUBDIVISION").upper()
# The "default" jurisdiction rule, for requests under a law the application has no rule for.
DSAR_DEFAULT_DEADLINE_DAYS = env_int("DSAR_DEFAULT_DEADLINE_DAYS", 30, minimum=1)
DSAR_DEFAULT_EXTENSION_DAYS = env_int("DSAR_DEFAULT_EXTENSION_DAYS", 30, minimum=0)
DSAR_DEFAULT_PAUSE_ALLOWED = env_bool("DSAR_DEFAULT_PAUSE_ALLOWED", default=True)
DSAR_REASONABLE_PERIOD_DAYS = env_int("DSAR_REASONABLE_PERIOD_DAYS", 30, minimum=1)
# How long a request may wait for its subject to verify before it is closed.
DSAR_VERIFICATION_WINDOW_DAYS = env_int("DSAR_VERIFICATION_WINDOW_DAYS", 14, minimum=1)
# How long one verification link and code stay valid, and how many wrong codes they allow.
DSAR_VERIFICATION_TOKEN_HOURS = env_int("DSAR_VERIFICATION_TOKEN_HOURS", 72, minimum=1)
DSAR_VERIFICATION_CODE_ATTEMPTS = env_int("DSAR_VERIFICATION_CODE_ATTEMPTS", 5, minimum=1)
# Reminders (requests_app.reminders), each sent once per request and occasion.
# Days before the due date on which the assignee (or the team) is reminded; daily once overdue.
DSAR_REMINDER_DAYS = sorted(set(env_int_list("DSAR_REMINDER_DAYS", [7, 2, 0], minimum=0)), reverse=True)
# Working days before a duty that falls before the due date (confirming receipt under CCPA,
# telling the subject of an extension within the first period) when staff are warned.
DSAR_DUTY_WARNING_DAYS = env_int("DSAR_DUTY_WARNING_DAYS", 2, minimum=0)
# Where reminders about unassigned requests and alerts go; blank: every active member of the
# privacy team (the Privacy admin and Privacy analyst roles) with an email address.
DSAR_TEAM_EMAIL = env_str("DSAR_TEAM_EMAIL")
# The local hour (in DSAR_TIME_ZONE) from which each person's daily digest is sent.
DSAR_DIGEST_HOUR = env_int("DSAR_DIGEST_HOUR", 8, minimum=0)
if DSAR_DIGEST_HOUR > 23:
    problem("DSAR_DIGEST_HOUR must be an hour from 0 to 23")
# Hours before the verification window closes when the subject is reminded to confirm.
DSAR_VERIFICATION_REMINDER_HOURS = env_int("DSAR_VERIFICATION_REMINDER_HOURS", 24, minimum=0)
# A manual step that waits for a person longer than this is alerted to its system's owner.
DSAR_MANUAL_TASK_ALERT_HOURS = env_int("DSAR_MANUAL_TASK_ALERT_HOURS", 72, minimum=1)
# How long the link to a subject's status page works.
DSAR_STATUS_LINK_DAYS = env_int("DSAR_STATUS_LINK_DAYS", 90, minimum=1)
# Global Privacy Control: whether /.well-known/gpc.json says the site honours it (off: 404),
# and the day that support last changed, YYYY-MM-DD (empty: the file gives no lastUpdate).
DSAR_GPC_SUPPORTED = env_bool("DSAR_GPC_SUPPORTED", default=True)
DSAR_GPC_LAST_UPDATE = env_str("DSAR_GPC_LAST_UPDATE").strip()


def _is_calendar_day(text: str) -> bool:
    """YYYY-MM-DD and a real day (fromisoformat alone also takes 20260601 and week dates)."""
    try:
        return date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


if DSAR_GPC_LAST_UPDATE and not _is_calendar_day(DSAR_GPC_LAST_UPDATE):
    problem(f"DSAR_GPC_LAST_UPDATE must be a date written YYYY-MM-DD, not {DSAR_GPC_LAST_UPDATE!r}")
# What verifying each type of request takes: email, email+fact or email+staff.
_POLICIES = ("email", "email+fact", "email+staff")
DSAR_VERIFY_POLICY = {
    "access": env_choice("DSAR_VERIFY_ACCESS", "email", _POLICIES),
    "correction": env_choice("DSAR_VERIFY_CORRECTION", "email", _POLICIES),
    "deletion": env_choice("DSAR_VERIFY_DELETION", "email+staff", _POLICIES),
    # Restriction, objection, and the opt-out and limit requests of laws that allow asking
    # for verification (those that do not are acted on unverified: laws.rules.TypeTiming).
    "opt_out": env_choice("DSAR_VERIFY_DECISION", "email", _POLICIES),
    "limit": env_choice("DSAR_VERIFY_DECISION", "email", _POLICIES),
    "restriction": env_choice("DSAR_VERIFY_DECISION", "email", _POLICIES),
    "objection": env_choice("DSAR_VERIFY_DECISION", "email", _POLICIES),
    "appeal": env_choice("DSAR_VERIFY_APPEAL", "email", _POLICIES),
}
# Rate limits, as COUNT/PERIOD (s, m, h, d).
DSAR_RATE_LIMITS = {
    "form_ip": env_rate("DSAR_RATE_FORM_PER_IP", "10/h"),
    "form_email": env_rate("DSAR_RATE_FORM_PER_EMAIL", "5/d"),
    "verify_ip": env_rate("DSAR_RATE_VERIFY_PER_IP", "20/h"),
    "resend": env_rate("DSAR_RATE_RESEND", "3/h"),
    # Each API key (or staff member) calling the API, and failed API authentications per address.
    "api_caller": env_rate("DSAR_RATE_API_PER_KEY", "600/m"),
    "api_auth_failure": env_rate("DSAR_RATE_API_AUTH_FAILURES", "30/m"),
}
# How many proxies in front append to X-Forwarded-For; 0 trusts none (REMOTE_ADDR is used).
DSAR_TRUSTED_PROXY_COUNT = env_int("DSAR_TRUSTED_PROXY_COUNT", 0, minimum=0)
DSAR_MAX_UPLOAD_BYTES = env_int("DSAR_MAX_UPLOAD_MB", 10, minimum=1) * 1024 * 1024
# Request types that wait for a staff decision before any store is touched.
DSAR_APPROVAL_REQUIRED = env_list("DSAR_APPROVAL_REQUIRED", ["correction", "deletion"])
# Store tasks: how long a worker's claim lasts without renewal, how often a transient
# failure is retried (with exponential backoff from the base delay), and after how long a
# queued task nobody took is sent again.
DSAR_STORE_TASK_LEASE_SECONDS = env_int("DSAR_STORE_TASK_LEASE_SECONDS", 300, minimum=5)
DSAR_STORE_TASK_MAX_ATTEMPTS = env_int("DSAR_STORE_TASK_MAX_ATTEMPTS", 5, minimum=1)
DSAR_STORE_TASK_RETRY_SECONDS = env_int("DSAR_STORE_TASK_RETRY_SECONDS", 30, minimum=0)
DSAR_STORE_TASK_REQUEUE_SECONDS = env_int("DSAR_STORE_TASK_REQUEUE_SECONDS", 300, minimum=1)
# Rows an erasure changes per committed batch (each batch saves a checkpoint and renews the lease).
DSAR_ERASE_BATCH_SIZE = env_int("DSAR_ERASE_BATCH_SIZE", 5000, minimum=1)
# The outbox: work whose broker message may be lost is sent again from its database row
# after this long (emails still queued, results not built, second factors not checked).
DSAR_OUTBOX_GRACE_SECONDS = env_int("DSAR_OUTBOX_GRACE_SECONDS", 120, minimum=10)
# An email a worker claimed but never finished sending is taken over after this long; one
# that failed this many times is recorded as failed (and shown to staff).
DSAR_EMAIL_SEND_LEASE_SECONDS = env_int("DSAR_EMAIL_SEND_LEASE_SECONDS", 600, minimum=30)
DSAR_EMAIL_MAX_ATTEMPTS = env_int("DSAR_EMAIL_MAX_ATTEMPTS", 10, minimum=1)
# Email intake: the largest message stored, the largest attachment kept from it, and the
# IMAP mailbox polled (nothing is polled while DSAR_IMAP_HOST is empty).
DSAR_MAX_EMAIL_BYTES = env_int("DSAR_MAX_EMAIL_MB", 50, minimum=1) * 1024 * 1024
DSAR_MAX_ATTACHMENT_BYTES = env_int("DSAR_MAX_ATTACHMENT_MB", 10, minimum=1) * 1024 * 1024
DSAR_IMAP_HOST = env_str("DSAR_IMAP_HOST")
DSAR_IMAP_PORT = env_int("DSAR_IMAP_PORT", 993, minimum=1)
DSAR_IMAP_USER = env_str("DSAR_IMAP_USER")
DSAR_IMAP_PASSWORD = env_secret("DSAR_IMAP_PASSWORD")
DSAR_IMAP_FOLDER = env_str("DSAR_IMAP_FOLDER", "INBOX")
# Move processed mail here; empty: leave it in place, flagged as processed.
DSAR_IMAP_PROCESSED_FOLDER = env_str("DSAR_IMAP_PROCESSED_FOLDER")
# A CA certificate to trust for the IMAP server (a private CA); empty: the system's CAs.
DSAR_IMAP_CAFILE = env_str("DSAR_IMAP_CAFILE")
# The inbound webhook at /inbound/email/: which provider posts to it, and its secrets.
DSAR_INBOUND_PROVIDER = env_choice(
    "DSAR_INBOUND_PROVIDER", "mailgun", ("mailgun", "postmark", "sendgrid", "mailersend", "brevo", "postal", "resend")
)
ANYMAIL = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_secret("DSAR_INBOUND_SIGNING_KEY"),
    "WEBHOOK_SECRET": env_secret("DSAR_INBOUND_WEBHOOK_SECRET") or None,
}
# Bundles: the Ed25519 key that signs every manifest (a PEM file) and the AES-256 key that
# encrypts bundles at rest (base64 of 32 bytes). The quick start makes both under var/;
# production needs both, and losing the encryption key loses the stored bundles.
DSAR_BUNDLE_SIGNING_KEY_FILE = env_str("DSAR_BUNDLE_SIGNING_KEY_FILE")
DSAR_BUNDLE_ENCRYPTION_KEY = env_secret("DSAR_BUNDLE_ENCRYPTION_KEY")
if PRODUCTION and not (DSAR_BUNDLE_SIGNING_KEY_FILE and DSAR_BUNDLE_ENCRYPTION_KEY):
    problem("DSAR_BUNDLE_SIGNING_KEY_FILE and DSAR_BUNDLE_ENCRYPTION_KEY are required when DSAR_ENV=production")
# How long a subject's bundle can be downloaded, and how many times.
DSAR_BUNDLE_EXPIRY_DAYS = env_int("DSAR_BUNDLE_EXPIRY_DAYS", 30, minimum=1)
DSAR_BUNDLE_MAX_DOWNLOADS = env_int("DSAR_BUNDLE_MAX_DOWNLOADS", 5, minimum=1)
# Record retention: this many days after a request closed, its personal data is removed and
# its record kept (CCPA regulations, 11 CCR § 7101(a): records of requests kept 24 months).
DSAR_REQUEST_RETENTION_DAYS = env_int("DSAR_REQUEST_RETENTION_DAYS", 730, minimum=1)
# Largest file staff attach to a store task (an export made by hand, a vendor's confirmation).
DSAR_EVIDENCE_MAX_BYTES = env_int("DSAR_EVIDENCE_MAX_MB", 25, minimum=1) * 1024 * 1024
# Records per system shown in the PDF report; the data files hold all of them.
DSAR_REPORT_RECORD_LIMIT = env_int("DSAR_REPORT_RECORD_LIMIT", 50, minimum=0)
# Said in every report (GDPR Art. 15(1)(h) and the transfer safeguards of Art. 15(2)).
DSAR_COMPANY_ADDRESS = env_str("DSAR_COMPANY_ADDRESS", "")
DSAR_AUTOMATED_DECISIONS = env_str(
    "DSAR_AUTOMATED_DECISIONS", "We do not make decisions about you based solely on automated processing."
)
DSAR_TRANSFER_SAFEGUARDS = env_str(
    "DSAR_TRANSFER_SAFEGUARDS",
    "Where your data is transferred outside the EEA, we rely on the European Commission's Standard "
    "Contractual Clauses (GDPR Art. 46(2)(c)).",
)
# Outbound webhooks (requests_app.webhooks): attempts per delivery before it fails for good
# (on the Standard Webhooks schedule: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
# 20 h, 24 h), deliveries in a row that fail for good before the subscription is disabled,
# how many days before its due date an open request is announced as due soon, and the
# seconds one delivery may take.
DSAR_WEBHOOK_MAX_ATTEMPTS = env_int("DSAR_WEBHOOK_MAX_ATTEMPTS", 10, minimum=1)
DSAR_WEBHOOK_DISABLE_AFTER = env_int("DSAR_WEBHOOK_DISABLE_AFTER", 5, minimum=1)
DSAR_WEBHOOK_DUE_SOON_DAYS = env_int("DSAR_WEBHOOK_DUE_SOON_DAYS", 7, minimum=0)
DSAR_WEBHOOK_TIMEOUT_SECONDS = env_int("DSAR_WEBHOOK_TIMEOUT_SECONDS", 15, minimum=1)
# Where links in emails point: the public address of this application.
DSAR_PUBLIC_BASE_URL = env_str("DSAR_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and SECURE_SSL_REDIRECT and not DSAR_PUBLIC_BASE_URL.startswith("https://"):
    problem("DSAR_PUBLIC_BASE_URL must be an https:// address when DSAR_ENV=production")
DSAR_REPLY_TO_EMAIL = env_str("DSAR_REPLY_TO_EMAIL", DEFAULT_FROM_EMAIL)
# Named in rejection emails: where the subject may complain (GDPR Art. 77).
DSAR_SUPERVISORY_AUTHORITY = env_str(
    "DSAR_SUPERVISORY_AUTHORITY",
    "the data protection authority of the country where you live or work "
    "(https://www.edpb.europa.eu/about-edpb/about-edpb/members_en)",
)

# The Data Rights Protocol (requests_app/drp, DRP v0.9.4): the business id this product
# answers as (the `business-id` every signed message must name, DRP §3.07); empty turns the
# /drp/v1/ endpoints off (404). Clock skew: how far in the future an agent's `issued-at` may
# be. Bodies larger than the limit are refused unread. A status callback the agent does not
# accept is tried again with exponential backoff, this many times in all.
DSAR_DRP_BUSINESS_ID = env_str("DSAR_DRP_BUSINESS_ID")
DSAR_DRP_CLOCK_SKEW_SECONDS = env_int("DSAR_DRP_CLOCK_SKEW_SECONDS", 60, minimum=0)
DSAR_DRP_MAX_BODY_BYTES = env_int("DSAR_DRP_MAX_BODY_KB", 64, minimum=1) * 1024
DSAR_DRP_CALLBACK_MAX_ATTEMPTS = env_int("DSAR_DRP_CALLBACK_MAX_ATTEMPTS", 8, minimum=1)
DSAR_DRP_CALLBACK_RETRY_SECONDS = env_int("DSAR_DRP_CALLBACK_RETRY_SECONDS", 30, minimum=1)
DSAR_DRP_CALLBACK_LEASE_SECONDS = env_int("DSAR_DRP_CALLBACK_LEASE_SECONDS", 120, minimum=10)

# --- Staff UI access: login, two-factor, lockout, idle timeout -------------------------------

# Axes' backend comes first: it refuses a locked-out client before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff_login"
# A staff session ends after this many idle minutes: the cookie's age restarts with every
# request, so only inactivity lets it lapse.
SESSION_COOKIE_AGE = env_int("DSAR_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
# TOTP (an authenticator app) as a second factor for every staff login; on by default in
# production.
DSAR_STAFF_REQUIRE_2FA = env_bool("DSAR_STAFF_REQUIRE_2FA", default=PRODUCTION)
# How long the link in an invitation to join the privacy team works (it works once).
DSAR_STAFF_INVITE_DAYS = env_int("DSAR_STAFF_INVITE_DAYS", 3, minimum=1)
OTP_TOTP_ISSUER = f"{DSAR_COMPANY_NAME} privacy requests"
# Outbound calls to URLs integrations give (webhooks, agents' status callbacks):
# requests_app.infra.outbound_http. Only https in production; no loopback, private or
# link-local address unless its network is listed here (checked on the resolved address).
DSAR_OUTBOUND_ALLOW_HTTP = env_bool("DSAR_OUTBOUND_ALLOW_HTTP", default=not PRODUCTION)
if PRODUCTION and DSAR_OUTBOUND_ALLOW_HTTP:
    problem("DSAR_OUTBOUND_ALLOW_HTTP must be off when DSAR_ENV=production: only https is sent to")
DSAR_OUTBOUND_ALLOWED_NETWORKS = env_list("DSAR_OUTBOUND_ALLOWED_NETWORKS")
for _network in DSAR_OUTBOUND_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        problem(f"DSAR_OUTBOUND_ALLOWED_NETWORKS must be networks such as 10.0.0.0/8, not {_network!r}")
DSAR_OUTBOUND_TIMEOUT_SECONDS = env_int("DSAR_OUTBOUND_TIMEOUT_SECONDS", 10, minimum=1)
# django-axes: after DSAR_LOGIN_FAILURE_LIMIT failed logins for one username from one client
# address, that pair is refused for DSAR_LOGIN_COOLOFF_MINUTES. Counting the pair (not the
# address alone) keeps one person's typos from locking out colleagues behind the same office
# address. Attempts are kept in the database; the client address is the one the rate limits
# use, so DSAR_TRUSTED_PROXY_COUNT applies here too.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("DSAR_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DSAR_LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "requests_app.infra.ratelimit.client_ip"
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
# Refused single sign-ons are recorded with the other failed logins; the code and state of a
# refused callback are masked there like a password.
AXES_SENSITIVE_PARAMETERS = ["code", "state", "id_token", "access_token"]

# Single sign-on with the company's identity provider (OpenID Connect), beside the password
# login: requests_app.staff.oidc. Off while DSAR_OIDC_ISSUER is empty.
DSAR_OIDC_ISSUER = env_str("DSAR_OIDC_ISSUER").strip()
DSAR_OIDC_CLIENT_ID = env_str("DSAR_OIDC_CLIENT_ID").strip()
DSAR_OIDC_CLIENT_SECRET = env_secret("DSAR_OIDC_CLIENT_SECRET")
DSAR_OIDC_SCOPES = env_list("DSAR_OIDC_SCOPES", ["openid", "email", "profile"])
DSAR_OIDC_ROLE_CLAIM = env_str("DSAR_OIDC_ROLE_CLAIM", "groups").strip()
DSAR_OIDC_BUTTON_LABEL = env_str("DSAR_OIDC_BUTTON_LABEL", "Sign in with your company account").strip()
DSAR_OIDC_TIMEOUT_SECONDS = env_int("DSAR_OIDC_TIMEOUT_SECONDS", 10, minimum=1)
# The staff roles (requests_app.staff.roles.ROLES; a test checks the two agree).
_STAFF_ROLES = ("Privacy admin", "Privacy analyst", "Auditor")
# The identity provider's group (or role) value -> our role, e.g. "dsar-admins=Privacy admin".
DSAR_OIDC_ROLE_MAP: dict[str, str] = {}
for _item in env_list("DSAR_OIDC_ROLE_MAP"):
    _value, _sep, _role = (part.strip() for part in _item.partition("="))
    if not _sep or not _value or _role not in _STAFF_ROLES:
        problem(f"DSAR_OIDC_ROLE_MAP items must look like group=role, role one of {list(_STAFF_ROLES)}, not {_item!r}")
        continue
    DSAR_OIDC_ROLE_MAP[_value] = _role
if DSAR_OIDC_ISSUER:
    _issuer = urlsplit(DSAR_OIDC_ISSUER)
    if _issuer.scheme not in ("http", "https") or not _issuer.hostname or _issuer.query or _issuer.fragment:
        problem(f"DSAR_OIDC_ISSUER must be the provider's issuer URL (https://...), not {DSAR_OIDC_ISSUER!r}")
    elif PRODUCTION and _issuer.scheme != "https":
        problem("DSAR_OIDC_ISSUER must be https when DSAR_ENV=production")
    if not DSAR_OIDC_CLIENT_ID:
        problem("DSAR_OIDC_CLIENT_ID must be set when DSAR_OIDC_ISSUER is")
    if not DSAR_OIDC_CLIENT_SECRET:
        problem("DSAR_OIDC_CLIENT_SECRET (or DSAR_OIDC_CLIENT_SECRET_FILE) must be set when DSAR_OIDC_ISSUER is")
    if "openid" not in DSAR_OIDC_SCOPES:
        problem(f"DSAR_OIDC_SCOPES must include openid, not {','.join(DSAR_OIDC_SCOPES)!r}")
    if not DSAR_OIDC_ROLE_CLAIM:
        problem("DSAR_OIDC_ROLE_CLAIM must name the ID token claim that holds the groups")
    if not DSAR_OIDC_ROLE_MAP:
        problem("DSAR_OIDC_ROLE_MAP must map at least one group to a role when DSAR_OIDC_ISSUER is set")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No token of a status or verification link, and no email address, in any log line.
    "filters": {"redact_secrets": {"()": "dsar.log_redaction.RedactSecrets"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]}},
    "root": {"handlers": ["stderr"], "level": env_str("DSAR_LOG_LEVEL", "INFO").upper()},
}

# Every problem found above, at once: the process stops before it serves anything.
problems_raise()
