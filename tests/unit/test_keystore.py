"""A lost E2EE key store (SPEC §8): the bot refuses to start, naming `traam-bot device reset`,
instead of letting nio make a new Olm account for the old device and run mute."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nio import AsyncClient, AsyncClientConfig, KeysUploadError, KeysUploadResponse

from traam_bot.matrix import keystore
from traam_bot.matrix.calls import upload_keys
from traam_bot.matrix.errors import LostKeys, MatrixStartError
from traam_bot.matrix.keystore import account_problem, check_key_store, key_store_file
from traam_bot.matrix.runtime import Runtime
from traam_bot.matrix.session import CREDENTIALS_FILE, open_session

USER, DEVICE = "@traam-bot:localhost", "OLDDEVICE"
CONFLICT = ("One time key signed_curve25519:AAAAAAAAAA0 already exists. Old key: "
            "{'key': 'abc'}; new key: {'key': 'def'}")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def make_store(store: Path, device: str = DEVICE) -> Path:
    """A real nio key store holding the device's Olm account, and the saved session."""
    client = AsyncClient("http://127.0.0.1:9", USER, device_id=device, store_path=str(store),
                         config=AsyncClientConfig(encryption_enabled=True,
                                                  store_sync_tokens=False))
    store.mkdir(parents=True, exist_ok=True)
    client.restore_login(USER, device, "syt_token")
    await client.close()
    (store / CREDENTIALS_FILE).write_text(json.dumps(
        {"user_id": USER, "device_id": device, "access_token": "syt_token"}), encoding="utf-8")
    return key_store_file(store, USER, device)


async def test_a_store_with_the_account_passes(tmp_path: Path) -> None:
    db = await make_store(tmp_path / "store")
    assert db.exists()
    assert account_problem(db, USER, DEVICE) is None


async def test_every_way_of_losing_the_account_is_named(tmp_path: Path) -> None:
    db = await make_store(tmp_path / "store")
    other = key_store_file(tmp_path / "store", USER, "NEWDEVICE")
    shutil.copy(db, other)  # a store, but the account in it belongs to another device
    assert "aucun compte de chiffrement" in (account_problem(other, USER, "NEWDEVICE") or "")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "vide" in (account_problem(empty, USER, DEVICE) or "")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    assert "endommagé" in (account_problem(garbage, USER, DEVICE) or "")
    folder = tmp_path / "folder.db"
    folder.mkdir()
    assert "illisible" in (account_problem(folder, USER, DEVICE) or "")
    db.unlink()
    assert "absent" in (account_problem(db, USER, DEVICE) or "")


async def start(store: Path) -> AsyncClient:
    return await open_session(f"http://127.0.0.1:{closed_port()}", USER, str(store),
                              password="pw", access_token=None, device_id=None,
                              device_name="traam-bot")


async def test_saved_session_with_its_store_goes_on_to_the_server(tmp_path: Path) -> None:
    await make_store(tmp_path / "store")
    with pytest.raises(MatrixStartError) as info:
        await start(tmp_path / "store")
    assert not isinstance(info.value, LostKeys)
    assert "injoignable" in str(info.value)  # past the key store: the server was asked


@pytest.mark.parametrize("damage", ["delete", "empty", "garbage"])
async def test_saved_session_without_its_store_refuses_before_nio_replaces_it(
        tmp_path: Path, damage: str) -> None:
    db = await make_store(tmp_path / "store")
    if damage == "delete":
        db.unlink()
    else:
        db.write_bytes(b"" if damage == "empty" else b"\x00garbage" * 512)
    with pytest.raises(LostKeys) as info:
        await start(tmp_path / "store")  # no server needed: the port is closed
    message = str(info.value)
    assert "traam-bot device reset" in message
    assert DEVICE in message and USER in message and "Démarrage refusé" in message
    if damage == "delete":
        assert not db.exists()  # nio never got to create a new account in its place


async def test_configured_token_for_a_device_with_keys_is_refused_without_its_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "store"
    store.mkdir()
    client = SimpleNamespace(user_id=USER, device_id="TOKENDEVICE")
    answers: list[bool] = []

    async def server_has_keys(_client: Any) -> bool:
        return answers.pop(0)

    monkeypatch.setattr(keystore, "server_has_device_keys", server_has_keys)
    answers.append(True)  # the device already published keys: they would be contradicted
    with pytest.raises(LostKeys, match="traam-bot device reset"):
        await check_key_store(client, store, saved_session=False)  # type: ignore[arg-type]
    answers.append(False)  # a device the bot is the first to use: a new store is right
    await check_key_store(client, store, saved_session=False)  # type: ignore[arg-type]
    assert answers == []


class UploadingClient:
    """Only what key upload touches."""

    user_id, device_id = USER, DEVICE
    should_upload_keys, should_query_keys, should_claim_keys = True, False, False

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.uploads = 0

    async def keys_upload(self) -> Any:
        self.uploads += 1
        return self.answer

    async def send_to_device_messages(self) -> list[Any]:
        return []


async def test_a_key_upload_conflict_is_fatal() -> None:
    client = UploadingClient(KeysUploadError(CONFLICT, "M_UNKNOWN"))
    with pytest.raises(LostKeys) as info:
        await upload_keys(client)  # type: ignore[arg-type]
    assert "traam-bot device reset" in str(info.value) and DEVICE in str(info.value)


async def test_other_upload_failures_are_retried_later() -> None:
    for answer in (KeysUploadError("Bad Gateway", "502"), KeysUploadResponse(50, 50)):
        assert await upload_keys(UploadingClient(answer)) is answer  # type: ignore[arg-type]


async def test_the_sync_loop_stops_on_a_key_upload_conflict() -> None:
    client = UploadingClient(KeysUploadError(CONFLICT, "M_UNKNOWN"))
    runtime = Runtime(client, sink=None, allowed_servers=("localhost",))  # type: ignore[arg-type]
    with pytest.raises(LostKeys):
        await runtime._crypto_housekeeping()
    assert client.uploads == 1
