from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from lab import config

ROOT = Path(__file__).resolve().parent.parent


def settings_in_subprocess(expression: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Import lab.settings in a fresh interpreter with ``env`` and print ``expression``."""
    environ = {k: v for k, v in os.environ.items() if k not in config_variables()}
    environ.update(env)
    code = f"import json, lab.settings as s; print(json.dumps({expression}, default=str))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def config_variables() -> set[str]:
    return {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "LAB_DATA_DIR",
        "LAB_HTTPS",
        "LAB_TRUST_PROXY",
    }


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("On", True), ("yes", True), ("0", False), ("off", False)],
)
def test_it_reads_booleans(raw: str, expected: bool) -> None:
    assert config.env_bool("DEBUG", default=not expected, environ={"DEBUG": raw}) is expected


def test_it_uses_the_default_for_unset_or_blank_values() -> None:
    assert config.env_bool("DEBUG", default=True, environ={}) is True
    assert config.env_bool("DEBUG", default=False, environ={"DEBUG": "  "}) is False
    assert config.env_int("LAB_X", default=7, environ={}) == 7
    assert config.env_list("ALLOWED_HOSTS", default=["a"], environ={}) == ["a"]
    assert config.env_str("LAB_Y", default="d", environ={}) == "d"
    assert config.env_optional("LAB_Y", environ={"LAB_Y": ""}) is None


@pytest.mark.parametrize(
    ("call", "name", "value"),
    [
        (lambda e: config.env_bool("DEBUG", default=True, environ=e), "DEBUG", "maybe"),
        (lambda e: config.env_int("LAB_WORKERS", default=1, environ=e), "LAB_WORKERS", "two"),
        (
            lambda e: config.env_int("LAB_WORKERS", default=1, minimum=1, environ=e),
            "LAB_WORKERS",
            "0",
        ),
        (
            lambda e: config.env_int("LAB_WORKERS", default=1, maximum=8, environ=e),
            "LAB_WORKERS",
            "9",
        ),
        (
            lambda e: config.env_list("ALLOWED_HOSTS", default=[], environ=e),
            "ALLOWED_HOSTS",
            "a,,b",
        ),
    ],
)
def test_it_refuses_bad_values_naming_the_variable(
    call: Callable[[dict[str, str]], object], name: str, value: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as excinfo:
        call({name: value})

    assert name in str(excinfo.value)
    assert repr(value) in str(excinfo.value)


def test_it_requires_a_string_without_default() -> None:
    with pytest.raises(ImproperlyConfigured, match="LAB_REQUIRED"):
        config.env_str("LAB_REQUIRED", environ={})


def test_it_reads_integers_and_lists() -> None:
    assert config.env_int("LAB_N", default=1, minimum=0, maximum=9, environ={"LAB_N": " 5 "}) == 5
    assert config.env_list("ALLOWED_HOSTS", default=[], environ={"ALLOWED_HOSTS": "a, b"}) == [
        "a",
        "b",
    ]


def test_it_falls_back_to_the_dev_secret_key_only_in_debug() -> None:
    assert config.secret_key(debug=True, environ={}) == config.DEV_SECRET_KEY
    assert config.secret_key(debug=False, environ={"SECRET_KEY": "s3cret"}) == "s3cret"
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY must be set when DEBUG is off"):
        config.secret_key(debug=False, environ={})
    with pytest.raises(ImproperlyConfigured, match="SECRET_KEY holds the public development key"):
        config.secret_key(debug=False, environ={"SECRET_KEY": config.DEV_SECRET_KEY})


def test_it_defaults_to_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    db = config.database(None, directory=tmp_path)

    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "lab.sqlite3")
    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_it_parses_a_postgres_database_url(tmp_path: Path) -> None:
    db = config.database("postgres://lab:pw@db.internal:5433/vpnlab", directory=tmp_path)

    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"]) == ("vpnlab", "lab", "pw")
    assert (db["HOST"], db["PORT"]) == ("db.internal", 5433)
    assert "transaction_mode" not in db.get("OPTIONS", {})


def test_it_refuses_an_unknown_database_scheme(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL='nosuchdb://x/y'"):
        config.database("nosuchdb://x/y", directory=tmp_path)


def test_it_makes_relative_data_dirs_absolute_and_creates_them(tmp_path: Path) -> None:
    assert config.data_dir(None, base_dir=tmp_path) == tmp_path / "data"
    assert config.data_dir("var/lab", base_dir=tmp_path) == tmp_path / "var" / "lab"
    assert (tmp_path / "var" / "lab").is_dir()


def test_it_picks_the_channel_layer_from_redis_url() -> None:
    memory = config.channel_layers(None)["default"]
    redis = config.channel_layers("redis://cache:6379/1")["default"]

    assert memory["BACKEND"] == "lab.live.layer.SweepingInMemoryChannelLayer"
    assert redis["BACKEND"] == "lab.live.layer.ResilientRedisChannelLayer"
    assert redis["CONFIG"]["hosts"] == ["redis://cache:6379/1"]
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL='http://cache'"):
        config.channel_layers("http://cache")


def test_it_wires_environment_into_settings(tmp_path: Path) -> None:
    result = settings_in_subprocess(
        "[s.DEBUG, s.ALLOWED_HOSTS, s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.DATABASES['default']['ENGINE'], str(s.LAB_DATA_DIR)]",
        DEBUG="0",
        SECRET_KEY="not-the-dev-key",
        ALLOWED_HOSTS="lab.example",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/lab",
        LAB_DATA_DIR=str(tmp_path / "d"),
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        False,
        ["lab.example"],
        "lab.live.layer.ResilientRedisChannelLayer",
        "django.db.backends.postgresql",
        str(tmp_path / "d"),
    ]


def test_it_has_development_defaults(tmp_path: Path) -> None:
    result = settings_in_subprocess(
        "[s.DEBUG, s.ALLOWED_HOSTS, s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.DATABASES['default']['NAME'], s.WHITENOISE_USE_FINDERS]"
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True,
        ["localhost", "127.0.0.1", "[::1]"],
        "lab.live.layer.SweepingInMemoryChannelLayer",
        str(ROOT / "data" / "lab.sqlite3"),
        True,
    ]


def test_it_refuses_to_start_without_secret_key_when_debug_is_off() -> None:
    result = settings_in_subprocess("s.DEBUG", DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_names_a_bad_debug_value() -> None:
    result = settings_in_subprocess("s.DEBUG", DEBUG="sometimes")

    assert result.returncode != 0
    assert "DEBUG='sometimes'" in result.stderr


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-private-production-key-" + "x7Q" * 12,
    "ALLOWED_HOSTS": "lab.example.org",
}


def test_production_settings_pass_the_deploy_checks() -> None:
    environ = {k: v for k, v in os.environ.items() if k not in config_variables()}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**environ, **PRODUCTION},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_cookies_are_secure_and_https_is_enforced() -> None:
    result = settings_in_subprocess(
        "[s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_REDIRECT_EXEMPT,"
        " getattr(s, 'SECURE_PROXY_SSL_HEADER', None)]",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [True, True, True, True, 31_536_000, ["^healthz$"], None]
    behind_proxy = settings_in_subprocess(
        "s.SECURE_PROXY_SSL_HEADER", LAB_TRUST_PROXY="1", **PRODUCTION
    )
    assert json.loads(behind_proxy.stdout) == ["HTTP_X_FORWARDED_PROTO", "https"]
    plain = settings_in_subprocess(
        "[s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS]",
        LAB_HTTPS="0",
        **PRODUCTION,
    )
    assert json.loads(plain.stdout) == [False, False, 0]


def test_the_cache_is_shared_through_redis_when_there_is_one() -> None:
    assert config.caches(None)["default"]["BACKEND"].endswith("LocMemCache")
    redis = config.caches("redis://cache:6379/1")["default"]
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://cache:6379/1"
