"""HubNet settings: every knob is an environment variable, read here and only here.

Nothing set: development-safe defaults are NOT assumed. DEBUG is off unless
DEBUG=1, and with DEBUG off a SECRET_KEY must be given. SQLite is used when
DATABASE_URL is unset; Celery runs tasks in-process when CELERY_BROKER_URL is
unset. See README.md for the table of variables.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from hubnet.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. HubNet refuses to start in production mode "
            "(DEBUG off) without a secret key: set SECRET_KEY to a long random value."
        )
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - DEBUG only, never production

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = "HubNet"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_htmx",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "pgtrigger",
    "hubnet",
    "regions",
    "protocols",
    "cases",
    "training",
]

MIDDLEWARE = [
    # First: every line logged while a request runs carries its id (hubnet.log_context).
    "hubnet.log_context.RequestContextMiddleware",
    # A GET's lookups of its user's rights, once a request (hubnet.request_memo).
    "hubnet.request_memo.RequestMemoMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "hubnet.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "hubnet.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "cases.access_log.AccessLogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "hubnet.sessions.SessionLimitsMiddleware",
    "hubnet.middleware.PagesLoginRequiredMiddleware",
    "hubnet.mfa.MfaRequiredMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hubnet.urls"
WSGI_APPLICATION = "hubnet.wsgi.application"

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
                "hubnet.context_processors.hubnet",
            ],
        },
    },
]

# Database: SQLite file when DATABASE_URL is unset, anything dj-database-url reads otherwise.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Short queries on indexes: compiling them (JIT) cost more than running them (it
        # took 4.9 s of a 6.4 s hub-queue query at a million cases).
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every credential check for a locked-out username (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# NIST SP 800-63B: at least 12 characters, not a common or breached password, not like
# the username; no composition rules and no forced periodic change.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "hubnet.passwords.PasswordChangeEndsApiTokens"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A password-reset link works once (it is bound to the password hash) and for an hour.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", default=60 * 60)

# Multi-factor sign-in (django-otp): an authenticator app (TOTP), passkeys (WebAuthn) and
# single-use backup codes. Every account needs a second factor (hubnet.mfa). Only in
# development (DEBUG) may the demo personas of `make run` skip it; the login page says so.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "HubNet")
# Nobody reads a secret or a backup code back, not even in the admin (hubnet/admin.py also
# keeps the devices out of it: a reset goes through the People page and is recorded).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
MFA_DEMO_PERSONAS_EXEMPT = DEBUG and env_bool("MFA_DEMO_PERSONAS_EXEMPT", default=True)
# Passkeys are bound to the site's domain name (not an IP address). Development serves on
# localhost; production names its domain and origin.
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", "localhost")
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "WEBAUTHN_ORIGINS", default=["http://localhost:8000"] if DEBUG else []
)
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is the second factor, after a password
OTP_WEBAUTHN_HELPER_CLASS = "hubnet.mfa.WebAuthnHelper"

# Lockout (django-axes): 5 failed sign-ins lock that username, and that username from that
# address, for 15 minutes, on every credential check (web, admin, password change). The
# answer is the same whether or not the account exists.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hubnet.lockout.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_SENSITIVE_PARAMETERS = ["password", "old_password", "new_password1", "new_password2"]
# The client's address as the access log sees it (behind the proxy, not the proxy's).
AXES_CLIENT_IP_CALLABLE = "hubnet.http.client_ip"
# A try during a lockout does not restart the 15 minutes (the message says 15).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

# django-guardian: no anonymous user object; permissions are only ever granted
# through regions.services (memberships), never by hand.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Chicago"
# Dates and times read one way everywhere (hubnet/formats/en/formats.py).
FORMAT_MODULE_PATH = ["hubnet.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Sessions and cookies: records about children; short sessions, no JS access.
# Signed out after SESSION_IDLE_TIMEOUT seconds without activity (warned a couple of
# minutes before) and SESSION_COOKIE_AGE after signing in, however active (hubnet.sessions).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_IDLE_WARNING = env_int("SESSION_IDLE_WARNING", default=2 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
# HTTPS only, in production (docker-compose.yml turns both on): plain HTTP is redirected
# and browsers are told (HSTS) never to use it for this domain. The health check, made
# over plain HTTP from inside the container, is exempt from the redirect.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0)
# Only sent with SECURE_HSTS_SECONDS; "preload" only allows a submission to browsers' lists.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
# Behind a proxy that terminates TLS: trust its X-Forwarded-Proto (the proxy must set it,
# replacing the client's) so a request it received over HTTPS counts as secure.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# A shared cache (Redis) in production, so rate limits hold across workers; per process
# in development and tests.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "hubnet@localhost")

# REST framework: deny by default.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        # A browser session counts only with its second factor verified (hubnet.mfa).
        "hubnet.mfa.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "hubnet.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The browsable API only in development; production answers JSON.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
}
# API tokens for scripts (django-rest-knox): stored as SHA-512 digests, with an expiry.
# Issued by `python manage.py issue_token USERNAME`; sent as `Authorization: Token <token>`.
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=env_int("API_TOKEN_DAYS", default=90)),
    "TOKEN_PREFIX": "hubnet_",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "HubNet API",
    "DESCRIPTION": "Case coordination for Wisconsin's regional anti-human-trafficking hubs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets that share a field name ("status", "reason") get names of their own.
    "ENUM_NAME_OVERRIDES": {
        "NeedStatusEnum": "cases.models.NeedStatus",
        "UnavailableReasonEnum": "cases.models.UnavailableReason",
        "ClosureReasonEnum": "cases.models.ClosureReason",
        "CaseStatusEnum": "cases.models.Status",
        "TrainingStatusEnum": "training.models.TrainingStatus",
    },
}

# Celery: in-process when no broker is configured (make run, tests on SQLite).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TASK_ACKS_LATE = True
# A task whose worker died (not one that raised) is delivered again: the tasks are
# idempotent (a rollup run finished is left as it is).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis hands an unacknowledged task to another worker after this long: longer than the
# longest task, so a running task is never started twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than the longest task (15 minutes)."
    )
# Periodic work, run by exactly one `celery beat` (docker-compose.yml).
CELERY_BEAT_SCHEDULE = {
    "step-deadline-alerts": {
        "task": "cases.steps_deadline_alerts",
        "schedule": timedelta(minutes=15),
    },
    # Quarters are Wisconsin calendar quarters (CELERY_TIMEZONE is Central time). The 1st
    # of these months is never a daylight-saving day.
    "rollup-quarter-just-ended": {
        "task": "regions.rollup_quarter_just_ended",
        "schedule": crontab(minute=0, hour=3, day_of_month=1, month_of_year="1,4,7,10"),
    },
    # 00:45: an hour that exists exactly once every night, DST changes included.
    "rollup-quarter-to-date": {
        "task": "regions.rollup_quarter_to_date",
        "schedule": crontab(minute=45, hour=0),
    },
}
# Small-cell suppression: counts from 1 to this minus one are never shown. The task
# force can change it in the admin (regions.DisclosureControl); this is the default.
SUPPRESSION_THRESHOLD = env_int("SUPPRESSION_THRESHOLD", default=5)

# One JSON object a line in production (request id, user id, case id; never a name or
# what someone typed: hubnet.log_context); plain lines in development.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "hubnet.log_context.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "hubnet.log_context.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes tells of every sign-in at INFO; lockouts come through hubnet.security.
    "loggers": {"axes": {"level": "WARNING"}},
}
