"""A lost E2EE key store (SPEC §8), on a real Synapse, driven through `traam-bot` as an
operator would: the bot's files are private; with the credentials kept but the crypto
database gone the bot refuses to start and names `traam-bot device reset`; the reset gives
it a new device with keys (the old one deleted), and the bot answers in the encrypted room
again. The issue: the bot used to start on its old device with new keys, the homeserver
refused their upload in a loop, encrypted rooms went silent and nobody was told.
"""

from __future__ import annotations

import asyncio
import os
import stat
import sys
import uuid
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import make_url

from tests.e2e.helpers import ask, body, room_with_bot
from traam_bot.devtools.sandbox import Sandbox, UserClient
from traam_bot.matrix.cross_signing import request
from traam_bot.matrix.keystore import key_store_file
from traam_bot.matrix.session import read_credentials

REFUSAL_WITHIN = 30.0  # seconds: migrations, then the refusal, with no sync ever made


async def traam_bot(*args: str, timeout: float = 120) -> tuple[int, str, str, float]:
    """`python -m traam_bot ARGS`: exit code, stdout, stderr and seconds taken."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "traam_bot", *args, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode(), loop.time() - start


async def device_keys(user: UserClient, user_id: str) -> dict[str, Any]:
    """device id -> published device keys of `user_id`, as any client sees them."""
    status, data = await request(user.client, "POST", "/keys/query",
                                 {"device_keys": {user_id: []}})
    assert status == 200, data
    return dict((data.get("device_keys") or {}).get(user_id) or {})


async def sees_device(user: UserClient, user_id: str, device_id: str,
                      timeout: float = 30) -> None:
    """Sync `user` until its client knows `user_id`'s device `device_id`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while device_id not in {d.id for d in
                            user.client.device_store.active_user_devices(user_id)}:
        assert loop.time() < deadline, f"{user.user_id} never saw {user_id}'s {device_id}"
        await user.sync(timeout_ms=1000)


def modes_not_private(*roots: Path) -> list[str]:
    """Every folder beneath `roots` not 0700 and every file not 0600."""
    wrong = []
    for root in roots:
        entries = [root] if root.is_file() else [root, *root.rglob("*")]
        for path in entries:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
            if mode != (0o700 if path.is_dir() else 0o600):
                wrong.append(f"{path}: {mode:o}")
    return wrong


def database_files(sandbox: Sandbox) -> list[Path]:
    db = Path(make_url(sandbox.settings.database.url).database or "")
    return [p for p in db.parent.iterdir() if p.name.startswith(db.name)]


async def test_a_wrong_password_names_account_and_homeserver(sandbox: Sandbox) -> None:
    data = yaml.safe_load(sandbox.config_path.read_text(encoding="utf-8"))
    data["matrix"]["store_path"] = str(sandbox.workdir / f"store-{uuid.uuid4().hex[:8]}")
    data["matrix"]["password"] = "pas-le-bon-mot-de-passe"
    config = sandbox.workdir / "bot-wrong-password.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code, _out, err, _took = await traam_bot("run", "--config", str(config))
    assert code == 1 and "Traceback" not in err
    assert (f"traam-bot : connexion refusée par {sandbox.synapse.url} pour le compte "
            f"{sandbox.bot_id} : identifiant ou mot de passe refusé (M_FORBIDDEN)") in err, err
    assert "matrix.password" in err


async def test_lost_key_store_refuses_then_device_reset_brings_the_bot_back(
        sandbox: Sandbox, coord: UserClient) -> None:
    store = Path(sandbox.settings.matrix.store_path)
    # 1. A first start (a real `traam-bot run`), in an encrypted room, answering.
    bot = await sandbox.start_bot_subprocess()
    try:
        room = await room_with_bot(coord, sandbox.bot_id, encrypted=True, name="Clés perdues")
        reply = await ask(coord, room, "!projets eps")
        assert reply.get("decrypted") is True and "EPS" in body(reply)
        # the key store, the credentials and the database are the bot's owner's only
        assert not modes_not_private(store, *database_files(sandbox))
    finally:
        assert await asyncio.to_thread(bot.terminate) == 0
    creds = read_credentials(store)
    assert creds is not None
    old_device = creds.device_id
    published = (await device_keys(coord, sandbox.bot_id))[old_device]

    # 2. The crypto database is lost, the credentials are kept: refused, in French, quickly.
    crypto_db = key_store_file(store, sandbox.bot_id, old_device)
    assert crypto_db.exists()
    crypto_db.unlink()
    code, _out, err, took = await traam_bot("run", "--config", str(sandbox.config_path),
                                            timeout=2 * REFUSAL_WITHIN)
    assert code == 1, err
    assert took < REFUSAL_WITHIN, f"refused only after {took:.1f} s"
    assert "Traceback" not in err and "erreur inattendue" not in err
    refusal = err.strip().splitlines()[-1]
    assert refusal.startswith(f"traam-bot : clés de chiffrement de l’appareil {old_device} "
                              f"({sandbox.bot_id}) perdues : magasin de clés absent"), refusal
    assert "Démarrage refusé" in refusal and "« traam-bot device reset »" in refusal
    assert not crypto_db.exists()  # nio never made a new account for the old device
    assert (await device_keys(coord, sandbox.bot_id))[old_device] == published  # no upload

    # 3. `traam-bot device reset`: a new device with keys, the old one deleted.
    code, out, err, _took = await traam_bot("device", "reset", "--config",
                                            str(sandbox.config_path))
    assert code == 0, err
    creds = read_credentials(store)
    assert creds is not None and creds.device_id != old_device
    new_device = creds.device_id
    assert f"Nouvel appareil {new_device}" in out
    assert f"ancien appareil {old_device} supprimé" in out
    devices = await device_keys(coord, sandbox.bot_id)
    assert old_device not in devices
    keys = devices[new_device]["keys"]
    assert {f"curve25519:{new_device}", f"ed25519:{new_device}"} <= set(keys)
    assert not modes_not_private(store, *database_files(sandbox))

    # 4. `run` works again and answers in the same encrypted room, once the test user's
    # client has seen the bot's devices change (as Element, which syncs all along, would):
    # it then starts a new room key, shared with the new device too.
    bot = await sandbox.start_bot_subprocess()
    try:
        await sees_device(coord, sandbox.bot_id, new_device)
        reply = await ask(coord, room, "!projets nsi")
        assert reply.get("decrypted") is True and "NSI" in body(reply)
        assert reply["sender"] == sandbox.bot_id
    finally:
        assert await asyncio.to_thread(bot.terminate) == 0
