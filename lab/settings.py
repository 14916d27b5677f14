"""Django settings for VPN Flow Lab, read from environment variables.

Defaults suit development: DEBUG is on, SQLite lives in ``data/``, the channel layer is
in memory. Production sets ``DEBUG=0`` and then must provide ``SECRET_KEY``. Every
variable is listed in README.md; the rules for each live in ``lab/config.py``.
"""

from __future__ import annotations

from pathlib import Path

from lab.config import (
    caches,
    channel_layers,
    content_security_policy,
    data_dir,
    database,
    env_bool,
    env_int,
    env_list,
    env_optional,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = secret_key(debug=DEBUG)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

# Lab-specific settings are named LAB_*.
LAB_DATA_DIR = data_dir(env_optional("LAB_DATA_DIR"), base_dir=BASE_DIR)

INSTALLED_APPS = [
    "daphne",  # first, so runserver serves ASGI (HTTP and websockets)
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "lab.web",
    "lab.scenarios",
    "lab.live",
    "lab.teaching",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "lab.security.RequestSizeMiddleware",
    "lab.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "lab.urls"
ASGI_APPLICATION = "lab.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,  # template_partials swaps this for its own cached loaders
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # {% partialdef %} everywhere without {% load %}, as built into Django 6.
            "builtins": ["template_partials.templatetags.partials"],
        },
    },
]

DATABASES = {"default": database(env_optional("DATABASE_URL"), directory=LAB_DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CHANNEL_LAYERS = channel_layers(env_optional("REDIS_URL"))
CACHES = caches(env_optional("REDIS_URL"))

# -- Hardening ----------------------------------------------------------------------------
# HTTPS: on by default when DEBUG is off. Secure cookies, redirect to https (except the
# health check, which load balancers and the Docker HEALTHCHECK ask over plain http), HSTS.
LAB_HTTPS = env_bool("LAB_HTTPS", default=not DEBUG)
# Behind a reverse proxy that terminates TLS and sets X-Forwarded-Proto (docker-compose's
# Caddy): trust that header. Never set this when clients can reach the server directly.
LAB_TRUST_PROXY = env_bool("LAB_TRUST_PROXY", default=False)
if LAB_TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = LAB_HTTPS
CSRF_COOKIE_SECURE = LAB_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), not the cookie
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = LAB_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("LAB_HSTS_SECONDS", default=31_536_000 if LAB_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("LAB_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("LAB_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # embed links keep ?key= in their URL
X_FRAME_OPTIONS = "DENY"  # the ?embed=1 run page alone may be framed
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

# Content-Security-Policy: only this site's scripts (see lab/config.py for every directive).
LAB_CSP = content_security_policy()
LAB_EMBED_FRAME_ANCESTORS = env_str("LAB_EMBED_FRAME_ANCESTORS", default="*")

# Size limits: whole requests (configs and scenario files are posted as form fields or
# files), answered with a 413 that names the limit; the forms have their own, smaller.
LAB_MAX_REQUEST_BYTES = env_int("LAB_MAX_REQUEST_BYTES", default=1_048_576, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = LAB_MAX_REQUEST_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = LAB_MAX_REQUEST_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# Rate limits on starting runs (Start, class joins, broadcasts), shared across processes
# by Redis; on new scenario copies (fork, import) and class joins; on failed logins.
LAB_RUN_STARTS_PER_MINUTE = env_int("LAB_RUN_STARTS_PER_MINUTE", default=30, minimum=1)
LAB_RUN_STARTS_TOTAL_PER_MINUTE = env_int("LAB_RUN_STARTS_TOTAL_PER_MINUTE", default=600, minimum=1)
LAB_COPIES_PER_MINUTE = env_int("LAB_COPIES_PER_MINUTE", default=30, minimum=1)
LAB_CLASS_JOINS_PER_MINUTE = env_int("LAB_CLASS_JOINS_PER_MINUTE", default=10, minimum=1)
LAB_CLASS_JOINS_PER_CLASS_PER_MINUTE = env_int(
    "LAB_CLASS_JOINS_PER_CLASS_PER_MINUTE", default=120, minimum=1
)
LAB_LOGIN_FAILURES = env_int("LAB_LOGIN_FAILURES", default=5, minimum=1)
LAB_LOGIN_WINDOW_S = env_int("LAB_LOGIN_WINDOW_S", default=300, minimum=1)

# Packet captures: bytes one capture may hold (link load x window, checked before it
# starts; building one holds about 5x that at its peak), and how many are made at once
# per process and per client address: at most about 2 x 5 x 48 MB per process (48 MB: the
# capture form's default, 30 s of a 10 Mbit/s link, fits).
LAB_CAPTURE_MAX_BYTES = env_int("LAB_CAPTURE_MAX_BYTES", default=48_000_000, minimum=100_000)
LAB_CAPTURES_PER_PROCESS = env_int("LAB_CAPTURES_PER_PROCESS", default=2, minimum=1)
LAB_CAPTURES_PER_ADDRESS = env_int("LAB_CAPTURES_PER_ADDRESS", default=1, minimum=1)

# Mail (password resets): Django's SMTP settings; an unsent mail is one logged line
# (lab.web.accounts.QuietSmtpBackend), never a traceback and a 500.
EMAIL_BACKEND = "lab.web.accounts.QuietSmtpBackend"
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")

# Logging: everything to stderr, with run tokens (`?key=...`) and other secrets blanked
# out of every line by lab.security.RedactSecrets, whoever logs it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "lab.security.RedactSecrets"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact"],
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LAB_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's and daphne's own handlers are replaced by ours (with the filter).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.channels.server": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
        "daphne": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Accounts are optional: anonymous visitors use edit keys kept in their session.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files are served by WhiteNoise inside the ASGI app in every mode. In DEBUG it
# reads them straight from the finders (no collectstatic); otherwise from STATIC_ROOT,
# filled by `manage.py collectstatic` (the Docker build does that).
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
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
