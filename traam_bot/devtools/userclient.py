"""A scripted human Matrix user on a real nio client with its own E2EE store."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    BadEventType,
    DownloadResponse,
    LoginResponse,
    MatrixRoom,
    MegolmEvent,
    RoomSendResponse,
    SyncResponse,
)
from nio import Event as NioEvent
from nio.api import RoomPreset

ENCRYPTION = {"type": "m.room.encryption", "state_key": "",
              "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
USER_SYNC_FILTER = {"room": {"timeline": {"limit": 200}}, "presence": {"types": []}}
Event = dict[str, Any]


def _relation(event: Event) -> dict[str, Any]:
    rel = (event.get("content") or {}).get("m.relates_to")
    return rel if isinstance(rel, dict) else {}


def replies_to(event: Event, event_id: str) -> bool:
    """True for an m.notice whose rich reply points at `event_id`."""
    content = event.get("content") or {}
    reply = _relation(event).get("m.in_reply_to") or {}
    return (event.get("type") == "m.room.message" and content.get("msgtype") == "m.notice"
            and isinstance(reply, dict) and reply.get("event_id") == event_id)


class _KeepingClient(AsyncClient):
    """nio replaces a decrypted timeline event by its clear version; keep what travelled
    (type m.room.encrypted, clear relation) so that tests can check both."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.encrypted_sources: dict[str, Event] = {}  # event id -> source, until recorded

    def _handle_timeline_event(self, event: NioEvent | BadEventType, room_id: str,
                               room: MatrixRoom, encrypted_rooms: set[str],
                               ) -> NioEvent | BadEventType | None:
        decrypted = super()._handle_timeline_event(event, room_id, room, encrypted_rooms)
        if decrypted is not None and isinstance(event, MegolmEvent):
            self.encrypted_sources[event.event_id] = dict(event.source)
        return decrypted


class UserClient:
    """A human test or demo user on a real nio client, with its own E2EE store.

    Recorded events are their sources (decrypted when they were encrypted) plus
    `room_id`, `decrypted` and, for decrypted ones, `encrypted_source`: the event as
    the server sent it.
    """

    def __init__(self, store_dir: Path | str | None = None) -> None:
        self._own_store = store_dir is None
        self.store_dir = Path(store_dir or tempfile.mkdtemp(prefix="traam-user-"))
        self._client: _KeepingClient | None = None
        self.events: dict[str, list[Event]] = {}
        self.invites: list[str] = []

    @property
    def client(self) -> _KeepingClient:
        if self._client is None:
            raise RuntimeError("UserClient not logged in: call login() first")
        return self._client

    @property
    def user_id(self) -> str:
        return str(self.client.user_id)

    async def login(self, homeserver: str, user_id: str, password: str) -> UserClient:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False)
        self._client = _KeepingClient(homeserver, user_id, store_path=str(self.store_dir),
                                      config=config)
        resp = await self._client.login(password, device_name="traam-sandbox")
        if not isinstance(resp, LoginResponse):  # never show the response: it may hold a token
            raise RuntimeError(f"login failed for {user_id}: {getattr(resp, 'message', '?')}")
        await self.sync(0)
        return self

    # -- syncing -----------------------------------------------------------------
    async def sync(self, timeout_ms: int = 0) -> None:
        """One sync from the client's own token; records timeline events and invites."""
        resp = await self.client.sync(timeout=timeout_ms, sync_filter=USER_SYNC_FILTER,
                                      full_state=None if self.client.next_batch else True)
        if not isinstance(resp, SyncResponse):
            await asyncio.sleep(0.5)
            return
        for room_id in resp.rooms.invite:
            if room_id not in self.invites:
                self.invites.append(room_id)
        for room_id, info in resp.rooms.join.items():
            seen = self.events.setdefault(room_id, [])
            for ev in info.timeline.events:
                record = dict(ev.source, room_id=room_id,
                              decrypted=bool(getattr(ev, "decrypted", False)))
                outer = self.client.encrypted_sources.pop(record.get("event_id", ""), None)
                if outer is not None:
                    record["encrypted_source"] = outer
                seen.append(record)
        await self._crypto()

    async def _crypto(self) -> None:
        c = self.client
        if c.should_upload_keys:
            await c.keys_upload()
        if c.should_query_keys:
            await c.keys_query()
        if c.should_claim_keys:
            await c.keys_claim(c.get_users_for_key_claiming())
        await c.send_to_device_messages()

    async def _until(self, check: Callable[[], Any], seconds: float) -> Any:
        """Sync until `check()` is truthy or `seconds` passed; return its last value."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            result = check()
            remaining = deadline - loop.time()
            if result or remaining <= 0:
                return result
            await self.sync(int(min(remaining, 5.0) * 1000))

    async def wait_for(self, predicate: Callable[[Event], bool],
                       timeout: float = 20, count: int = 1) -> list[Event]:
        """Events seen so far or arriving within `timeout` that match (may be fewer)."""
        def found() -> list[Event]:
            return [e for evs in self.events.values() for e in evs if predicate(e)]

        await self._until(lambda: len(found()) >= count, timeout)
        return found()

    async def wait_reply(self, room_id: str, event_id: str,
                         timeout: float = 20) -> Event:
        """The bot's m.notice answering `event_id`; TimeoutError when none comes."""
        found = await self.wait_for(
            lambda e: e["room_id"] == room_id and e.get("sender") != self.user_id
            and replies_to(e, event_id), timeout)
        if not found:
            raise TimeoutError(f"no reply to {event_id} in {room_id} after {timeout:.0f} s")
        return found[0]

    def replies(self, room_id: str, event_id: str) -> list[Event]:
        """Every notice already seen answering `event_id` (long replies come in parts)."""
        return [e for e in self.events.get(room_id, [])
                if e.get("sender") != self.user_id and replies_to(e, event_id)]

    async def wait_reaction(self, room_id: str, event_id: str, key: str = "✅",
                            timeout: float = 20) -> Event:
        def match(e: Event) -> bool:
            rel = _relation(e)
            return (e["room_id"] == room_id and e.get("type") == "m.reaction"
                    and rel.get("event_id") == event_id and rel.get("key") == key)

        found = await self.wait_for(match, timeout)
        if not found:
            raise TimeoutError(f"no {key} reaction to {event_id} after {timeout:.0f} s")
        return found[0]

    async def wait_invite(self, timeout: float = 20) -> str:
        """The first pending invite not yet joined (e.g. a DM opened by the bot)."""
        def pending() -> str | None:
            return next((r for r in self.invites if r not in self.client.rooms), None)

        room_id = await self._until(pending, timeout)
        if not room_id:
            raise TimeoutError(f"no invite for {self.user_id} after {timeout:.0f} s")
        return str(room_id)

    async def wait_member(self, room_id: str, user_id: str,
                          timeout: float = 20) -> None:
        """Wait until `user_id` has joined `room_id` (e.g. the bot accepting an invite)."""
        def joined() -> bool:
            room = self.client.rooms.get(room_id)
            return room is not None and user_id in room.users and user_id not in room.invited_users

        if not await self._until(joined, timeout):
            raise TimeoutError(f"{user_id} did not join {room_id} after {timeout:.0f} s")

    # -- acting ------------------------------------------------------------------
    async def create_room(self, name: str | None = None, invite: Iterable[str] = (),
                          direct: bool = False, encrypted: bool = False,
                          power_levels: dict[str, Any] | None = None) -> str:
        resp = await self.client.room_create(
            name=name, invite=list(invite), is_direct=direct,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=[ENCRYPTION] if encrypted else [], power_level_override=power_levels)
        room_id = getattr(resp, "room_id", None)
        if not room_id:
            raise RuntimeError(f"room creation failed: {getattr(resp, 'message', '?')}")
        await self._until(lambda: room_id in self.client.rooms, 10)
        return str(room_id)

    async def join(self, room_id: str) -> None:
        resp = await self.client.join(room_id)
        if getattr(resp, "room_id", None) != room_id:
            raise RuntimeError(f"join of {room_id} failed: {getattr(resp, 'message', '?')}")
        await self._until(lambda: room_id in self.client.rooms, 10)

    async def send(self, room_id: str, body: str, *, thread_root: str | None = None,
                   reply_to: str | None = None, mentions: Iterable[str] | None = None,
                   formatted_body: str | None = None) -> str:
        content: dict[str, Any] = {"msgtype": "m.text", "body": body}
        if formatted_body is not None:
            content |= {"format": "org.matrix.custom.html", "formatted_body": formatted_body}
        if mentions is not None:
            content["m.mentions"] = {"user_ids": list(mentions)}
        if thread_root is not None:
            content["m.relates_to"] = {"rel_type": "m.thread", "event_id": thread_root,
                                       "is_falling_back": True,
                                       "m.in_reply_to": {"event_id": reply_to or thread_root}}
        elif reply_to is not None:
            content["m.relates_to"] = {"m.in_reply_to": {"event_id": reply_to}}
        return await self.send_event(room_id, "m.room.message", content)

    async def edit(self, room_id: str, event_id: str, new_body: str) -> str:
        new = {"msgtype": "m.text", "body": new_body}
        return await self.send_event(room_id, "m.room.message", {
            "msgtype": "m.text", "body": f"* {new_body}", "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": event_id}})

    async def redact(self, room_id: str, event_id: str) -> None:
        resp = await self.client.room_redact(room_id, event_id)
        if not getattr(resp, "event_id", None):
            raise RuntimeError(f"redaction failed: {getattr(resp, 'message', '?')}")

    async def send_event(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        """Any event; encrypted rooms get keys queried and shared with unverified devices."""
        await self._crypto()
        resp = await self.client.room_send(room_id, event_type, content,
                                           ignore_unverified_devices=True)
        if not isinstance(resp, RoomSendResponse):
            raise RuntimeError(f"send to {room_id} failed: {getattr(resp, 'message', '?')}")
        return str(resp.event_id)

    async def download(self, mxc: str) -> bytes:
        """The bytes of a media (authenticated media API), as stored: still encrypted for
        an attachment of an encrypted room (`nio.crypto.attachments.decrypt_attachment`)."""
        resp = await self.client.download(mxc)
        if not isinstance(resp, DownloadResponse) or not isinstance(resp.body, bytes):
            raise RuntimeError(f"download of {mxc} failed: {getattr(resp, 'message', '?')}")
        return resp.body

    async def close(self) -> None:
        """Close the connection (never logout) and drop a temporary store."""
        if self._client is not None:
            await self._client.close()
        if self._own_store:
            shutil.rmtree(self.store_dir, ignore_errors=True)
