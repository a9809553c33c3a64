"""Settings read from the environment, with embedded defaults for development.

Without any variable the project runs on a SQLite file, the in-memory channel
layer, the filesystem for media and the console for email. DATABASE_URL,
REDIS_URL, AWS_STORAGE_BUCKET_NAME and EMAIL_URL switch to the real engines.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import dj_email_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def env_float(name, default):
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", default=False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-use-in-production"

# The site's own address, for links that leave it (emails, calendar feeds, webhooks).
SITE_URL = os.environ.get("DJANGO_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if not SITE_URL and not DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_SITE_URL (e.g. https://events.example.org) is required when DJANGO_DEBUG is off."
    )

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
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
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_tasks_db",
    "core",
    "eventsite",
    "notifications",
    "permissions",
    "events",
    "tickets",
]

MIDDLEWARE = [
    "core.requestid.RequestIdMiddleware",
    # A token's conditional GET answered with its kept 304 while nothing was written (READ_CACHE_FILE set).
    "core.middleware.KeptNotModifiedMiddleware",
    # A lost database connection answers 503, not a 500 traceback.
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (SECURE_CSP below) and Permissions-Policy on every answer.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into core.throttling.lockout's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "eventsite.urls"
ASGI_APPLICATION = "eventsite.asgi.application"
WSGI_APPLICATION = "eventsite.wsgi.application"

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
                "django.template.context_processors.csp",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# Database: a SQLite file unless DATABASE_URL names another. How a process holds its
# connections depends on how it runs requests (docs/deploy.md, "Database connections"):
# - a WSGI worker (gunicorn) runs one request at a time on one thread: it keeps one
#   connection for DATABASE_CONN_MAX_AGE seconds (eventsite/wsgi.py defaults it to 600);
# - daphne runs every HTTP request on a thread of its own and the sockets' queries on
#   another, so a connection cannot stay with a thread: DATABASE_POOL borrows one from
#   psycopg's pool per request or query (eventsite/asgi.py turns it on), at most
#   DATABASE_POOL_MAX_SIZE at once; a caller that waits DATABASE_POOL_TIMEOUT seconds
#   for one gets OperationalError, which core.middleware answers with 503 + Retry-After.
# Health checks are on either way: a connection that died in between is replaced (without a
# round trip to PostgreSQL for a kept connection that is idle: core/postgresql/base.py).
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0)
DATABASE_POOL = env_bool("DATABASE_POOL", default=False)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=DATABASE_CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a daphne subprocess started by a test can
    # share the test database; WAL lets readers and one writer overlap.
    # One file per test process, so parallel runs on one machine do not collide.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("DJANGO_TEST_DATABASE_NAME") or str(BASE_DIR / f"test_db_{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get("DJANGO_TEST_DATABASE_NAME", "test_eventsite")
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, with the per-request health check of a kept connection made without a
        # round trip (core/postgresql/base.py).
        DATABASES["default"]["ENGINE"] = "core.postgresql"
        # Its prepared cursor (the request path's precompiled queries, core/precompiled.py) has a
        # statement prepared on the server after a connection ran it this many times; "off": never (for a
        # pooler in transaction mode). Django's own cursors bind on the client and never prepare.
        threshold = os.environ.get("DATABASE_PREPARE_THRESHOLD", "1")
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            None if threshold == "off" else int(threshold)
        )
    # Shown in pg_stat_activity: which kind of process holds a connection (the entry points name theirs).
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = os.environ.get(
        "DATABASE_APPLICATION_NAME", "openevent"
    )
    if DATABASE_POOL:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django requires 0)
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
            "timeout": env_float("DATABASE_POOL_TIMEOUT", 5.0),
        }

# The request path's reads (token, grants, counters) answered from each process's memory while
# nothing was written on this host (core/readcache.py): every process of the deployment names
# the same file, which holds the host's write generation. Unset: off. One host only.
READ_CACHE_FILE = os.environ.get("READ_CACHE_FILE", "")
# A write made around the stack (psql, another host) is read at the latest this much later.
READ_CACHE_SECONDS = env_float("READ_CACHE_SECONDS", 5.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Channel layer: in-memory (one process) unless REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis' pub/sub layer with a lean inbox per socket (core/layers.py).
            "BACKEND": "core.layers.PubSubChannelLayer",
            "CONFIG": {
                # Bounded timeouts: a Redis that stops answering must not hang
                # the after-commit push of a request (notify() logs and moves on).
                "hosts": [{"address": REDIS_URL, "socket_connect_timeout": 2, "socket_timeout": 5}],
                "prefix": os.environ.get("CHANNELS_PREFIX", "eventsite"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Cache: on Redis when REDIS_URL is set (every process shares it), else this process's memory.
# Sessions are read from it before the database (cached_db): a signed-in request costs no
# session query. While Redis is unreachable the cache answers misses (core.cache), so
# requests fall back to the database instead of failing.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("DJANGO_CACHE_PREFIX", "openevent"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10_000}}
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# django-axes first: it counts failed log-ins (page and API token) and refuses locked-out ones.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "eventsite.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static files: served by whitenoise (or nginx in front, see docs/deploy.md).
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    # django-storages reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    # AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_S3_CUSTOM_DOMAIN itself.
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "file_overwrite": False,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", default=False),
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Background tasks (django.tasks): a queue in the database that `manage.py worker` runs (django-tasks-db),
# so one machine needs nothing more. TASKS_BACKEND=immediate runs each task in the process that enqueues
# it (the tests; development without a worker); a dotted path names another backend (docs/tasks.md).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": TASK_BACKENDS.get(TASKS_BACKEND, TASKS_BACKEND),
        # "webhooks" may get workers of its own (`manage.py worker --queue-name webhooks`).
        "QUEUES": ["default", "webhooks"],
    }
}
# Seconds an idle worker waits before it looks for new tasks again.
TASKS_POLL_SECONDS = float(os.environ.get("TASKS_POLL_SECONDS", "0.2"))
# What every worker also runs, every so many seconds (each job is safe to run from several workers at once);
# 0: before every task it takes, and whenever it wakes (the relay of the changes writes recorded).
TASKS_HOUSEKEEPING = {
    "events.webhooks.tasks.relay_waiting": 0,
    "events.webhooks.tasks.sweep": 30,
    "core.tasks.prune_task_results": 3600,
}

# Webhooks (docs/webhooks.md): a receiver is cut after WEBHOOK_TIMEOUT seconds, holds at most
# WEBHOOK_MAX_IN_FLIGHT deliveries at once (per host), and may be on a loopback address only when
# WEBHOOK_ALLOW_LOOPBACK is on (development and tests; private and link-local addresses never).
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "10"))
WEBHOOK_MAX_IN_FLIGHT = int(os.environ.get("WEBHOOK_MAX_IN_FLIGHT", "4"))
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", default=DEBUG)

# Email: the console unless EMAIL_URL (smtp://user:pass@host:587/?tls=True) is set.
EMAIL_URL = os.environ.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = dj_email_url.parse(EMAIL_URL)
    _smtp_options = {
        "host": _email["EMAIL_HOST"],
        "port": _email["EMAIL_PORT"],
        "username": _email["EMAIL_HOST_USER"],
        "password": _email["EMAIL_HOST_PASSWORD"],
        "use_tls": _email["EMAIL_USE_TLS"],
        "use_ssl": _email["EMAIL_USE_SSL"],
        "timeout": _email["EMAIL_TIMEOUT"] or 10,
    }
    MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _smtp_options}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "Open Event <noreply@localhost>")

# Security: on whenever DEBUG is off (TLS terminates at nginx, which sets
# X-Forwarded-Proto).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
    # Exempt the health check so a load balancer can probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# Scripts only from this site (no inline script; a nonce where one is unavoidable); styles may be
# inline (style attributes of the templates); pictures also from data:/blob: (the cropper) and
# the media host; no plug-ins, no framing, forms post here only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [
        CSP.SELF,
        "data:",
        "blob:",
        *([f"https://{_media_host}"] if (_media_host := os.environ.get("AWS_S3_CUSTOM_DOMAIN")) else []),
    ],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
# A failed CSRF check answers in the site's layout, or JSON under /api/.
CSRF_FAILURE_VIEW = "eventsite.errors.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Proxies in front of the application (nginx: 1): the client's address is taken from X-Forwarded-For
# that many hops from the right; with none, REMOTE_ADDR. Throttles and lock-outs count per address.
TRUSTED_PROXIES = int(os.environ.get("DJANGO_TRUSTED_PROXIES", "0"))

# Failed log-ins (core/throttling.py): after AXES_FAILURE_LIMIT failures for one address and user name,
# that pair waits AXES_COOLOFF_TIME; a success resets the count.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.throttling.lockout"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES or None
AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if TRUSTED_PROXIES else ("REMOTE_ADDR",)
AXES_VERBOSE = False

REST_FRAMEWORK = {
    # Token first, so an anonymous API call gets 401 with WWW-Authenticate: Token.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "permissions.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies only (multipart where a file is sent: the background, sponsor logos): one content type
    # per operation is what generated clients handle (a PATCH sent as a form cannot say null).
    "DEFAULT_PARSER_CLASSES": ["core.api.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "core.api.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.FilterBackend",
        "core.api.OrderingFilter",
        "core.api.SearchFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Requests that send email or create what others see, per scope (core/throttling.py).
    "DEFAULT_THROTTLE_RATES": {
        "token": os.environ.get("THROTTLE_TOKEN", "10/minute"),
        "tokens": os.environ.get("THROTTLE_NEW_TOKENS", "30/hour"),
        "invites": os.environ.get("THROTTLE_INVITES", "30/hour"),
        "signup": os.environ.get("THROTTLE_SIGNUP", "10/hour"),
        "password_reset": os.environ.get("THROTTLE_PASSWORD_RESET", "5/hour"),
        "verify_email": os.environ.get("THROTTLE_VERIFY_EMAIL", "5/hour"),
        # The public checkout places orders that hold tickets and email any address given; per client address.
        "checkout": os.environ.get("THROTTLE_CHECKOUT", "30/hour"),
        # Personal schedule feeds made per client address (each a row of up to 200 sessions).
        "personal_schedules": os.environ.get("THROTTLE_PERSONAL_SCHEDULES", "30/hour"),
    },
    "NUM_PROXIES": TRUSTED_PROXIES,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open Event API",
    "DESCRIPTION": "Events, their services, tickets, roles and notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids without the common prefix: clients get events_sessions_partial_update, not api_v1_...
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.schema.postprocess_schema"],
    "TAGS": [
        {"name": name, "description": description}
        for name, description in [
            ("auth", "Your API token."),
            ("events", "Events: create, read, change, publish; your own events."),
            ("tickets", "The tickets an event sells."),
            ("orders", "Orders of an event's tickets."),
            ("tracks", "The themes an event's sessions belong to."),
            ("microlocations", "Rooms, where sessions take place."),
            ("speakers", "The people who give sessions."),
            ("sessions", "The talks and workshops of the schedule."),
            ("sponsors", "Sponsors, with their logos."),
            ("roles", "The team of an event."),
            ("invites", "Invitations to the team."),
            ("webhooks", "Webhooks and their delivery logs."),
            ("notifications", "Your notifications."),
            ("schedule", "Public schedule feeds."),
        ]
    ],
    # Events, sessions and invites each have a "state", with different choices: name each set.
    "ENUM_NAME_OVERRIDES": {
        "EventStateEnum": "events.models.Event.STATES",
        "SessionStateEnum": "events.models.Session.STATES",
        "InviteStateEnum": "permissions.models.RoleInvite.STATES",
    },
}

# Uploaded pictures (core/images.py): bytes per kind, pixels a header may claim, pixels decoded
# (JPEGs decode reduced, PNG and WebP whole), and decodes at once per process.
BACKGROUND_MAX_BYTES = int(os.environ.get("BACKGROUND_MAX_BYTES", 5 * 1024 * 1024))
SPONSOR_LOGO_MAX_BYTES = int(os.environ.get("SPONSOR_LOGO_MAX_BYTES", 2 * 1024 * 1024))
IMAGE_MAX_PIXELS = int(os.environ.get("IMAGE_MAX_PIXELS", 40_000_000))
IMAGE_MAX_DECODED_PIXELS = int(os.environ.get("IMAGE_MAX_DECODED_PIXELS", 12_000_000))
IMAGE_DECODES_AT_ONCE = int(os.environ.get("IMAGE_DECODES_AT_ONCE", "1"))
IMAGE_DECODE_WAIT_SECONDS = float(os.environ.get("IMAGE_DECODE_WAIT_SECONDS", "20"))
# Base64 data URLs are a third larger than the bytes they carry.
DATA_UPLOAD_MAX_MEMORY_SIZE = BACKGROUND_MAX_BYTES * 4 // 3 + 64 * 1024

# Sockets one socket-server process accepts per signed-in user and per client address (more: closed 4429).
SOCKETS_PER_USER = int(os.environ.get("SOCKETS_PER_USER", "20"))
SOCKETS_PER_ADDRESS = int(os.environ.get("SOCKETS_PER_ADDRESS", "200"))
# Frames one socket may send at once, then per second (a token bucket; faster: closed 4429). A person clicks.
SOCKET_MESSAGE_BURST = int(os.environ.get("SOCKET_MESSAGE_BURST", "30"))
SOCKET_MESSAGES_PER_SECOND = float(os.environ.get("SOCKET_MESSAGES_PER_SECOND", "1"))

# Notifications pushed on connect and shown in the navbar dropdown.
NOTIFICATIONS_LATEST = 10

# Application logs go to stderr (systemd's journal in production), one line
# per record with the request id nginx generated; nginx logs the requests.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "core.requestid.RequestIdFilter"},
        "refusal_without_traceback": {"()": "core.logfilters.RefusalWithoutTraceback"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Django's own handlers (its console under DEBUG) printed each record a second time beside ours.
        "django": {"handlers": [], "propagate": True},
        "django.request": {"filters": ["refusal_without_traceback"]},
    },
}
