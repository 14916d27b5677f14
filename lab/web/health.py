"""Readiness checks behind /healthz: each check raises when its part is unhealthy."""

from __future__ import annotations

import asyncio
import logging
import secrets

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.contrib.staticfiles.storage import staticfiles_storage
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT_S = 2.0
# Every page links these through {% static %}: with DEBUG off and no `collectstatic`,
# the manifest lacks them and every page answers 500; health says so too.
STATIC_FILES = ("css/lab.css", "css/teaching.css", "css/live.css", "js/live.js")


def check_database() -> None:
    """Run ``SELECT 1`` on the default database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        row = cursor.fetchone()
    if row is None or row[0] != 1:
        raise DatabaseError(f"SELECT 1 returned {row!r}")


async def check_channel_layer() -> None:
    """Send a message to a fresh channel on the default layer and read it back."""
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer is configured")
    channel = await layer.new_channel("healthz.")
    token = secrets.token_hex(8)
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    async with asyncio.timeout(CHANNEL_LAYER_TIMEOUT_S):
        message = await layer.receive(channel)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned a different message")


def check_static_files() -> None:
    """Resolve the pages' static files as templates do (the manifest, when DEBUG is off)."""
    for name in STATIC_FILES:
        staticfiles_storage.url(name)


async def run_checks() -> dict[str, str]:
    """``{"database", "channel_layer", "static_files"}``, each "ok" or "error: <type>"."""
    results: dict[str, str] = {}
    try:
        await sync_to_async(check_database)()
    except Exception as exc:
        logger.exception("healthz: database check failed")
        results["database"] = f"error: {type(exc).__name__}"
    else:
        results["database"] = "ok"
    try:
        await check_channel_layer()
    except TimeoutError as exc:  # a busy or unreachable layer: a reported state, not a bug
        logger.error("healthz: no answer from the channel layer in %s s", CHANNEL_LAYER_TIMEOUT_S)
        results["channel_layer"] = f"error: {type(exc).__name__}"
    except Exception as exc:
        logger.exception("healthz: channel layer check failed")
        results["channel_layer"] = f"error: {type(exc).__name__}"
    else:
        results["channel_layer"] = "ok"
    try:
        check_static_files()
    except Exception as exc:  # ValueError: missing from the manifest (no collectstatic)
        logger.error("healthz: static files check failed: %s", exc)
        results["static_files"] = f"error: {type(exc).__name__}"
    else:
        results["static_files"] = "ok"
    return results
