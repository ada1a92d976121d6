"""Groundwork settings.

Every setting that differs between machines comes from an environment variable
read here and nowhere else. The defaults run the embedded setup (SQLite, a
filesystem Celery broker, console email); ``DJANGO_ENV=production`` refuses to
start on those unsafe defaults.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config import logs

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"

_INSECURE_DEV_KEY = "django-insecure-groundwork-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = _INSECURE_DEV_KEY

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Absolute links in emails are built from this, never from the request.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# How many proxies that this site runs sit in front of it, each appending to
# X-Forwarded-For the address it was reached from: the client's address (for
# rate limits and logs) is then read from that header. 0 ignores the header.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front.")

INSTALLED_APPS = [
    "config.apps.GroundworkAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "django_celery_beat",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "auditlog",
    "django_filters",
    "engagement",
    "visits",
    "feedback",
    "mentoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise, so that static files get the headers and the log line too.
    "engagement.web.middleware.ClientAddressMiddleware",
    "engagement.web.middleware.PrivacyHeadersMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: each audit-trail entry records who made the change.
    "auditlog.middleware.AuditlogMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "engagement.web.middleware.ProgramAdminMFAMiddleware",
    "engagement.web.middleware.UserTimeZoneMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "engagement.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'groundwork.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server, the Celery workers and beat share one file. WAL lets
    # readers run beside the one writer. IMMEDIATE makes every transaction
    # take the write lock as it begins, so none that has read must upgrade to
    # writing later: an upgrade that meets another writer fails at once,
    # whatever the timeout. synchronous=NORMAL is safe with WAL and saves an
    # fsync per commit. config.sqlite makes writers queue for their turn in
    # the order they came, with no timeout, instead of polling for the lock:
    # SQLite's poll favours newcomers and gives up after the busy timeout,
    # which fails a contact logged during a long import or a batch job with
    # "database is locked". The 20 s busy timeout is left for what writes
    # outside that queue (the sqlite3 shell, a backup).
    DATABASES["default"]["ENGINE"] = "config.sqlite"
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # PostgreSQL's JIT compiles a query that looks costly before running it;
    # for the exports' per-row subqueries that took longer than the query
    # itself (about 300 ms), and a web request never gains from it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared between processes when Redis is there --------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # While Redis does not answer, each process carries on with a cache
            # in its own memory: pages keep working and rate limits still hold.
            "BACKEND": "config.cache.RedisCacheWithFallback",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering costs a request half a second at
            # most, not redis-py's default five.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------
# Where the filesystem broker keeps its queue: one folder per set of processes
# that share a database (a benchmark's own stack keeps its tasks to itself).
BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
# A broker that is down or does not answer fails a publish in seconds, not
# never: the task is then kept in the database (engagement.delivery.outbox). Other
# transports than Redis ignore these two.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"socket_connect_timeout": 2, "socket_timeout": 3}
if CELERY_BROKER_URL.startswith("filesystem://"):
    for folder in ("in", "processed", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(BROKER_DIR / "in"),
        "data_folder_out": str(BROKER_DIR / "in"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
# Publishing tries twice, a fifth of a second apart, before the task is kept
# for the periodic sweep: a page never hangs on a broker that is down.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Workers log through LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# How often beat runs the reminder scan.
REMINDER_SCAN_SECONDS = env.int("REMINDER_SCAN_SECONDS", default=15 * 60)

# --- Calendars read for customer meetings ---------------------------------------
# A private calendar address grants read access to a calendar, so it is kept
# encrypted with these Fernet keys: a comma-separated list, newest first (the
# first encrypts, any decrypts, so a key is rotated by putting a new one in
# front). Development derives one from SECRET_KEY; production must set it,
# or `manage.py check --deploy` fails (visits.checks).
CALENDAR_SECRET_KEY_SET = bool(env.str("CALENDAR_SECRET_KEY", default="").strip())
CALENDAR_SECRET_KEYS = [
    key.strip() for key in env.str("CALENDAR_SECRET_KEY", default="").split(",") if key.strip()
] or [base64.urlsafe_b64encode(hashlib.sha256(f"calendar-secrets:{SECRET_KEY}".encode()).digest()).decode()]
# How often each calendar is read, and how long its server has to answer.
CALENDAR_READ_SECONDS = env.int("CALENDAR_READ_SECONDS", default=15 * 60)
CALENDAR_READ_TIMEOUT_SECONDS = env.float("CALENDAR_READ_TIMEOUT_SECONDS", default=10.0)
# Calendars at addresses inside a private network (loopback, private,
# link-local...) are refused, so that a typed address cannot make the
# reader fetch the servers beside it; the tests and the benchmark, which serve
# calendars on 127.0.0.1, turn this on. Never in production.
CALENDAR_ALLOW_PRIVATE_ADDRESSES = env.bool("CALENDAR_ALLOW_PRIVATE_ADDRESSES", default=False)

# --- Authentication ------------------------------------------------------------
AUTH_USER_MODEL = "engagement.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "engagement.web.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
# Failed sign-ins: at most 10 a minute from one address, 5 per email in 5 minutes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Groundwork] "
# Multi-factor sign-in: an authenticator app (TOTP) with recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Groundwork"
# Program admins must turn it on before they reach admin pages; the embedded
# demo leaves it optional so the demo logins work as they are.
MFA_REQUIRED_FOR_PROGRAM_ADMINS = env.bool("MFA_REQUIRED_FOR_PROGRAM_ADMINS", default=PRODUCTION)
# Invitations are valid for a week; password reset links for a day.
INVITATION_TIMEOUT_DAYS = env.int("INVITATION_TIMEOUT_DAYS", default=7)
# The largest CSV file a program admin may import (about 200,000 rows of engagements).
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_MEGABYTES", default=20) * 1_000_000
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
# The audit trail keeps who changed what for two years; a nightly job deletes
# older entries. 0 keeps them forever.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)
if AUDIT_RETENTION_DAYS < 0:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be 0 (keep forever) or a number of days.")

# --- Email ----------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
# A mail server that accepts the connection and then says nothing holds a
# worker for this long at most, not forever; the email is tried again later.
EMAIL_TIMEOUT = EMAIL_CONFIG.get("EMAIL_TIMEOUT") or 30
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Groundwork <groundwork@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation --------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files --------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
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

# Outside production, serve straight from the apps' static folders: no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- API (/api/v1/) ---------------------------------------------------------------
# Requests per person (any of their keys, or their session) and per address
# without credentials, as DRF rates: "<number>/<second|minute|hour|day>".
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="1000/hour")
API_THROTTLE_ANON = env.str("API_THROTTLE_ANON", default="60/hour")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "engagement.api.policy.BearerTokenAuthentication",
        # For a signed-in person in the browsable API and the docs; CSRF is
        # checked on every unsafe method that comes with a session.
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["engagement.api.policy.HasRole"],
    "DEFAULT_THROTTLE_CLASSES": ["engagement.api.policy.AnonThrottle", "engagement.api.policy.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": API_THROTTLE_USER, "anon": API_THROTTLE_ANON},
    "DEFAULT_PAGINATION_CLASS": "engagement.api.policy.PagePagination",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "engagement.api.policy.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "engagement.api.base.ProgramAutoSchema",
    "EXCEPTION_HANDLER": "engagement.api.base.exception_handler",
    # Hours as JSON numbers, not strings.
    "COERCE_DECIMAL_TO_STRING": False,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Groundwork API",
    "DESCRIPTION": (
        "Executives, accounts, contacts, engagements, contact status, debriefs, actions and pairings of the "
        "executive customer-engagement program. Send `Authorization: Bearer <key>` with a key a program admin "
        "made under Program → API tokens; you see and do what that person may on the pages."
    ),
    "VERSION": "1",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "visits.api.held_contact_example",
    ],
    # Served from the site (drf-spectacular-sidecar), never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Security ---------------------------------------------------------------------
# No inline scripts or styles anywhere: everything comes from static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Bootstrap draws some icons (the menu button) as data: SVG images.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Logging: one line per event on stdout -------------------------------------
# JSON in production, for a log collector to index by field; readable lines
# in development. LOG_FORMAT overrides either.
LOG_FORMAT = env.str("LOG_FORMAT", default=logs.default_format(production=PRODUCTION))
if LOG_FORMAT not in logs.FORMATTERS:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": logs.FORMATTERS,
    "handlers": {"console": logs.console_handler(LOG_FORMAT)},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django adds its own console handler; one is enough.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}
# Python's warnings too, as log lines rather than bare text on stderr.
logging.captureWarnings(True)
