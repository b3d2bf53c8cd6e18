"""The local Synapse harness works with a real matrix-nio client."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from nio import (
    AsyncClient,
    AsyncClientConfig,
    JoinResponse,
    LoginResponse,
    RoomCreateResponse,
    RoomInviteResponse,
    RoomMessageText,
    RoomSendResponse,
    SyncResponse,
)

from traam_bot.devtools.devserver import LocalSynapse

from .conftest import MakeUser

Login = Callable[[str, str], Awaitable[AsyncClient]]


@pytest.fixture
async def login(synapse: LocalSynapse) -> AsyncIterator[Login]:
    """Password-login factory; every client is closed at teardown (no logout)."""
    clients: list[AsyncClient] = []

    async def do_login(user_id: str, password: str) -> AsyncClient:
        # max_limit_exceeded=0: a 429 comes back as an error instead of being retried.
        config = AsyncClientConfig(encryption_enabled=False, max_limit_exceeded=0)
        client = AsyncClient(synapse.url, user_id, config=config)
        clients.append(client)
        response = await client.login(password, device_name="e2e")
        assert isinstance(response, LoginResponse), response
        return client

    yield do_login
    for client in clients:
        await client.close()


async def _texts_after(client: AsyncClient, room_id: str, since: str, wanted: str) -> list[str]:
    """Sync until a text message whose body is ``wanted`` arrives in ``room_id``."""
    bodies: list[str] = []
    async with asyncio.timeout(15):
        while wanted not in bodies:
            response = await client.sync(timeout=1000, since=since)
            assert isinstance(response, SyncResponse), response
            since = response.next_batch
            room = response.rooms.join.get(room_id)
            events = room.timeline.events if room else []
            bodies += [e.body for e in events if isinstance(e, RoomMessageText)]
    return bodies


async def test_two_clients_exchange_a_message(make_user: MakeUser, login: Login) -> None:
    alice_id, alice_pw = make_user("alice")
    bob_id, bob_pw = make_user("bob")
    alice = await login(alice_id, alice_pw)
    bob = await login(bob_id, bob_pw)

    created = await alice.room_create(name="e2e")
    assert isinstance(created, RoomCreateResponse), created
    invited = await alice.room_invite(created.room_id, bob_id)
    assert isinstance(invited, RoomInviteResponse), invited

    first = await bob.sync(timeout=0)
    assert isinstance(first, SyncResponse), first
    assert created.room_id in first.rooms.invite
    joined = await bob.join(created.room_id)
    assert isinstance(joined, JoinResponse), joined
    since = (await bob.sync(timeout=0)).next_batch

    body = f"bonjour {uuid.uuid4().hex}"
    sent = await alice.room_send(
        created.room_id, "m.room.message", {"msgtype": "m.text", "body": body}
    )
    assert isinstance(sent, RoomSendResponse), sent
    assert body in await _texts_after(bob, created.room_id, since, body)


async def test_rate_limits_are_relaxed(make_user: MakeUser, login: Login) -> None:
    alice = await login(*make_user("burst"))
    created = await alice.room_create()
    assert isinstance(created, RoomCreateResponse), created
    for i in range(30):  # default rc_message allows a burst of 10
        content = {"msgtype": "m.text", "body": f"message {i}"}
        sent = await alice.room_send(created.room_id, "m.room.message", content)
        assert isinstance(sent, RoomSendResponse), sent


def test_register_is_idempotent(synapse: LocalSynapse) -> None:
    localpart = f"idem-{uuid.uuid4().hex[:12]}"
    first = synapse.register(localpart, "secret-1", admin=True)
    again = synapse.register(localpart, "secret-1", admin=True)
    assert first == again == f"@{localpart}:{synapse.server_name}"


async def test_aregister_and_url(synapse: LocalSynapse) -> None:
    assert synapse.url == f"http://127.0.0.1:{synapse.port}"
    localpart = f"async-{uuid.uuid4().hex[:12]}"
    assert await synapse.aregister(localpart, "pw") == f"@{localpart}:localhost"
