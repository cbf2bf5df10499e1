"""Tongzhou settings: one file, driven by the environment (and `var/local.env` if present)."""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TONGZHOU_VAR_DIR", str(BASE_DIR / "var")))

env = environ.Env()
# `make run` writes per-install random keys here; real deployments set the environment.
environ.Env.read_env(
    os.environ.get("TONGZHOU_ENV_FILE", str(VAR_DIR / "local.env")), overwrite=False
)

PLACEHOLDER = "insecure-placeholder-change-me"

DEBUG = env.bool("TONGZHOU_DEBUG", default=False)
SECRET_KEY = env.str("TONGZHOU_SECRET_KEY", default=PLACEHOLDER)
# Earlier secret keys, still accepted for sessions and signatures while a new one takes over.
SECRET_KEY_FALLBACKS = env.list("TONGZHOU_SECRET_KEY_FALLBACKS", default=[])
# Fernet keys for personal data at rest: the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env.list("TONGZHOU_FIELD_KEYS", default=[])
# HMAC key for exact lookup of ID numbers and phones without decrypting.
LOOKUP_HASH_KEY = env.str("TONGZHOU_LOOKUP_KEY", default=PLACEHOLDER)
# The lookup key being replaced, while `rotate_lookup_key` rewrites the hashes: lookups match
# under either, so nothing is missed and no one is registered twice during the rotation.
LOOKUP_HASH_KEY_PREVIOUS = env.str("TONGZHOU_LOOKUP_KEY_PREVIOUS", default="")
# Signs elders' QR codes. When unset it is derived from the secret key (one secret fewer to
# manage); setting it separately lets it rotate on its own.
QR_SECRET = env.str("TONGZHOU_QR_KEY", default="")
# The QR secret being replaced: codes and printed cards signed with it are still accepted
# (printed cards until they are reissued), and `rotate_qr_key` moves the offline verifiers.
QR_SECRET_PREVIOUS = env.str("TONGZHOU_QR_KEY_PREVIOUS", default="")


def weak_secret(value: str, shortest: int) -> bool:
    """The placeholder, too short, or too repetitive (Django's test of a secret key,
    `security.W009`, asks 50 characters and 5 different ones)."""
    return value == PLACEHOLDER or len(value) < shortest or len(set(value)) < 5


if not DEBUG:
    # A 256-bit key written in base64 is 43 characters: enough for the HMAC lookup key.
    for name, value, shortest in (
        ("TONGZHOU_SECRET_KEY", SECRET_KEY, 50),
        ("TONGZHOU_LOOKUP_KEY", LOOKUP_HASH_KEY, 43),
    ):
        if weak_secret(value, shortest):
            raise ImproperlyConfigured(
                f"{name} is the placeholder or too weak ({shortest} characters or more, "
                "varied): set a real secret, e.g. from `python -m tongzhou.core.keys`."
            )
    if not FIELD_ENCRYPTION_KEYS:
        raise ImproperlyConfigured("TONGZHOU_FIELD_KEYS is empty; set at least one Fernet key.")

ALLOWED_HOSTS = env.list("TONGZHOU_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("TONGZHOU_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "tongzhou.core",
    "tongzhou.audit",
    "tongzhou.throttle",
    "tongzhou.geo",
    "tongzhou.canteens",
    "tongzhou.accounts",
    "tongzhou.elders",
    "tongzhou.identity",
    "tongzhou.subsidies",
    "tongzhou.ledger",
    "tongzhou.meals",
    "tongzhou.charity",
    "tongzhou.purses",
    "tongzhou.bookings",
    "tongzhou.coverage",
    "tongzhou.settlement",
    "tongzhou.care",
    "tongzhou.visits",
    "tongzhou.portal",
    "tongzhou.discovery",
    "tongzhou.network",
    "tongzhou.oversight",
    "tongzhou.board",
    "tongzhou.dashboard",
    "tongzhou.operations",
    "tongzhou.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tongzhou.operations.metrics.MetricsMiddleware",
    "tongzhou.core.middleware.RequestIdMiddleware",
    "tongzhou.core.middleware.RejectNulMiddleware",
    "tongzhou.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tongzhou" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tongzhou.dashboard.context_processors.navigation",
            ],
        },
    },
]

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'tongzhou.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("TONGZHOU_CONN_MAX_AGE", default=60))
    # A health check is a `SELECT 1` round trip before every request's first query (a quarter
    # of the counter's throughput). Without it, a connection broken by a database restart
    # fails one request, is closed at that request's end, and the next one reconnects;
    # counters retry with the same Idempotency-Key, so nothing is charged twice.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool(
        "TONGZHOU_CONN_HEALTH_CHECKS", default=False
    )
    # Parameters bound on the server, and a statement prepared once it has run a few times on
    # a connection: PostgreSQL then stops planning the counter's sale on every request (its
    # planning cost more than running it). A pooler in transaction mode without prepared
    # statement support needs TONGZHOU_PG_PREPARE_THRESHOLD=0 (off).
    prepare_after = env.int("TONGZHOU_PG_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=prepare_after or None
    )
# SQLite tests use a file, not shared-cache memory, so parallel-client tests see real locking.
_default_test_name = (
    str(VAR_DIR / "test.sqlite3")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else None
)
DATABASES["default"]["TEST"] = {
    "NAME": env.str("TONGZHOU_TEST_DB_NAME", default=_default_test_name)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "tongzhou" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
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
MEDIA_ROOT = VAR_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Production serves over HTTPS behind a proxy that terminates TLS and says so in
# X-Forwarded-Proto (`TONGZHOU_HTTPS=1`): redirect plain HTTP, secure cookies, HSTS.
HTTPS = env.bool("TONGZHOU_HTTPS", default=False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS or env.bool(
    "TONGZHOU_SECURE_COOKIES", default=False
)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]  # probes on the local network
    SECURE_HSTS_SECONDS = env.int("TONGZHOU_HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("TONGZHOU_HSTS_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("TONGZHOU_HSTS_PRELOAD", default=True)
# Reverse proxies of our own in front of the server (the TLS proxy): the client's address is
# read from X-Forwarded-For that many entries from the right (tongzhou/core/net.py).
PROXY_HOPS = env.int("TONGZHOU_PROXY_HOPS", default=1 if HTTPS else 0)
# `/metrics` for the monitoring: with this token (Bearer), else from this machine only.
METRICS_TOKEN = env.str("TONGZHOU_METRICS_TOKEN", default="")
# What pages may load: only the platform's own scripts, styles, images and connections (the
# front-end assets are served locally); inline styles are allowed, inline scripts are not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; "
    "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The API's interactive docs and its schema: for signed-in staff, unless published for
# terminal vendors (`TONGZHOU_PUBLIC_API_DOCS=1`).
PUBLIC_API_DOCS = env.bool("TONGZHOU_PUBLIC_API_DOCS", default=False)
# Who delivers notifications (wellness alerts, statements sent back): a class with
# `send(message)`; the default writes them to the log (`tongzhou/core/notify.py`).
NOTIFY_SENDER = env.str("TONGZHOU_NOTIFY_SENDER", default="tongzhou.core.notify.ConsoleSender")

# One JSON object a line with the request id (`TONGZHOU_LOG_FORMAT=json`, the default outside
# debug), or plain lines for a developer's terminal.
LOG_FORMAT = env.str("TONGZHOU_LOG_FORMAT", default="text" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tongzhou.core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "tongzhou.core.logs.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env.str("TONGZHOU_LOG_LEVEL", default="WARNING")},
    # The console sender's notifications are the embedded default's outbox: always shown.
    "loggers": {"tongzhou.notify": {"level": "INFO"}},
}
# A request or a database statement slower than this is logged (a warning, with its route).
SLOW_REQUEST_MS = env.int("TONGZHOU_SLOW_REQUEST_MS", default=1000)
SLOW_QUERY_MS = env.int("TONGZHOU_SLOW_QUERY_MS", default=200)

# The platform's own options.
TONGZHOU = {
    "CITY_CODE": "330900",
    # Largest upload accepted by the elder register import.
    "IMPORT_MAX_ROWS": env.int("TONGZHOU_IMPORT_MAX_ROWS", default=50_000),
    # Face identification: the largest distance a match may have, and by how much it must
    # beat the next person city-wide (docs/adr/0003-identity-at-the-counter.md).
    "FACE_THRESHOLD": env.float("TONGZHOU_FACE_THRESHOLD", default=0.45),
    "FACE_MARGIN": env.float("TONGZHOU_FACE_MARGIN", default=0.08),
    # The head-turn check before a face is identified (identity/liveness.py); off only where
    # a counter's camera cannot take several frames.
    "FACE_LIVENESS": env.bool("TONGZHOU_FACE_LIVENESS", default=True),
    # Services at the door: how far from the elder's door a check-in still counts, the
    # worst phone accuracy accepted without review, the largest photo.
    "CARE": {
        "FENCE_M": env.int("TONGZHOU_CARE_FENCE_M", default=200),
        "WORST_ACCURACY_M": env.int("TONGZHOU_CARE_WORST_ACCURACY_M", default=150),
        "MAX_PHOTO_BYTES": 5 * 1024 * 1024,
    },
    # How far 15 minutes reach (a class with `area(...)`, tongzhou/network/routing.py): the
    # straight line clipped to the island by default; a road graph's where one is supplied.
    "NETWORK_REACH": env.str(
        "TONGZHOU_NETWORK_REACH", default="tongzhou.network.routing.StraightLineClipped"
    ),
}
SITE_TITLE = _("Tongzhou elderly meal and care platform")
