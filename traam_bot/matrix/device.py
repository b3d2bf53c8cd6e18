"""Operator verbs on the bot's device: `device reset` (new device, same identity) and
`device recovery-key` (secret storage and key backup a person can recover with)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nio import AsyncClient
from unpaddedbase64 import encode_base64

from traam_bot.config import MatrixSettings
from traam_bot.matrix import secret_storage as ssss
from traam_bot.matrix.cross_signing import (
    CrossSigningError,
    TrustOptions,
    account_data_path,
    establish,
    published,
    request,
    token_client,
    with_password,
)
from traam_bot.matrix.keystore import key_store_file
from traam_bot.matrix.session import (
    MatrixStartError,
    login_new_device,
    new_client,
    read_credentials,
)
from traam_bot.matrix.signing import CrossSigningKeys, load_keys, public_key_of, sign_as

log = logging.getLogger(__name__)

BACKUP_ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"


@dataclass(frozen=True)
class ResetReport:
    old_device: str | None
    new_device: str
    identity: str  # what cross-signing did: reused, created, restored, …


async def reset_device(m: MatrixSettings) -> ResetReport:
    """Log in as a new device, sign it with the bot's identity, delete the old device and
    its key store. The stored cross-signing keys are kept: users see the same identity."""
    if not m.password:
        raise MatrixStartError("traam-bot device reset demande le mot de passe du compte du bot "
                               "(matrix.password ou TRAAM_BOT_PASSWORD)")
    store = Path(m.store_path)
    old = read_credentials(store)
    client = new_client(m.homeserver, m.user_id, m.store_path)
    try:
        # on success this writes the new credentials over the old ones
        await login_new_device(client, m.password, m.device_name, store)
        if client.olm is None:
            raise MatrixStartError("magasin de clés E2EE inutilisable")
        try:
            identity = await establish(client, store, TrustOptions(
                m.password, m.recovery_key, m.reset_cross_signing))
        except (CrossSigningError, ssss.SecretStorageError, ValueError) as exc:
            raise MatrixStartError(f"nouvel appareil {client.device_id} créé mais non signé : "
                                   f"{exc}") from None
        if old is not None and old.device_id != client.device_id:
            try:
                await with_password(client, "POST", "/delete_devices",
                                    {"devices": [old.device_id]}, m.password)
            except CrossSigningError as exc:
                raise MatrixStartError(f"ancien appareil {old.device_id} non supprimé : "
                                       f"{exc}") from None
            _remove_key_store(store, m.user_id, old.device_id)
        return ResetReport(old.device_id if old else None, str(client.device_id), identity)
    finally:
        await client.close()


def _remove_key_store(store: Path, user_id: str, device_id: str) -> None:
    """The old device's key store (if any is left: after a lost store there is none)."""
    db = key_store_file(store, user_id, device_id)
    for suffix in ("", "-wal", "-shm", "-journal"):
        db.with_name(db.name + suffix).unlink(missing_ok=True)


async def create_recovery_key(m: MatrixSettings) -> str:
    """Put the bot's cross-signing keys in secret storage under a new recovery key, set up
    a key backup, and return the recovery key (shown once, never stored by the bot)."""
    store = Path(m.store_path)
    creds = read_credentials(store)
    keys = load_keys(store, m.user_id)
    if creds is None or keys is None:
        raise MatrixStartError("le bot n’a pas encore de session ni d’identité de signature "
                               "croisée : lancez d’abord traam-bot run")
    client = token_client(m.homeserver, m.user_id, creds.device_id, creds.access_token)
    try:
        server = await published(client)
        if public_key_of(server.master) != keys.master.public:
            raise MatrixStartError("l’identité publiée sur le serveur n’est pas celle du bot : "
                                   "relancez traam-bot run pour la rétablir")
        key, key_id = ssss.generate_key(), ssss.new_key_id()
        await _put(client, ssss.KEY_TYPE_PREFIX + key_id,
                   ssss.key_description(key, "traam-bot"))
        for name, signing in ((ssss.MASTER, keys.master), (ssss.SELF_SIGNING, keys.self_signing),
                              (ssss.USER_SIGNING, keys.user_signing)):
            await _put(client, name,
                       ssss.encrypted_account_data(key_id, key, name, signing.to_base64()))
        backup_key = await _new_backup(client, keys)
        await _put(client, ssss.MEGOLM_BACKUP,
                   ssss.encrypted_account_data(key_id, key, ssss.MEGOLM_BACKUP, backup_key))
        await _put(client, ssss.DEFAULT_KEY_TYPE, {"key": key_id})
    except CrossSigningError as exc:
        raise MatrixStartError(f"stockage de secrets non créé : {exc}") from None
    finally:
        await client.close()
    log.info("secret storage set up with key %s", key_id)
    return ssss.encode_recovery_key(key)


async def _put(client: AsyncClient, event_type: str, content: dict) -> None:
    status, data = await request(client, "PUT", account_data_path(client, event_type), content)
    if status != 200:
        raise CrossSigningError(f"écriture de {event_type} refusée ({status} "
                                f"{data.get('errcode', '')})")


async def _new_backup(client: AsyncClient, keys: CrossSigningKeys) -> str:
    """A new server-side key backup, signed by the master key; returns its private key."""
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    auth_data = sign_as({"public_key": encode_base64(public)}, client.user_id, keys.master)
    status, data = await request(client, "POST", "/room_keys/version",
                                 {"algorithm": BACKUP_ALGORITHM, "auth_data": auth_data})
    if status != 200:
        raise CrossSigningError(f"sauvegarde de clés refusée ({status} {data.get('errcode', '')})")
    return encode_base64(private.private_bytes_raw())
