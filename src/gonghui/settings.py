"""Gonghui settings: one module, driven by environment variables.

Every setting has a working default for a laptop (SQLite, DEBUG on, development keys derived
from SECRET_KEY) and a documented production value (see README.md, "Configuration").
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from gonghui.env import env_bool, env_int, env_list, env_str

SRC_DIR = Path(__file__).resolve().parent
PROJECT_DIR = SRC_DIR.parents[1]
DATA_DIR = Path(env_str("GONGHUI_DATA_DIR", str(PROJECT_DIR / "var")))
NODE_MODULES = Path(env_str("GONGHUI_NODE_MODULES", str(PROJECT_DIR / "node_modules")))

DEBUG = env_bool("DEBUG", True)

# Published with the code: anyone can sign sessions with it. `check --deploy` refuses it (gonghui.E003).
DEV_SECRET_KEY = "gonghui-development-only-secret-key-never-use-in-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY if DEBUG else None)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Keys for personal data (ID numbers, phones). See gonghui.core.pii. Without them (DEBUG only)
# development keys are derived from SECRET_KEY and a warning says so.
PII_HMAC_KEY = env_str("PII_HMAC_KEY", "")
PII_ENCRYPTION_KEYS = env_str("PII_ENCRYPTION_KEYS", "")  # "kid:base64key,kid2:base64key"; first encrypts

# The audit log's checkpoints (gonghui.core.audit): the head of the chain, signed with a key the
# database does not hold, appended to a file outside the database after every audited write.
# Without the key (DEBUG only) a development key is derived from SECRET_KEY; `check --deploy`
# requires it (gonghui.E004). Keep the file with the database's backups, on storage the database
# server cannot write (`chattr +a` makes it append-only).
AUDIT_ANCHOR_KEY = env_str("AUDIT_ANCHOR_KEY", "")
AUDIT_ANCHOR_FILE = env_str("AUDIT_ANCHOR_FILE", str(DATA_DIR / "audit-anchors.log"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "gonghui.core.vendor_apps.AxesConfig",  # django-axes, named in /admin/
    "csp",
    "treebeard",
    "django_tasks",
    "gonghui.core.vendor_apps.TasksConfig",  # django-tasks-db, named in /admin/
    "ninja",  # serves the Swagger UI of /api/v1/docs from our static files (CSP: script-src 'self')
    "gonghui.core",
    "gonghui.orgs",
    "gonghui.members",
    "gonghui.stats",
    "gonghui.staff",
    "gonghui.portal",
    "gonghui.disputes",
    "gonghui.mutualaid",
    "gonghui.assistance",
    "gonghui.activities",
    "gonghui.stations",
    "gonghui.bargaining",
    "gonghui.demo",
    "gonghui.bench",
]

MIDDLEWARE = [
    "gonghui.core.logging.LogSecretsMiddleware",  # first: the log filter knows the request's secrets throughout
    "django.middleware.security.SecurityMiddleware",
    "gonghui.core.middleware.NoStoreMiddleware",
    "gonghui.core.middleware.ApiJsonErrorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "gonghui.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "gonghui.urls"
WSGI_APPLICATION = "gonghui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'gonghui.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"

# Login throttling (django-axes): 5 failures for one username from one address lock it for 15 min.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "gonghui.core.middleware.client_ip"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request while collectstatic has not run yet
STATICFILES_DIRS = [
    SRC_DIR / "static",  # the project's own CSS and JS (gonghui/…)
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),  # the stations map
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"  # private: never served at a public URL

# Background work (roster imports, later batches and report builds): Django's tasks API through the
# django-tasks backport. The database backend keeps the queue in the database and needs a worker,
# `gonghui db_worker` (`make run` starts one). GONGHUI_TASKS_BACKEND=immediate runs each task inline
# when it is enqueued (tests, one-off scripts); a dotted path picks any other backend.
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",
}
_tasks_backend = env_str("GONGHUI_TASKS_BACKEND", "database")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS.get(_tasks_backend, _tasks_backend)}}

# Roster uploads on the workbench (批量导入): the largest file accepted, in MB. Put the same limit
# (or a little more) on the reverse proxy (nginx client_max_body_size) so a larger body stops early.
ROSTER_UPLOAD_MAX_MB = env_int("ROSTER_UPLOAD_MAX_MB", 50)
# `gonghui cleanup`: roster import jobs (and their files) and abandoned SMS sign-ups older than this go.
CLEANUP_AFTER_DAYS = env_int("CLEANUP_AFTER_DAYS", 30)

# SMS codes (online joining, member login): who sends them and how they are limited (gonghui.core.sms).
# The console sender logs the code (development); production names a class that calls the SMS gateway.
SMS_BACKEND = env_str("SMS_BACKEND", "gonghui.core.sms.ConsoleSender")
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300)  # a code is good for 5 minutes
SMS_CODE_MAX_TRIES = env_int("SMS_CODE_MAX_TRIES", 5)  # wrong entries before the code is void
SMS_RESEND_SECONDS = env_int("SMS_RESEND_SECONDS", 60)  # at most one code per mobile a minute
SMS_DAILY_LIMIT = env_int("SMS_DAILY_LIMIT", 10)  # codes per mobile in 24 hours
SMS_VERIFIED_SECONDS = env_int("SMS_VERIFIED_SECONDS", 1800)  # a verified mobile stays usable in the join form

# Sessions expire: 8 working hours, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Behind a TLS proxy: it tells the scheme, and its X-Forwarded-For names the client (audit log, login throttling).
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is the operator's deliberate choice for their domain
# (hard to undo), so it is opt-in and its absence is not a deployment warning.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content security: scripts only from this site (chart data travels as JSON, never inline JS).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "gonghui.core.logging.RedactPIIFilter"},
                "client_errors": {"()": "gonghui.core.logging.ClientErrorWithoutTraceback"}},
    "handlers": {
        # A 4xx logs one line (no traceback), then everything is redacted.
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors", "redact_pii"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO", "handlers": ["console"], "propagate": False},
        # Replaces Django's own handlers for its loggers, which do not redact (request paths, errors).
        "django": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "django.server": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}

# How many rows a list page shows.
PAGE_SIZE = 50

# Mutual aid: engine threads pricing a settlement feed (PostgreSQL; each takes its own people).
AID_PRICING_WORKERS = env_int("AID_PRICING_WORKERS", 2)

# Disputes: the monthly minimum wage where no district has its own row (disputes.MinimumWage).
# Zhejiang's first tier, which covers Ningbo's districts, in force since 2024-01-01.
DISPUTES_MINIMUM_WAGE = {"amount": "2490.00", "valid_from": "2024-01-01",
                         "source": "浙江省最低工资标准（第一档，2024-01-01起）"}
PII_DEV_KEYS_ALLOWED = DEBUG and not PII_HMAC_KEY
AUDIT_ANCHOR_DEV_KEY_ALLOWED = DEBUG and not AUDIT_ANCHOR_KEY
