"""Calls to the homeserver: nio results checked (nio returns errors as values, and raises
on transport failures); the backoff between attempts is the domain's, re-exported here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientError

from traam_bot.domain.backoff import Backoff

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

