"""Calls to the homeserver: nio results checked (nio returns errors as values, and raises
on transport failures); the backoff between attempts is the domain's, re-exported here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError
from nio import AsyncClient, KeysUploadError

from traam_bot.domain.backoff import Backoff
from traam_bot.matrix.errors import lost_keys

__all__ = ["Backoff", "checked", "describe"]

log = logging.getLogger(__name__)


async def checked(call: Callable[[], Awaitable[Any]]) -> Any:
    """Run a nio call, turning transport exceptions and error responses into a log line."""
    try:
        resp = await call()
    except (ClientError, TimeoutError, OSError) as exc:
        log.warning("matrix call failed: %s", type(exc).__name__)
        return None
    if isinstance(resp, list):
        return resp
    if hasattr(resp, "status_code") and getattr(resp, "message", None) is not None:
        log.warning("matrix call refused: %s", describe(resp))
    return resp


def describe(resp: Any) -> str:
    if isinstance(resp, BaseException):
        return type(resp).__name__
    return f"{getattr(resp, 'status_code', '?')} {getattr(resp, 'message', '')}".strip()


def is_key_conflict(resp: Any) -> bool:
    """A key upload refused because the server holds other keys under the same ids: the
    device's Olm account was replaced behind its back (lost key store)."""
    return isinstance(resp, KeysUploadError) and "already exists" in (resp.message or "")


async def upload_keys(client: AsyncClient) -> Any:
    """Upload the device's keys; a conflict with the keys already published is fatal: the
    bot would run mute in encrypted rooms."""
    resp = await checked(client.keys_upload)
    if is_key_conflict(resp):
        raise lost_keys(client.user_id, client.device_id,
                        "le serveur refuse ses nouvelles clés, d’autres sont déjà publiées "
                        "pour cet appareil (magasin de clés remplacé)")
    return resp
