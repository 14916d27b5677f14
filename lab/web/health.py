"""Readiness checks behind /healthz: each check raises when its part is unhealthy."""

from __future__ import annotations

import asyncio
import logging
import secrets

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)

CHANNEL_LAYER_TIMEOUT_S = 2.0


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


async def run_checks() -> dict[str, str]:
    """Return ``{"database": ..., "channel_layer": ...}``, each "ok" or "error: <type>"."""
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
    except Exception as exc:
        logger.exception("healthz: channel layer check failed")
        results["channel_layer"] = f"error: {type(exc).__name__}"
    else:
        results["channel_layer"] = "ok"
    return results
