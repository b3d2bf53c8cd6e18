"""The E2EE key store nio keeps in store_path, one SQLite file per device: does it still hold
the Olm account of the device the bot is about to reuse?

nio quietly creates a new account when the file or the account is missing. The device then
comes back with new keys: the homeserver refuses their upload (one-time keys of the old
account have the same ids), other devices keep encrypting for the old keys, and encrypted
rooms go silent. So the bot checks before nio opens the store, and refuses to start
(SPEC §8 "Lost key store"); `traam-bot device reset` gives it a new device.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nio import AsyncClient

from traam_bot.matrix.cross_signing import CrossSigningError, request
from traam_bot.matrix.errors import MatrixStartError, lost_keys


def key_store_file(store: Path, user_id: str, device_id: str) -> Path:
    """nio's file for one device (DefaultStore's default name)."""
    return store / f"{user_id}_{device_id}.db"


def account_problem(db: Path, user_id: str, device_id: str) -> str | None:
    """None when `db` holds the device's Olm account; otherwise what is wrong, in French.
    The file is opened read-write without being created (a hot journal may need rolling
    back), and never changed."""
    if not db.exists():
        return f"magasin de clés absent ({db})"
    try:
        conn = sqlite3.connect(db.absolute().as_uri() + "?mode=rw", uri=True, timeout=10)
    except sqlite3.Error as exc:
        return f"magasin de clés illisible ({db} : {exc})"
    try:
        row = conn.execute("SELECT account FROM accounts WHERE user_id = ? AND device_id = ?",
                           (user_id, device_id)).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return f"magasin de clés vide ({db})"
        return f"magasin de clés illisible ({db} : {exc})"
    except sqlite3.DatabaseError as exc:
        return f"magasin de clés endommagé ({db} : {exc})"
    finally:
        conn.close()
    if row is None or not row[0]:
        return f"aucun compte de chiffrement pour cet appareil dans {db}"
    return None


async def server_has_device_keys(client: AsyncClient) -> bool:
    """Whether the homeserver already publishes identity keys for the client's device."""
    try:
        status, data = await request(client, "POST", "/keys/query",
                                     {"device_keys": {client.user_id: [client.device_id]}})
    except CrossSigningError:  # only transport failures: the server never answered
        raise MatrixStartError(f"serveur Matrix injoignable : {client.homeserver}") from None
    if status >= 500:
        raise MatrixStartError(f"serveur Matrix injoignable : {client.homeserver} "
                               f"(HTTP {status})")
    if status != 200:
        raise MatrixStartError(f"lecture des clés de l’appareil {client.device_id} refusée "
                               f"par {client.homeserver} (HTTP {status})")
    devices = (data.get("device_keys") or {}).get(client.user_id) or {}
    return bool(devices.get(client.device_id))


async def check_key_store(client: AsyncClient, store: Path, saved_session: bool) -> None:
    """Before nio opens the store of the client's device: refuse (LostKeys) when its
    account is gone while the device already has keys on the server.

    With a session the bot saved itself (credentials.json, written just after nio created
    the account), a missing account is always a loss. With an access token from the
    configuration, a device never used by the bot starts without a store: the server says
    whether the device already has keys the bot would contradict."""
    user_id, device_id = client.user_id, client.device_id
    db = key_store_file(store, user_id, device_id)
    problem = account_problem(db, user_id, device_id)
    if problem is None:
        return
    if db.exists() or saved_session or await server_has_device_keys(client):
        raise lost_keys(user_id, device_id, problem)
