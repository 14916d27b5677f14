"""Settings helpers: read environment variables and refuse bad values loudly.

Each helper names the variable and the offending value in its
``ImproperlyConfigured`` message. The builders turn validated values into the
dictionaries Django and Channels expect, so ``lab/settings.py`` stays declarative
and every rule here can be unit tested without reloading settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})

# SQLite under an ASGI server sees writes from several threads: take the write lock at
# BEGIN (no upgrade deadlocks), wait for it instead of failing fast, and use WAL so
# readers never block the writer.
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
}


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    """Return the stripped value of ``name``, or None when it is unset or blank."""
    source = os.environ if environ is None else environ
    value = source.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def env_str(
    name: str, default: str | None = None, *, environ: Mapping[str, str] | None = None
) -> str:
    """Return a string variable; ``default=None`` means the variable is required."""
    value = _raw(name, environ)
    if value is not None:
        return value
    if default is None:
        raise ImproperlyConfigured(f"Environment variable {name} must be set.")
    return default


def env_optional(name: str, *, environ: Mapping[str, str] | None = None) -> str | None:
    """Return a string variable, or None when it is unset or blank."""
    return _raw(name, environ)


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    """Return a boolean variable written as 1/0, true/false, yes/no or on/off."""
    value = _raw(name, environ)
    if value is None:
        return default
    word = value.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"Environment variable {name}={value!r} is not a boolean; "
        "use one of 1, 0, true, false, yes, no, on, off."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Return an integer variable, optionally bounded (inclusive) by minimum/maximum."""
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value, 10)
    except ValueError:
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} is not an integer."
        ) from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is below {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"Environment variable {name}={value!r} is above {maximum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Return a comma-separated list variable; items are stripped, empty items refused."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"Environment variable {name}={value!r} has an empty item; "
            "separate values with single commas."
        )
    return items


DEV_SECRET_KEY = "django-insecure-vpn-flow-lab-development-only"


def secret_key(*, debug: bool, environ: Mapping[str, str] | None = None) -> str:
    """Return SECRET_KEY; only DEBUG may fall back to the public development key."""
    value = _raw("SECRET_KEY", environ)
    if debug:
        return value or DEV_SECRET_KEY
    if value is None:
        raise ImproperlyConfigured("Environment variable SECRET_KEY must be set when DEBUG is off.")
    if value == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "Environment variable SECRET_KEY holds the public development key; "
            "set a private value when DEBUG is off."
        )
    return value


def data_dir(raw: str | None, *, base_dir: Path) -> Path:
    """Return the absolute lab data directory (relative paths are under base_dir), created."""
    path = Path(raw) if raw else base_dir / "data"
    if not path.is_absolute():
        path = base_dir / path
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LAB_DATA_DIR={str(path)!r} cannot be created: {exc.strerror}."
        ) from exc
    return path


def database(url: str | None, *, directory: Path) -> dict[str, Any]:
    """Return the default DATABASES entry; None means SQLite at directory/lab.sqlite3."""
    if url is None:
        url = f"sqlite:///{directory / 'lab.sqlite3'}"
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL={url!r} cannot be parsed: {exc}") from exc
    if config.get("ENGINE") == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    elif config.get("ENGINE") == "django.db.backends.postgresql":
        # Keep connections (checked before reuse, so a restarted server is survived).
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
    return config


def channel_layers(redis_url: str | None) -> dict[str, Any]:
    """Return CHANNEL_LAYERS: in-memory without a Redis URL, channels-redis with one."""
    if redis_url is None:
        return {"default": {"BACKEND": "lab.live.layer.SweepingInMemoryChannelLayer"}}
    scheme = urlsplit(redis_url).scheme
    if scheme not in REDIS_SCHEMES:
        raise ImproperlyConfigured(
            f"REDIS_URL={redis_url!r} must start with redis://, rediss:// or unix://."
        )
    return {
        "default": {
            # channels-redis that waits out a Redis restart instead of dropping sockets
            "BACKEND": "lab.live.layer.ResilientRedisChannelLayer",
            # capacity: messages one channel may hold before sends to it fail; a process's
            # relay channel carries all its watchers' frames from owners elsewhere, and 500
            # dropped acknowledgements in the soak (docs/scaling.md)
            "CONFIG": {"hosts": [redis_url], "capacity": 5000, "expiry": 30},
        }
    }


def caches(redis_url: str | None) -> dict[str, Any]:
    """CACHES: shared through Redis when there is one (rate limits hold across
    processes), else this process's memory (the embedded single process)."""
    if redis_url is None or urlsplit(redis_url).scheme not in REDIS_SCHEMES:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "lab",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def content_security_policy() -> dict[str, str]:
    """The Content-Security-Policy directives: only the site's own scripts, no inline
    script, no eval. Style attributes are allowed (`style-src-attr 'unsafe-inline'`,
    CSP level 3): the progress bar's width is one; <style> elements are not."""
    return {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "style-src-attr": "'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self'",
        "connect-src": "'self'",  # the websocket's ws(s):// origin is added per request
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",  # the embed route: LAB_EMBED_FRAME_ANCESTORS
    }
