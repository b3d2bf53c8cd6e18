"""A bare matrix-nio echo bot: the reference for the latency and burst bars (SPEC §7).

What a minimal bot on the same stack does, and nothing more: password login, join on
invite, and for every `m.text` from someone else an `m.notice` rich reply carrying the
same body. nio callbacks under `sync_forever`; each reply is sent from its own task so
that a burst is answered as fast as the homeserver accepts (no queue of our own).

E2EE support is on by default, as in traam-bot (olm machine, key upload, to-device
handling on every sync), so that the comparison measures traam-bot's own work and not
the cost of nio's crypto layer; the measured rooms themselves are unencrypted.
`--no-e2ee` runs the client without it. `--react` also puts a ✅ reaction on each
message before the echo (traam-bot's two events per `!point`): an informative variant
that shows what the homeserver charges for reactions.

    ECHO_BOT_PASSWORD=… python -m bench.echo_bot --homeserver URL --user @echo:localhost
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    LoginResponse,
    MatrixRoom,
    RoomMessageText,
)

# the same sync filter as traam-bot's runtime: up to 100 timeline events per room
SYNC_FILTER = {"room": {"timeline": {"limit": 100}, "state": {"lazy_load_members": False},
                        "ephemeral": {"types": []}},
               "presence": {"types": []}}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homeserver", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--store", default="echo-store")
    parser.add_argument("--no-e2ee", action="store_true")
    parser.add_argument("--react", action="store_true")
    args = parser.parse_args()
    e2ee = not args.no_e2ee
    if e2ee:
        Path(args.store).mkdir(parents=True, exist_ok=True)
    client = AsyncClient(args.homeserver, args.user, store_path=args.store if e2ee else "",
                         config=AsyncClientConfig(encryption_enabled=e2ee,
                                                  store_sync_tokens=False))
    resp = await client.login(os.environ["ECHO_BOT_PASSWORD"], device_name="echo-bot")
    if not isinstance(resp, LoginResponse):
        raise SystemExit(f"echo-bot: login failed ({getattr(resp, 'message', '?')})")
    started_ms = int(time.time() * 1000)
    tasks: set[asyncio.Task[None]] = set()

    def spawn(coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def echo(room: MatrixRoom, event: RoomMessageText) -> None:
        if args.react:
            await client.room_send(room.room_id, "m.reaction", {"m.relates_to": {
                "rel_type": "m.annotation", "event_id": event.event_id, "key": "✅"}},
                ignore_unverified_devices=True)
        content = {"msgtype": "m.notice", "body": event.body,
                   "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}}}
        await client.room_send(room.room_id, "m.room.message", content,
                               ignore_unverified_devices=True)

    def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != client.user_id and event.server_timestamp >= started_ms:
            spawn(echo(room, event))

    def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == client.user_id and event.membership == "invite":
            spawn(client.join(room.room_id))

    client.add_event_callback(on_message, RoomMessageText)
    client.add_event_callback(on_invite, InviteMemberEvent)
    await client.sync(timeout=0, sync_filter=SYNC_FILTER, full_state=True)
    if e2ee and client.should_upload_keys:
        await client.keys_upload()
    print(f"echo-bot ready as {client.user_id} (e2ee={'on' if e2ee else 'off'})", flush=True)
    try:
        await client.sync_forever(timeout=30_000, sync_filter=SYNC_FILTER)
    finally:
        await client.close()  # never logout: a throwaway device anyway


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
