"""Sending at the homeserver's pace: its 429 answers come back to us, and the sends of all
rooms slow down together.

nio retries a rate-limited request by itself, forever, each request on its own: thirty
rooms owed a message at once (reminders due at the same minute) become thirty requests
retried in a herd, one of which gets through at each turn (hundreds of 429 for thirty
messages under Synapse's default `rc_message`). The homeserver limits the bot as a user,
not per room, so the bot's room sends take the 429 themselves (`surface_rate_limits`),
and `Pace` holds every room's next send until the time the server asked, then lets them
through one at a time, each the last asked wait after the one before (the server's own
rate, as its answers tell it), until it has been calm for a while.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from nio import AsyncClient, RoomSendError, UploadError

CALM = 30.0  # seconds without a 429 before room sends run in parallel again
DEFAULT_WAIT = 5.0  # a 429 that does not say how long (nio's own default)
MAX_SPACING = 10.0  # between two sends while limited, whatever a penalty asked


class RateLimited(Exception):
    """A room send answered 429 M_LIMIT_EXCEEDED; `wait` is what the server asked (s)."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"429 M_LIMIT_EXCEEDED (retry after {wait:.1f} s)")
        self.wait = wait


async def _raise_rate_limited(resp: Any) -> None:
    """nio's callback on every answer: a room send's (or an attachment upload's) 429 leaves
    nio's retry loop (which runs the callbacks before it sleeps) as `RateLimited`. Other
    requests (to-device key sharing, joins, logins) keep nio's own retries."""
    if (isinstance(resp, RoomSendError | UploadError)
            and resp.status_code in ("M_LIMIT_EXCEEDED", 429)):
        raise RateLimited((resp.retry_after_ms or DEFAULT_WAIT * 1000) / 1000)


def surface_rate_limits(client: AsyncClient) -> None:
    client.add_response_callback(_raise_rate_limited,  # type: ignore[arg-type]
                                 (RoomSendError, UploadError))


class Pace:
    """Shared by every room's sends: free while the homeserver does not complain; after a
    429, each send waits for the time asked and they go one at a time, spaced by the last
    wait asked, until CALM."""

    def __init__(self) -> None:
        self._until = 0.0  # no send before this (loop time)
        self._last = float("-inf")  # the last 429
        self._spacing = 0.0  # between two sends while limited
        self._one = asyncio.Lock()

    @staticmethod
    def now() -> float:
        return asyncio.get_running_loop().time()

    def limited(self, wait: float) -> None:
        """The server answered 429 and asked to wait `wait` seconds."""
        now = self.now()
        self._until = max(self._until, now + wait)
        self._last = now
        self._spacing = min(wait, MAX_SPACING)

    @property
    def calm(self) -> bool:
        return self.now() - self._last > CALM

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Around one send attempt."""
        if self.calm:
            yield
            return
        async with self._one:
            delay = self._until - self.now()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                self._until = max(self._until, self.now() + self._spacing)
