"""Settings for Studio, read from the environment (see .env.example for every variable).

With nothing set, Studio runs on its embedded defaults: DEBUG, SQLite in a local data
folder, the in-memory channel layer and the built-in Vidu simulator. Production sets
DEBUG=false, which makes SECRET_KEY, STUDIO_ENCRYPTION_KEY and ALLOWED_HOSTS required.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from studio.env import env_bool, env_float, env_int, env_list, env_str, env_url
from studio.middleware import static_file_headers

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("STUDIO_DATA_DIR", str(BASE_DIR / "data"))).resolve()

DEBUG = env_bool("DEBUG", True)
# The built-in Vidu simulator is a development and demo provider (DESIGN §0): on with
# DEBUG, otherwise only when STUDIO_SIMULATOR=on. Off, every /simulator/ route answers
# 404 and its clock does not run. Its other settings are at the end.
SIMULATOR_ENABLED = env_bool("STUDIO_SIMULATOR", DEBUG)


def _local_secret(filename: str, make: Callable[[], str]) -> str:
    """A secret generated once into the data folder (the embedded setup's secrets, and
    the built-in simulator's key)."""
    path = DATA_DIR / filename
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Written whole under a private name, then linked into place: processes starting
        # together (web and dispatcher) all read the one that got there first.
        partial = path.with_name(f".{filename}.{os.getpid()}")
        partial.write_text(make())
        partial.chmod(0o600)
        try:
            os.link(partial, path)
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()


def _required_in_production(name: str, filename: str, make: Callable[[], str]) -> str:
    value = env_str(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is false.")
    return _local_secret(filename, make)


SECRET_KEY = _required_in_production("SECRET_KEY", "secret_key", lambda: secrets.token_urlsafe(64))
# Encrypts provider API keys at rest; losing it means re-entering the keys.
STUDIO_ENCRYPTION_KEY = _required_in_production(
    "STUDIO_ENCRYPTION_KEY", "encryption_key", lambda: Fernet.generate_key().decode()
)
try:
    Fernet(STUDIO_ENCRYPTION_KEY.encode())
except ValueError:
    raise ImproperlyConfigured(
        "STUDIO_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes)."
    ) from None

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "channels",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "csp",
    "template_partials.apps.SimpleAppConfig",
    "accounts",
    "projects",
    "library",
    "providers",
    "generations",
    "simulator",
    "storyboards",
    "review",
]

MIDDLEWARE = [
    # ServeStatic (WhiteNoise's async descendant) answers static files on the event loop
    # and is async only: everything below it runs synchronously, in one entry into the
    # request's thread (see the last entry). Static files get their security headers
    # from SERVESTATIC_ADD_HEADERS_FUNCTION; above it, the security and CSP middleware
    # would run async, each hook a trip into that thread (a sixth of a callback's CPU).
    "servestatic.middleware.ServeStaticMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Last of the working ones, as django-axes asks: it turns a locked-out login into the
    # lockout answer.
    "axes.middleware.AxesMiddleware",
    # Below everything: the views are synchronous, so the stack above runs in one thread.
    "studio.middleware.synchronous_views",
]

ROOT_URLCONF = "studio.urls"
ASGI_APPLICATION = "studio.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # Partials outside, the cache inside: templates are compiled once per process
            # (Django reloads them when they change while DEBUG is on).
            "loaders": [
                (
                    "template_partials.loader.Loader",
                    [
                        (
                            "django.template.loaders.cached.Loader",
                            [
                                "django.template.loaders.filesystem.Loader",
                                "django.template.loaders.app_directories.Loader",
                            ],
                        )
                    ],
                )
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

# --- Database: SQLite in the data folder unless DATABASE_URL names another ------------
DATABASE_URL = env_url("DATABASE_URL", schemes=("sqlite", "postgres", "postgresql"))
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's own connection pool (psycopg_pool): under ASGI every request runs in
        # a thread of its own, so connections are borrowed per request, not opened.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2, minimum=0),
            "max_size": env_int("DATABASE_POOL_MAX", 10, minimum=1),
            "timeout": 10,
        }
else:
    # SQLite will not make the folder of its file: a first start with DEBUG=false (no
    # generated secrets) would fail on a data folder that does not exist yet.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "studio.sqlite3",
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the
                # busy timeout instead of one failing with "database is locked" mid-way.
                "transaction_mode": "IMMEDIATE",
                # Seconds a connection waits for the write lock (SQLite's busy timeout).
                "timeout": 20,
                # Run on every new connection (one a request for the synchronous views):
                # only what Django does not already set (it turns foreign keys on itself).
                "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;",
            },
            # Django's ASGI handler runs each request in a thread of its own, so a
            # connection is opened per request and closed after; the provider
            # callback's lasting threads keep theirs (generations/views/callbacks.py).
            "CONN_MAX_AGE": 0,
            # Tests use a file, not shared memory, so the live server's threads and
            # child processes see one database with WAL's concurrency.
            "TEST": {"NAME": Path(tempfile.gettempdir()) / f"studio-test-{os.getpid()}.sqlite3"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels: in-memory in one process, Redis when several share the work -------------
REDIS_URL = env_url("REDIS_URL", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    # A socket's receive blocks in Redis for up to 5 s (channels-redis' BZPOPMIN), so the
    # read timeout must be longer: redis-py 8 reads with a 5 s default, and every quiet
    # socket dropped after 5-8 s. Keepalive finds a dead Redis that never answers.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30.0,
                        "socket_connect_timeout": 5.0,
                        "socket_keepalive": True,
                    }
                ]
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Caches ----------------------------------------------------------------------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Ready cards' HTML (generations/cards.py), in each process's memory: their keys
    # change with what they show, so processes never need to tell each other anything.
    "cards": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "cards",
        "OPTIONS": {"MAX_ENTRIES": 5_000},  # a card is 2-3 KB
        "TIMEOUT": 24 * 3600,
    },
}
if not REDIS_URL:
    # One web process (the in-memory channel layer serves no other): sessions are read
    # from its memory and written through to the database, a query saved on every page.
    # Several processes keep reading the database: a logout in one would leave the
    # session alive in the memory of the others.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    SESSION_CACHE_ALIAS = "sessions"
    CACHES["sessions"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "sessions",
        "OPTIONS": {"MAX_ENTRIES": 10_000},
    }

# --- Accounts --------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes): ten wrong passwords for one username from one address,
# and that pair is refused for 15 minutes; a successful login starts the count again.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 10
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are what it counts; no row per good login
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.locked_out"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "projects:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Files -------------------------------------------------------------------------------
STATIC_URL = "static/"
# The embedded setup serves static files straight from the source folders; a deployment
# collects them into STATIC_ROOT at build time.
STATIC_ROOT = None if DEBUG else Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
SERVESTATIC_USE_FINDERS = DEBUG
# Static files are answered above the security middleware: nosniff and a policy that
# lets a file opened on its own (an SVG) run nothing. No HTTPS redirect: they are public,
# and pages (which redirect and send HSTS) are what link to them.
SERVESTATIC_ADD_HEADERS_FUNCTION = static_file_headers
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media is private: it is served only through login-checked views, never by URL alone.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media"))).resolve()
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "servestatic.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# Uploaded images decoded at once per process (library.services.checked_image): a 40 MP
# image is 160 MB of pixels, so this bounds what simultaneous uploads can take.
STUDIO_IMAGE_WORKERS = env_int("STUDIO_IMAGE_WORKERS", 2, minimum=1)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Security ------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site
# only. Pages have no inline script, style or handler (htmx is told not to add its own
# <style>, nor to eval); uploads preview from blob: URLs; websockets are 'self' too.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that sets X-Forwarded-Proto itself and strips it from clients.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Studio -----------------------------------------------------------------------------
# The address providers can reach us on, for callbacks. Unset: no callback_url is sent
# and generations are followed by polling alone.
STUDIO_PUBLIC_BASE_URL = env_url("STUDIO_PUBLIC_BASE_URL", schemes=("http", "https"))
# Background loops the ASGI lifespan starts in the web process (dotted paths to
# coroutine functions taking no arguments). Set it empty to run none of them here (the
# dispatcher and the renderer as processes of their own); unset, all of them run.
STUDIO_BACKGROUND_TASKS = env_list(
    "STUDIO_BACKGROUND_TASKS",
    ["simulator.clock.run", "generations.dispatcher.run", "storyboards.renders.run"]
    if SIMULATOR_ENABLED
    else ["generations.dispatcher.run", "storyboards.renders.run"],
    blank_means_none=True,
)

# --- The dispatcher (see generations/dispatcher.py) -------------------------------------------
# Seconds between looks at the database when nothing wakes the dispatcher sooner.
GENERATIONS_TICK_SECONDS = env_float("GENERATIONS_TICK_SECONDS", 1.0, minimum=0.05)
GENERATIONS_BATCH = env_int("GENERATIONS_BATCH", 16, minimum=1)
# A dispatcher that dies holding a generation lets it go after this long.
GENERATIONS_LEASE_SECONDS = env_int("GENERATIONS_LEASE_SECONDS", 120, minimum=1)
# Polling: the first look waits for the model's expected time (at least this long),
# then every GENERATIONS_POLL_SECONDS ±20 %. The simulator is polled more often.
GENERATIONS_FIRST_POLL = env_float("GENERATIONS_FIRST_POLL", 60.0, minimum=0)
GENERATIONS_POLL_SECONDS = env_float("GENERATIONS_POLL_SECONDS", 30.0, minimum=0.1)
GENERATIONS_SIMULATOR_FIRST_POLL = env_float("GENERATIONS_SIMULATOR_FIRST_POLL", 2.0, minimum=0)
GENERATIONS_SIMULATOR_POLL = env_float("GENERATIONS_SIMULATOR_POLL", 2.0, minimum=0.1)
GENERATIONS_SLOT_WAIT_SECONDS = env_float("GENERATIONS_SLOT_WAIT_SECONDS", 2.0, minimum=0.1)
GENERATIONS_SUBMIT_ATTEMPTS = env_int("GENERATIONS_SUBMIT_ATTEMPTS", 5, minimum=1)
GENERATIONS_RECONCILE_SECONDS = env_float("GENERATIONS_RECONCILE_SECONDS", 5.0, minimum=0.1)
# How long a task we may have created can stay unfound in the provider's task list
# before the designer is asked what to do (the studio never sends it again on its own).
GENERATIONS_RECONCILE_GRACE_SECONDS = env_float(
    "GENERATIONS_RECONCILE_GRACE_SECONDS", 60.0, minimum=0
)
# How long a look-up that keeps failing (the list unreachable) is retried before asking.
GENERATIONS_RECONCILE_DEADLINE_SECONDS = env_float(
    "GENERATIONS_RECONCILE_DEADLINE_SECONDS", 600.0, minimum=0
)
# A documented "no such task" fails a task only once the provider has had this long to
# list it (a task may not be visible the moment it is created).
GENERATIONS_NOT_FOUND_GRACE_SECONDS = env_float(
    "GENERATIONS_NOT_FOUND_GRACE_SECONDS", 120.0, minimum=0
)
# A submitted generation with no result after this many seconds shows as stalled (and
# is polled less often). 0: automatic, ten times the model's expected time, at least
# 30 min; off-peak tasks get at least 48 h.
GENERATIONS_STALL_SECONDS = env_float("GENERATIONS_STALL_SECONDS", 0.0, minimum=0)
GENERATIONS_DOWNLOAD_ATTEMPTS = env_int("GENERATIONS_DOWNLOAD_ATTEMPTS", 5, minimum=1)
GENERATIONS_MAX_DOWNLOAD_BYTES = env_int(
    "GENERATIONS_MAX_DOWNLOAD_BYTES", 500 * 1024 * 1024, minimum=1024
)

# --- Vidu simulator (see the README, "The Vidu simulator") ---------------------------------
# Where the studio's simulator connection reaches the simulator (this server by default).
SIMULATOR_URL = env_url(
    "SIMULATOR_URL", "http://127.0.0.1:8000/simulator", schemes=("http", "https")
)
# This install's simulator key, generated once into the data folder like secret_key;
# the studio's built-in simulator connection uses it (providers/registry.env_key).
SIMULATOR_API_KEY = env_str("SIMULATOR_API_KEY") or (
    _local_secret("simulator_key", lambda: "sim-" + secrets.token_urlsafe(32))
    if SIMULATOR_ENABLED
    else ""
)
# The keys the simulator accepts: only this install's key unless listed here.
SIMULATOR_API_KEYS = env_list(
    "SIMULATOR_API_KEYS", [SIMULATOR_API_KEY] if SIMULATOR_API_KEY else []
)
SIMULATOR_IMAGE_SECONDS = env_float("SIMULATOR_IMAGE_SECONDS", 3.0, minimum=0)
SIMULATOR_VIDEO_SECONDS = env_float("SIMULATOR_VIDEO_SECONDS", 10.0, minimum=0)
SIMULATOR_CONCURRENCY = env_int("SIMULATOR_CONCURRENCY", 5, minimum=1)
# Faults applied to every task, as prompt tags would (e.g. "slow,drop-callbacks").
SIMULATOR_FAULTS = env_list("SIMULATOR_FAULTS", [])
SIMULATOR_TICK_SECONDS = env_float("SIMULATOR_TICK_SECONDS", 0.2, minimum=0.01)
# Frame rate of simulated clips: 12 keeps a 1080p clip's render inside the clock.
SIMULATOR_VIDEO_FPS = env_int("SIMULATOR_VIDEO_FPS", 12, minimum=1)
# How long a create with the `timeout` fault hangs before answering (and its bound).
SIMULATOR_TIMEOUT_SECONDS = env_float("SIMULATOR_TIMEOUT_SECONDS", 120.0, minimum=0)
SIMULATOR_CALLBACK_BACKOFF_SECONDS = env_float("SIMULATOR_CALLBACK_BACKOFF_SECONDS", 0.5, minimum=0)
# An extension to the documented task list: items carry `payload` and the list filters
# by `payload`/`payloads[]`. Off, the simulator is as strict as Vidu's documents.
SIMULATOR_LIST_PAYLOAD = env_bool("SIMULATOR_LIST_PAYLOAD", False)
# Unfinished tasks allowed per key and in all; beyond, creates answer 429 QuotaExceeded.
SIMULATOR_MAX_QUEUED_PER_KEY = env_int("SIMULATOR_MAX_QUEUED_PER_KEY", 50, minimum=1)
SIMULATOR_MAX_QUEUED = env_int("SIMULATOR_MAX_QUEUED", 200, minimum=1)
# Bytes of simulator files (inputs and outputs younger than 24 h) before creates are
# refused with 429 QuotaExceeded.
SIMULATOR_MAX_STORED_BYTES = env_int("SIMULATOR_MAX_STORED_BYTES", 2 * 1024**3, minimum=0)
# How often the clock deletes the files whose 24 h life is over.
SIMULATOR_PRUNE_SECONDS = env_float("SIMULATOR_PRUNE_SECONDS", 60.0, minimum=0.01)
if SIMULATOR_ENABLED:
    # The studio calls its own simulator at SIMULATOR_URL, plain http on loopback by
    # default: a redirect to https would fail every call ("Test connection" got a 301).
    # The simulator carries no cookies or sessions; its key is checked on each call.
    SECURE_REDIRECT_EXEMPT = [r"^simulator/"]
    # ... and under its own host name, which production ALLOWED_HOSTS may not list.
    _simulator_host = urlsplit(SIMULATOR_URL).hostname or ""
    if _simulator_host and not {"*", _simulator_host} & set(ALLOWED_HOSTS):
        ALLOWED_HOSTS = [*ALLOWED_HOSTS, _simulator_host]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "providers.redaction.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes reports every successful login at INFO; lockouts come at WARNING.
    "loggers": {"httpx": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
