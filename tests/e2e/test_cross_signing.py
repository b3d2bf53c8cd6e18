"""The bot's device is cross-signed by the bot's own identity, checked on a real Synapse
with signedjson (what Synapse itself verifies with), across restarts, device resets and
an identity the bot does not hold the keys of."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from signedjson.key import decode_verify_key_bytes
from signedjson.sign import verify_signed_json
from unpaddedbase64 import decode_base64

from tests.e2e.conftest import MakeUser
from tests.e2e.helpers import ask, body, room_with_bot
from traam_bot.devtools.devserver import LocalSynapse
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import UserClient
from traam_bot.matrix.cross_signing import (
    TrustOptions,
    ensure_cross_signing,
    request,
    token_client,
)
from traam_bot.matrix.device import create_recovery_key
from traam_bot.matrix.secret_storage import encode_recovery_key, generate_key
from traam_bot.matrix.session import login_new_device, new_client, read_credentials
from traam_bot.matrix.signing import KEYS_FILE, load_keys

Json = dict[str, Any]


def _ed25519(key_obj: Json) -> str:
    return next(v for k, v in key_obj["keys"].items() if k.startswith("ed25519:"))


def _check(obj: Json, user_id: str, public: str, key_name: str | None = None) -> None:
    """Raises unless `obj` carries a valid signature by the Ed25519 key `public`, named
    ed25519:<public> (cross-signing keys) or ed25519:<device id> (devices)."""
    verify_signed_json(obj, user_id, decode_verify_key_bytes(
        f"ed25519:{key_name or public}", decode_base64(public)))


async def keys_of(user: UserClient, user_id: str) -> Json:
    """What any client sees of `user_id`'s keys: POST /keys/query."""
    status, data = await request(user.client, "POST", "/keys/query",
                                 {"device_keys": {user_id: []}})
    assert status == 200
    return data


def assert_cross_signed(keys: Json, user_id: str, device_id: str) -> str:
    """The identity is complete and signs the device; returns the master key."""
    master, ssk = keys["master_keys"][user_id], keys["self_signing_keys"][user_id]
    assert master["usage"] == ["master"] and ssk["usage"] == ["self_signing"]
    master_pub, ssk_pub = _ed25519(master), _ed25519(ssk)
    _check(ssk, user_id, master_pub)  # the self-signing key is vouched for by the master key
    device = keys["device_keys"][user_id][device_id]
    _check(device, user_id, ssk_pub)  # the device is signed by the self-signing key
    device_key = device["keys"][f"ed25519:{device_id}"]
    _check(device, user_id, device_key, device_id)  # and still self-signed, as every device
    if "signatures" in master:  # shown to the owner only: the device vouches for its identity
        _check(master, user_id, device_key, device_id)
    return master_pub


def bot_device(sandbox: Sandbox) -> str:
    creds = read_credentials(Path(sandbox.settings.matrix.store_path))
    assert creds is not None
    return creds.device_id


async def as_bot(sandbox: Sandbox) -> Json:
    """/keys/query as the bot itself (signatures on its master key are shown to it only)."""
    creds = read_credentials(Path(sandbox.settings.matrix.store_path))
    assert creds is not None
    client = token_client(sandbox.synapse.url, creds.user_id, creds.device_id,
                          creds.access_token)
    try:
        status, data = await request(client, "POST", "/keys/query",
                                     {"device_keys": {creds.user_id: []}})
    finally:
        await client.close()
    assert status == 200
    return data


async def test_bot_device_is_cross_signed_and_keys_are_private(
        sandbox: Sandbox, coord: UserClient) -> None:
    keys = await keys_of(coord, sandbox.bot_id)
    assert_cross_signed(keys, sandbox.bot_id, bot_device(sandbox))
    own = await as_bot(sandbox)
    assert "signatures" in own["master_keys"][sandbox.bot_id]
    assert_cross_signed(own, sandbox.bot_id, bot_device(sandbox))
    key_file = Path(sandbox.settings.matrix.store_path) / KEYS_FILE
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    stored = json.loads(key_file.read_text(encoding="utf-8"))
    assert sandbox.settings.matrix.password not in key_file.read_text(encoding="utf-8")
    assert set(stored) == {"user_id", "master", "self_signing", "user_signing"}


async def test_restart_keeps_the_identity_without_uploading(
        sandbox: Sandbox, coord: UserClient, caplog: pytest.LogCaptureFixture) -> None:
    before = await keys_of(coord, sandbox.bot_id)
    key_file = Path(sandbox.settings.matrix.store_path) / KEYS_FILE
    saved = key_file.read_bytes()
    assert sandbox.bot is not None
    with caplog.at_level(logging.INFO, logger="traam_bot.matrix.cross_signing"):
        await sandbox.bot.restart()
    after = await keys_of(coord, sandbox.bot_id)
    assert after["master_keys"] == before["master_keys"]
    assert after["self_signing_keys"] == before["self_signing_keys"]
    assert key_file.read_bytes() == saved
    said = [r.getMessage() for r in caplog.records if r.name == "traam_bot.matrix.cross_signing"]
    # one line, and no upload: neither an identity nor a device signature was sent
    assert said == [f"Appareil {bot_device(sandbox)} déjà signé par l’identité du bot."]


async def test_device_reset_signs_the_new_device_with_the_same_identity(
        sandbox: Sandbox, coord: UserClient) -> None:
    old_device = bot_device(sandbox)
    master_before = _ed25519((await keys_of(coord, sandbox.bot_id))["master_keys"]
                             [sandbox.bot_id])
    assert sandbox.bot is not None
    await sandbox.bot.stop()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "traam_bot", "device", "reset", "--config",
        str(sandbox.config_path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    new_device = bot_device(sandbox)
    assert new_device != old_device
    assert f"Nouvel appareil {new_device}" in out.decode()
    assert f"ancien appareil {old_device} supprimé" in out.decode()
    keys = await keys_of(coord, sandbox.bot_id)
    assert assert_cross_signed(keys, sandbox.bot_id, new_device) == master_before
    assert old_device not in keys["device_keys"][sandbox.bot_id]
    store = Path(sandbox.settings.matrix.store_path)
    assert not (store / f"{sandbox.bot_id}_{old_device}.db").exists()
    await sandbox.bot.start()
    room = await room_with_bot(coord, sandbox.bot_id, encrypted=True, name="Après reset")
    reply = await ask(coord, room, "!projets eps")
    assert reply.get("decrypted") is True and "EPS" in body(reply)


# ------------------------------------------------- an identity the bot lacks keys of
@pytest.fixture
async def account(synapse: LocalSynapse, make_user: MakeUser) -> AsyncIterator[Json]:
    user_id, password = make_user("bot")
    with tempfile.TemporaryDirectory(prefix="traam-xs-") as tmp:
        yield {"user_id": user_id, "password": password, "hs": synapse.url, "tmp": Path(tmp)}


async def _device(account: Json, store: Path) -> Any:
    client = new_client(account["hs"], account["user_id"], str(store))
    await login_new_device(client, account["password"], "traam-bot", store)
    return client


async def test_an_identity_held_elsewhere_is_kept_read_back_or_replaced_on_request(
        account: Json, caplog: pytest.LogCaptureFixture) -> None:
    from traam_bot.config import MatrixSettings

    uid, password = account["user_id"], account["password"]
    # A first installation creates the identity and puts it in secret storage.
    first_store = account["tmp"] / "first"
    first = await _device(account, first_store)
    try:
        assert await ensure_cross_signing(first, first_store, TrustOptions(password)) == "created"
        recovery = await create_recovery_key(MatrixSettings(
            homeserver=account["hs"], user_id=uid, password=password,
            store_path=str(first_store)))
    finally:
        await first.close()
    original = load_keys(first_store, uid)
    assert original is not None and recovery.count(" ") >= 10

    async def second_install(name: str, options: TrustOptions) -> tuple[str, Json, str]:
        store = account["tmp"] / name
        client = await _device(account, store)
        try:
            outcome = await ensure_cross_signing(client, store, options)
            status, keys = await request(client, "POST", "/keys/query",
                                         {"device_keys": {uid: []}})
            assert status == 200
            return outcome, keys, str(client.device_id)
        finally:
            await client.close()

    # Without the keys and without instructions: left alone, said in French, still runs.
    with caplog.at_level(logging.WARNING, logger="traam_bot.matrix.cross_signing"):
        outcome, keys, _ = await second_install("plain", TrustOptions(password))
    assert outcome == "unsigned"
    assert _ed25519(keys["master_keys"][uid]) == original.master.public
    assert "dont le bot n’a pas les clés privées" in caplog.text
    assert "recovery_key" in caplog.text and "reset_cross_signing" in caplog.text

    # With the recovery key: the same identity is read back and signs the new device.
    outcome, keys, device = await second_install("recovered",
                                                 TrustOptions(password, recovery_key=recovery))
    assert outcome == "restored"
    assert assert_cross_signed(keys, uid, device) == original.master.public
    assert load_keys(account["tmp"] / "recovered", uid) == original

    # A wrong recovery key is refused and changes nothing.
    wrong = encode_recovery_key(generate_key())
    outcome, keys, _ = await second_install("wrong", TrustOptions(password, recovery_key=wrong))
    assert outcome == "unsigned"
    assert _ed25519(keys["master_keys"][uid]) == original.master.public

    # Replacement only when asked for explicitly, and logged.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="traam_bot.matrix.cross_signing"):
        outcome, keys, device = await second_install("replaced",
                                                     TrustOptions(password, reset=True))
    assert outcome == "replaced"
    new_master = assert_cross_signed(keys, uid, device)
    assert new_master != original.master.public
    assert "remplacée à la demande" in caplog.text


async def test_without_password_an_existing_identity_cannot_be_replaced(
        account: Json, caplog: pytest.LogCaptureFixture) -> None:
    uid, password = account["user_id"], account["password"]
    store = account["tmp"] / "a"
    client = await _device(account, store)
    try:
        assert await ensure_cross_signing(client, store, TrustOptions(password)) == "created"
    finally:
        await client.close()
    other = account["tmp"] / "b"
    client = await _device(account, other)
    try:
        with caplog.at_level(logging.WARNING, logger="traam_bot.matrix.cross_signing"):
            outcome = await ensure_cross_signing(client, other, TrustOptions(None, reset=True))
    finally:
        await client.close()
    assert outcome == "unsigned"
    assert "sans mot de passe" in caplog.text
    assert "non vérifié par son propriétaire" in caplog.text
    assert load_keys(other, uid) is None
