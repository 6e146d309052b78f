"""One settings module, driven by the environment.

With no environment at all the whole product runs on one machine: SQLite and a
filesystem Celery broker under ``var/``. ``DATABASE_URL``, ``CELERY_BROKER_URL``,
``CACHE_URL`` and ``EMAIL_URL`` switch each part to a real service.
``DJANGO_ENV=production`` turns on the deploy checks and refuses unsafe values.
"""

import importlib.util
from decimal import Decimal
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
VAR_DIR = Path(env.str("SAASMGR_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

# The development key is public on purpose: production refuses to start with it.
INSECURE_SECRET_KEY = "django-insecure-saasmgr-development-key-not-for-production-use"
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=on. Unset DEBUG or set DEBUG=off.")
    if SECRET_KEY == INSECURE_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production needs a real SECRET_KEY of at least 50 random characters, "
            "for example from: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ENV=production needs ALLOWED_HOSTS, e.g. ALLOWED_HOSTS=saasmgr.example.com")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_tables2",
    "django_htmx",
    "simple_history",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "saasmgr.core",
    "saasmgr.inventory",
    "renewals",
    "licenses",
    "savings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "saasmgr.core.access.RoleAccessMiddleware",
]

ROOT_URLCONF = "saasmgr.urls"
WSGI_APPLICATION = "saasmgr.wsgi.application"

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
                "saasmgr.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'saasmgr.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids
    # "database is locked" on upgrade from a read to a write transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": 30}
    )
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default="") or None}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# plotly.js is served from the plotly package itself, so the chart library and the Python figures never drift apart.
STATICFILES_DIRS = [
    BASE_DIR / "saasmgr" / "static",
    ("vendor/plotly", Path(importlib.util.find_spec("plotly").submodule_search_locations[0]) / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Uploads: the import framework refuses files over this size with a clear message.
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
# Files with more rows than this run as a background job with a progress bar.
IMPORT_BACKGROUND_ROWS = env.int("IMPORT_BACKGROUND_ROWS", default=500)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="saasmgr <saasmgr@localhost>")
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Celery. The default broker is kombu's filesystem transport, so the embedded
# default needs no server; CELERY_BROKER_URL=redis://... selects Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["saasmgr.core.api.RoleTablePermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "saasmgr.core.api.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "saasmgr API",
    "DESCRIPTION": "SaaS spend management: inventory, contracts, licenses and savings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # drf-spectacular serves the schema and docs to anyone by default; the access table decides instead.
    "SERVE_PERMISSIONS": ["saasmgr.core.api.RoleTablePermission"],
    # Contract.billing_frequency and LineItem.billing_period share one choice set.
    "ENUM_NAME_OVERRIDES": {"BillingPeriodEnum": "saasmgr.core.choices.BillingPeriod"},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False

# saasmgr's own settings
REPORTING_CURRENCY = env.str("REPORTING_CURRENCY", default="USD")
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
# Days before a contract's cancel-by date on which reminders go out (a contract may override).
RENEWAL_REMINDER_STAGES = env.list("RENEWAL_REMINDER_STAGES", cast=int, default=[120, 90, 60, 30, 14, 7, 1])
# How far ahead the weekly procurement digest looks, in days.
RENEWAL_DIGEST_HORIZON_DAYS = env.int("RENEWAL_DIGEST_HORIZON_DAYS", default=90)
# A claimed reminder not marked sent after this many minutes is taken to be lost and is sent again.
REMINDER_CLAIM_TIMEOUT_MINUTES = env.int("REMINDER_CLAIM_TIMEOUT_MINUTES", default=15)

# Licenses: a seat idle for more than this many days is inactive, unless its application says otherwise.
LICENSE_INACTIVITY_DAYS = env.int("LICENSE_INACTIVITY_DAYS", default=60)
# Email domains that are the same mailbox: "old.example.com=example.com,corp.example.com=example.com".
IDENTITY_DOMAIN_ALIASES = env.dict("IDENTITY_DOMAIN_ALIASES", default={})
# Fuzzy name matching (rapidfuzz scores, 0-100): link by itself at or above AUTO, queue for review from REVIEW.
NAME_MATCH_AUTO_SCORE = env.float("NAME_MATCH_AUTO_SCORE", default=92.0)
NAME_MATCH_REVIEW_SCORE = env.float("NAME_MATCH_REVIEW_SCORE", default=70.0)
# Usage ingest reads and bulk-loads this many rows at a time, so memory does not grow with the file.
USAGE_INGEST_CHUNK_ROWS = env.int("USAGE_INGEST_CHUNK_ROWS", default=100_000)
# Reconciliation splits its applications into at most this many Celery tasks.
RECONCILE_PARTS = env.int("RECONCILE_PARTS", default=16)
# A running reconciliation that has not reported for this many minutes is taken to be dead and may be resumed.
RECONCILE_STALE_MINUTES = env.int("RECONCILE_STALE_MINUTES", default=10)
# Tests only: seconds each reconciliation part waits before computing, so a test can kill a worker mid-run.
RECONCILE_PART_DELAY_SECONDS = env.float("RECONCILE_PART_DELAY_SECONDS", default=0)

# Savings Center. What the savings programme costs a year (people, tools), in the reporting currency: ROI is
# realized savings ÷ this; 0 means not set, and the page says so instead of showing a ratio.
SAVINGS_PROGRAM_ANNUAL_COST = Decimal(env.str("SAVINGS_PROGRAM_ANNUAL_COST", default="0"))
# Right-size at renewal: renewals within this many days; recommended seats = active in 90 days × (1 + buffer).
SAVINGS_RIGHT_SIZE_HORIZON_DAYS = env.int("SAVINGS_RIGHT_SIZE_HORIZON_DAYS", default=120)
SAVINGS_RIGHT_SIZE_BUFFER = Decimal(env.str("SAVINGS_RIGHT_SIZE_BUFFER", default="0.10"))
# Cancel or downgrade: an application whose seat utilisation (active ÷ purchased) is below this fraction.
SAVINGS_LOW_UTILISATION = Decimal(env.str("SAVINGS_LOW_UTILISATION", default="0.30"))
# Renegotiate: a renewal quote that raises the annual price by more than this percent, unless a line item
# has its own uplift cap.
SAVINGS_PRICE_CAP_PCT = Decimal(env.str("SAVINGS_PRICE_CAP_PCT", default="5"))
# Priority rises from the savings alone to triple them over the last this-many days before the deadline.
SAVINGS_PRIORITY_HORIZON_DAYS = env.int("SAVINGS_PRIORITY_HORIZON_DAYS", default=90)
# An opportunity is due this many days before the cancel-by date it touches, else this many days after it opened.
SAVINGS_DUE_LEAD_DAYS = env.int("SAVINGS_DUE_LEAD_DAYS", default=14)
SAVINGS_DUE_DAYS = env.int("SAVINGS_DUE_DAYS", default=30)
# A dismissed opportunity comes back when its value moves by at least this fraction of its value when dismissed.
SAVINGS_REOPEN_CHANGE = Decimal(env.str("SAVINGS_REOPEN_CHANGE", default="0.25"))
# Consolidate: another app of the same category is proposed for retirement only when at least this many people
# used both it and the app kept in the last 90 days; a handful of shared users is chance, not redundancy.
SAVINGS_CONSOLIDATE_MIN_OVERLAP = env.int("SAVINGS_CONSOLIDATE_MIN_OVERLAP", default=5)

# Production hardening: every value can be overridden, but the defaults pass
# `manage.py check --deploy`.
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    # /health/ is probed over plain HTTP by the container healthcheck.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
