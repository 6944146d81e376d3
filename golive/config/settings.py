"""golive settings: every value comes from the environment (see .env.example for the full list).

Two modes:
- local (default): data in GOLIVE_HOME (./.golive), SQLite in WAL mode, a secret key generated on
  first run and kept in GOLIVE_HOME/secret_key, localhost only.
- production (GOLIVE_ENV=production): refuses to start without GOLIVE_SECRET_KEY and
  GOLIVE_ALLOWED_HOSTS, HTTPS-only cookies, HSTS; `golive check --deploy` is clean.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """Return the environment variable `name`, or `default` when unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    """Return a boolean variable; refuse anything that is not a clear yes or no."""
    raw = os.environ.get(name, "")
    value = raw.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Return an integer variable of at least `minimum`."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated list variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


GOLIVE_ENV = env_str("GOLIVE_ENV", "local").strip().lower()
if GOLIVE_ENV not in {"local", "production"}:
    raise ImproperlyConfigured(f"GOLIVE_ENV={GOLIVE_ENV!r}: use 'local' or 'production'.")
PRODUCTION = GOLIVE_ENV == "production"

GOLIVE_HOME = Path(env_str("GOLIVE_HOME", ".golive")).expanduser().resolve()
GOLIVE_HOME.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    key = env_str("GOLIVE_SECRET_KEY").strip()
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("GOLIVE_SECRET_KEY must be at least 50 characters long.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "GOLIVE_SECRET_KEY is not set. Production mode (GOLIVE_ENV=production) needs a secret "
            "key of at least 50 random characters, shared by every app server."
        )
    key_file = GOLIVE_HOME / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Encrypts stored database and webhook URLs (rollout); defaults to a key derived from SECRET_KEY.
GOLIVE_SECRETS_KEY = env_str("GOLIVE_SECRETS_KEY").strip()
DEBUG = env_bool("GOLIVE_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("GOLIVE_DEBUG cannot be on in production mode.")

ALLOWED_HOSTS = env_list(
    "GOLIVE_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "GOLIVE_ALLOWED_HOSTS is not set. Production mode needs the host names golive is served "
        "under, comma-separated (for example golive.example.com)."
    )
CSRF_TRUSTED_ORIGINS = env_list("GOLIVE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "golive.accounts",
    "golive.audit",
    "golive.projects",
    "golive.gates",
    "golive.readiness",
    "golive.work",
    "golive.quality",
    "golive.resources",
    "golive.rollout",
    "golive.web",
    "golive.server",
]

# Background work (blocker escalation): django-tasks with the database backend. Workers run
# `golive db_worker` on any number of machines; they claim queued tasks with row locks.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "golive.config.middleware.ApiProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "golive.config.urls"
WSGI_APPLICATION = "golive.config.wsgi.application"
ASGI_APPLICATION = "golive.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL").strip()
if _database_url:
    try:
        _default_db = dj_database_url.parse(
            _database_url,
            conn_max_age=env_int("GOLIVE_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from exc
else:
    _default_db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(GOLIVE_HOME / "golive.sqlite3"),
        "OPTIONS": {
            # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at the
            # start of a transaction so two writers queue instead of failing half-way.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
DATABASES = {"default": _default_db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:project_list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Vendored front-end libraries (golive/static/vendor/<name>-<version>/, with their licences).
STATICFILES_DIRS = [Path(__file__).resolve().parent.parent / "static"]
STATIC_ROOT = GOLIVE_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise expects it even before collectstatic
MEDIA_ROOT = Path(env_str("GOLIVE_MEDIA_ROOT", str(GOLIVE_HOME / "media"))).resolve()
MEDIA_URL = "media/"  # never served directly: evidence downloads go through an access-checked view
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
WHITENOISE_USE_FINDERS = not PRODUCTION

GOLIVE_MAX_UPLOAD_BYTES = env_int("GOLIVE_MAX_UPLOAD_MB", 10, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
GOLIVE_TOKEN_MAX_DAYS = env_int("GOLIVE_TOKEN_MAX_DAYS", 365, minimum=1)
GOLIVE_BASE_URL = env_str("GOLIVE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

GOLIVE_PROJECT_CREATE_STAFF_ONLY = env_bool("GOLIVE_PROJECT_CREATE_STAFF_ONLY", False)

EMAIL_BACKEND = env_str("GOLIVE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("GOLIVE_FROM_EMAIL", "golive@localhost")
EMAIL_HOST = env_str("GOLIVE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("GOLIVE_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("GOLIVE_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("GOLIVE_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("GOLIVE_EMAIL_USE_TLS", False)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("GOLIVE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("GOLIVE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("GOLIVE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("GOLIVE_HSTS_PRELOAD", False)
    if env_bool("GOLIVE_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GOLIVE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # datacompy reports every comparison at INFO; golive stores its own report instead.
        "datacompy": {"level": "WARNING"},
    },
}
