"""Reply -> m.notice content, file -> m.file content (pure) and checked, idempotent, paced
sending; files are uploaded first (encrypted in an encrypted room).

nio encrypts every event type in encrypted rooms except m.reaction ("reactions as of yet
don't support encryption"): reactions go through `_send_encrypted`, which prepares the
room the way `AsyncClient.room_send` does and then encrypts them like a message.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError
from nio import (
    AsyncClient,
    ErrorResponse,
    GroupEncryptionError,
    LocalProtocolError,
    MembersSyncError,
    RoomGetStateResponse,
    RoomSendResponse,
    UploadResponse,
)
from nio.api import Api

from traam_bot.domain.outbox import PERMANENT_ERRORS, Outgoing
from traam_bot.matrix.pace import RateLimited

log = logging.getLogger(__name__)

NIO_CLEAR_TYPES = frozenset({"m.reaction"})  # types nio's room_send leaves unencrypted
# One attempt may take several requests (members, keys, the group session, the event), each
# bounded by the client's request timeout (session.REQUEST_TIMEOUT, 45 s); the attempt as a
# whole is bounded too, so that a send never hangs: it is given up and retried later with
# the same transaction id.
ATTEMPT_TIMEOUT = 90.0


def reaction_content(event_id: str, key: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}


@dataclass(frozen=True)
class Outcome:
    """One send attempt: sent (event id), refused for good (code), or to retry (wait)."""

    event_id: str | None = None
    refused: str | None = None  # M_FORBIDDEN, M_NOT_FOUND, M_TOO_LARGE
    error: str = ""
    wait: float | None = None  # what the server asked (429), else the caller's backoff


def content_of(out: Outgoing) -> tuple[str, dict[str, Any]]:
    """The Matrix event for an outbox row (pure); a file's needs its upload first
    (`file_content`)."""
    if out.kind == "file":
        raise ValueError("a file row is sent by Sender.attempt_file")
    if out.kind == "reaction":
        assert out.in_reply_to is not None
        return "m.reaction", reaction_content(out.in_reply_to, out.reaction_key)
    content: dict[str, Any] = {
        "msgtype": out.msgtype, "body": out.body, "format": "org.matrix.custom.html",
        "formatted_body": out.html, "m.mentions": {"room": True} if out.ping_room else {}}
    return "m.room.message", _with_relation(content, out)


def file_content(out: Outgoing, url: str | None = None,
                 file: dict[str, Any] | None = None) -> dict[str, Any]:
    """The m.file event of a file row once its data is uploaded (pure): `url` (mxc://) in a
    clear room; in an encrypted room `file`, the spec's EncryptedFile (url, key, iv, hashes,
    v), and no `url` at all."""
    if (url is None) == (file is None):
        raise ValueError("an m.file has either a url or an encrypted file")
    content: dict[str, Any] = {
        "msgtype": "m.file", "body": out.filename, "filename": out.filename,
        "info": {"mimetype": out.mimetype, "size": len(out.data.encode())}, "m.mentions": {}}
    if file is not None:
        content["file"] = dict(file)
    else:
        content["url"] = url
    return _with_relation(content, out)


def _with_relation(content: dict[str, Any], out: Outgoing) -> dict[str, Any]:
    """The reply relation to the answered message, in its thread when it was in one."""
    if out.in_reply_to is not None:
        relation: dict[str, Any] = {"m.in_reply_to": {"event_id": out.in_reply_to}}
        if out.thread_root:
            relation.update(rel_type="m.thread", event_id=out.thread_root,
                            is_falling_back=False)
        content["m.relates_to"] = relation
    return content


class Sender:
    """Checked sends: every answer of the homeserver classified (nio returns errors as
    values); reactions encrypted in encrypted rooms."""

    def __init__(self, client: AsyncClient, attempt_timeout: float = ATTEMPT_TIMEOUT) -> None:
        self.client = client
        self.attempt_timeout = attempt_timeout

    async def attempt(self, room_id: str, event_type: str, content: dict[str, Any],
                      txn: str) -> Outcome:
        try:
            async with asyncio.timeout(self.attempt_timeout):
                resp = await self._room_send(room_id, event_type, content, txn)
        except RateLimited as exc:  # pace.surface_rate_limits: the caller waits, not nio
            return Outcome(error=str(exc), wait=exc.wait)
        except (MembersSyncError, GroupEncryptionError) as exc:  # preparation failed
            return Outcome(error=type(exc).__name__)
        except LocalProtocolError as exc:  # nio does not know the room: we are not in it
            return Outcome(refused="M_NOT_FOUND", error=str(exc))
        except (ClientError, TimeoutError, OSError) as exc:
            self._unmark_sharing(room_id)
            return Outcome(error=type(exc).__name__)
        if isinstance(resp, RoomSendResponse):
            return Outcome(event_id=resp.event_id)
        return failure(resp)

    async def attempt_file(self, room_id: str, out: Outgoing, txn: str) -> Outcome:
        """A file row: its data uploaded (encrypted when the room is), then its m.file sent
        like a message, with the row's txn id. Each step is bounded by the attempt timeout.
        A retried row uploads again: the media of a failed attempt stays unused, the event
        itself is sent once (the txn id). A room the client does not know is not found, as
        for a message (nio refuses to send there), and nothing is uploaded: whether the
        data should travel encrypted is not known."""
        room = self.client.rooms.get(room_id)
        if room is None:
            return Outcome(refused="M_NOT_FOUND", error=f"room {room_id} unknown to the client")
        uploaded = await self._upload(out, encrypt=room.encrypted)
        if isinstance(uploaded, Outcome):
            return uploaded
        return await self.attempt(room_id, "m.room.message", uploaded, txn)

    async def _upload(self, out: Outgoing, encrypt: bool) -> dict[str, Any] | Outcome:
        """The m.file content once the data is in the media repository, or what failed."""
        data = out.data.encode()
        try:
            async with asyncio.timeout(self.attempt_timeout):
                resp, keys = await self.client.upload(
                    lambda _got_429, _got_timeouts: data, content_type=out.mimetype,
                    filename=out.filename, encrypt=encrypt, filesize=len(data))
        except RateLimited as exc:  # surface_rate_limits: the caller waits, not nio
            return Outcome(error=f"upload: {exc}", wait=exc.wait)
        except (ClientError, TimeoutError, OSError) as exc:
            return Outcome(error=f"upload: {type(exc).__name__}")
        if isinstance(resp, UploadResponse):
            if encrypt:  # nio's decryption info (key, iv, hashes, v) + where the data is
                return file_content(out, file={**(keys or {}), "url": resp.content_uri})
            return file_content(out, url=resp.content_uri)
        return upload_failure(resp)

    def _unmark_sharing(self, room_id: str) -> None:
        """nio marks an encrypted room as "sharing its key" before it claims one-time keys,
        and clears the mark only in a later try/finally: a claim that failed (timeout,
        broken connection, this attempt's own timeout) leaves the mark, and every later
        send to the room would wait on it forever. Sends to a room go one at a time (the
        outbox's queue per room): a mark left once an attempt has failed is such a leftover."""
        sharing = getattr(self.client, "sharing_session", {}).pop(room_id, None)
        if sharing is not None:
            sharing.set()

    async def _room_send(self, room_id: str, event_type: str, content: dict[str, Any],
                         txn: str) -> Any:
        if event_type in NIO_CLEAR_TYPES and self.client.olm is not None:
            room = self.client.rooms.get(room_id)
            if room is not None and room.encrypted:
                return await self._send_encrypted(room_id, event_type, content, txn)
        return await self.client.room_send(room_id, event_type, content, tx_id=txn,
                                           ignore_unverified_devices=True)

    async def _send_encrypted(self, room_id: str, event_type: str, content: dict[str, Any],
                              txn: str) -> Any:
        """`AsyncClient.room_send` without its m.reaction exception: members loaded, keys
        queried, group session shared, then megolm (the relation stays in clear too, for
        the server's aggregations)."""
        c = self.client
        assert c.olm is not None
        if not c.rooms[room_id].members_synced:
            members = await c.joined_members(room_id)
            if isinstance(members, ErrorResponse):
                return members  # retried (or refused) like the send itself
            if c.should_query_keys:
                await c.keys_query()
        if c.olm.should_share_group_session(room_id):
            sharing = c.sharing_session.get(room_id)
            if sharing is not None:
                await sharing.wait()
            else:
                await c.share_group_session(room_id, ignore_unverified_devices=True)
        message_type, encrypted = c.encrypt(room_id, event_type, content)
        method, path, data = Api.room_send(c.access_token, room_id, message_type, encrypted,
                                           txn)
        return await c._send(RoomSendResponse, method, path, data, (room_id,))

    async def room_state(self, room_id: str) -> list[dict] | None:
        """The room's current state events, or None when they cannot be read."""
        try:
            resp = await self.client.room_get_state(room_id)
        except (ClientError, TimeoutError, OSError):
            return None
        return resp.events if isinstance(resp, RoomGetStateResponse) else None


def failure(resp: Any, what: str = "") -> Outcome:
    """A homeserver's answer that is not a success: refused for good (PERMANENT_ERRORS) or
    to retry, after the wait it asked for if any; `what` prefixes the error ("upload: ")."""
    if not isinstance(resp, ErrorResponse):
        return Outcome(error=f"{what}{type(resp).__name__}")
    error = f"{what}{resp.status_code} {resp.message}"
    if resp.status_code in PERMANENT_ERRORS:
        return Outcome(refused=resp.status_code, error=error)
    wait = (resp.retry_after_ms or 0) / 1000 or None
    return Outcome(error=error, wait=wait)


def upload_failure(resp: Any) -> Outcome:
    """A failed upload, classified like a failed send (`failure`), except that a 413 is too
    large for good whatever its body (a proxy's own 413 has no Matrix error code)."""
    too_large = getattr(getattr(resp, "transport_response", None), "status", None) == 413
    if (isinstance(resp, ErrorResponse) and too_large
            and resp.status_code not in PERMANENT_ERRORS):
        return Outcome(refused="M_TOO_LARGE", error=f"upload: {resp.status_code} {resp.message}")
    return failure(resp, "upload: ")
