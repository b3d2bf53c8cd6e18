"""The bot's cross-signing identity on the server: create, reuse, restore or replace it, and
sign the bot's device with it, so that clients excluding unverified devices trust the bot."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from aiohttp import ClientError
from nio import AsyncClient, AsyncClientConfig

from traam_bot.matrix import secret_storage as ssss
from traam_bot.matrix.calls import upload_keys
from traam_bot.matrix.signing import (
    CrossSigningKeys,
    JsonDict,
    SigningKey,
    add_signature,
    load_keys,
    public_key_of,
    save_keys,
    sign_as,
    signable_bytes,
    verify,
)

log = logging.getLogger(__name__)

API = "/_matrix/client/v3"

UNSIGNED_WARNING = (
    "l’appareil du bot n’est pas signé par son propriétaire : Element et Tchap afficheront "
    "ses messages avec l’avertissement « chiffré par un appareil non vérifié par son "
    "propriétaire », et les clients qui excluent les appareils non vérifiés ne pourront ni "
    "lui écrire ni lire ses réponses dans les salons chiffrés")


class CrossSigningError(Exception):
    """A step of cross-signing failed; the message is for the operator (French)."""


class PasswordNeeded(CrossSigningError):
    """The server asks for the account's password and none is configured."""


@dataclass(frozen=True)
class Published:
    """What the server shows of the bot's identity and of its current device."""

    master: JsonDict | None
    self_signing: JsonDict | None
    device: JsonDict | None


# ----------------------------------------------------------------------------- HTTP
def token_client(homeserver: str, user_id: str, device_id: str, token: str) -> AsyncClient:
    """A client for plain API calls with a saved session: it never opens the key store, so
    it may run beside the bot."""
    client = AsyncClient(homeserver, user_id, device_id=device_id,
                         config=AsyncClientConfig(encryption_enabled=False))
    client.user_id, client.access_token = user_id, token
    return client


async def request(client: AsyncClient, method: str, path: str,
                  body: JsonDict | None = None) -> tuple[int, JsonDict]:
    """One authenticated client-server call; transport failures become CrossSigningError."""
    headers = {"Authorization": f"Bearer {client.access_token}",
               "Content-Type": "application/json"}
    try:
        resp = await client.send(method, API + path,
                                 json.dumps(body) if body is not None else None, headers)
        try:
            data = await resp.json(content_type=None)
        except (ValueError, ClientError):
            data = {}
        return resp.status, data if isinstance(data, dict) else {}
    except (ClientError, TimeoutError, OSError) as exc:
        raise CrossSigningError(f"serveur injoignable ({type(exc).__name__})") from None


async def with_password(client: AsyncClient, method: str, path: str, body: JsonDict,
                        password: str | None) -> JsonDict:
    """A call that may need user-interactive auth: first without, then with the password."""
    status, data = await request(client, method, path, body)
    if status == 401 and "flows" in data:
        if not password:
            raise PasswordNeeded("le serveur demande le mot de passe du compte du bot")
        if not any(flow.get("stages") == ["m.login.password"] for flow in data["flows"]):
            raise CrossSigningError("le serveur n’accepte pas l’authentification par mot de passe")
        auth = {"type": "m.login.password", "password": password, "session": data.get("session"),
                "identifier": {"type": "m.id.user", "user": client.user_id}}
        status, data = await request(client, method, path, dict(body, auth=auth))
    if status != 200:
        raise CrossSigningError(f"refusé par le serveur ({status} {data.get('errcode', '')})")
    return data


def account_data_path(client: AsyncClient, event_type: str) -> str:
    """The client-server path of one account-data type of the bot's own account."""
    return (f"/user/{quote(client.user_id, safe='')}/account_data/"
            f"{quote(event_type, safe='')}")


# ----------------------------------------------------------------------- the server
async def published(client: AsyncClient) -> Published:
    status, data = await request(client, "POST", "/keys/query",
                                 {"device_keys": {client.user_id: [client.device_id]}})
    if status != 200:
        raise CrossSigningError(f"lecture des clés impossible ({status})")
    me = client.user_id
    device = ((data.get("device_keys") or {}).get(me) or {}).get(client.device_id)
    return Published((data.get("master_keys") or {}).get(me),
                     (data.get("self_signing_keys") or {}).get(me), device)


async def upload_identity(client: AsyncClient, keys: CrossSigningKeys,
                          password: str | None) -> None:
    await with_password(client, "POST", "/keys/device_signing/upload",
                        keys.upload_body(client.user_id), password)


async def sign_device(client: AsyncClient, keys: CrossSigningKeys, device: JsonDict) -> None:
    """Sign the device with the self-signing key, and the master key with the device."""
    me, device_id = client.user_id, client.device_id
    signed_device = sign_as(_bare(device), me, keys.self_signing)
    master = keys.key_object(me, "master")
    body: JsonDict = {me: {device_id: signed_device}}
    if client.olm is not None:  # the device vouches for its identity, as Element does
        signature = client.olm.account.sign(_canonical(master))
        body[me][keys.master.public] = add_signature(master, me, f"ed25519:{device_id}",
                                                     signature)
    status, data = await request(client, "POST", "/keys/signatures/upload", body)
    failures = data.get("failures") or {}
    if status != 200 or failures:
        raise CrossSigningError(f"signature de l’appareil refusée ({status} {failures})")


def device_signed(keys: CrossSigningKeys, device: JsonDict | None, user_id: str) -> bool:
    return device is not None and verify(device, user_id, keys.self_signing.public)


async def read_secret_storage(client: AsyncClient, recovery_key: str) -> CrossSigningKeys:
    """The identity's private keys from the account's secret storage (recovery key)."""
    key = ssss.decode_recovery_key(recovery_key)
    key_id = (await _account_data(client, ssss.DEFAULT_KEY_TYPE)).get("key")
    if not isinstance(key_id, str):
        raise CrossSigningError("le compte n’a pas de stockage de secrets")
    if not ssss.check_key(key, await _account_data(client, ssss.KEY_TYPE_PREFIX + key_id)):
        raise CrossSigningError("la clé de récupération ne correspond pas au stockage de secrets")
    seeds = []
    for name in (ssss.MASTER, ssss.SELF_SIGNING, ssss.USER_SIGNING):
        seeds.append(SigningKey.from_base64(
            ssss.read_secret(await _account_data(client, name), key_id, key, name)))
    return CrossSigningKeys(*seeds)


async def _account_data(client: AsyncClient, event_type: str) -> JsonDict:
    status, data = await request(client, "GET", account_data_path(client, event_type))
    return data if status == 200 else {}


def _bare(device: JsonDict) -> JsonDict:
    return {k: v for k, v in device.items() if k not in ("unsigned",)}


def _canonical(obj: JsonDict) -> str:
    return signable_bytes(obj).decode()


# ------------------------------------------------------------------------ the policy
@dataclass(frozen=True)
class TrustOptions:
    password: str | None = None
    recovery_key: str | None = None
    reset: bool = False


async def ensure_cross_signing(client: AsyncClient, store: Path,
                               options: TrustOptions) -> str:
    """Make the server show a cross-signing identity whose keys the bot holds, and the
    bot's device signed by it. Returns what was done: created, reused, restored,
    replaced, or unsigned (with a French warning logged). Never raises on a server
    refusal: the bot still runs, only unverified."""
    try:
        return await establish(client, store, options)
    except PasswordNeeded:
        log.warning("Signature croisée impossible sans mot de passe (matrix.password ou "
                    "TRAAM_BOT_PASSWORD) : %s.", UNSIGNED_WARNING)
    except (CrossSigningError, ssss.SecretStorageError, ValueError) as exc:
        log.warning("Signature croisée impossible (%s) : %s.", exc, UNSIGNED_WARNING)
    return "unsigned"


async def establish(client: AsyncClient, store: Path, options: TrustOptions) -> str:
    if client.should_upload_keys:  # the device's own keys must be on the server first
        await upload_keys(client)
    me = client.user_id
    server = await published(client)
    keys = load_keys(store, me)
    if server.master is None:
        outcome = "created" if keys is None else "uploaded"
        keys = keys or CrossSigningKeys.generate()
        save_keys(store, me, keys)  # before the upload: never an identity we cannot use
        await upload_identity(client, keys, options.password)
        log.info("Identité de signature croisée %s pour %s (clé maîtresse %s).",
                 "créée" if outcome == "created" else "republiée", me, keys.master.public)
    elif keys is not None and keys.matches(server.master, server.self_signing):
        outcome = "reused"
    else:
        keys, outcome = await _foreign_identity(client, store, server, options)
        if keys is None:
            return "unsigned"
    if device_signed(keys, server.device, me):
        log.info("Appareil %s déjà signé par l’identité du bot.", client.device_id)
        return outcome
    device = server.device if outcome == "reused" else (await published(client)).device
    if device is None:
        raise CrossSigningError(f"l’appareil {client.device_id} n’a pas publié ses clés")
    await sign_device(client, keys, device)
    log.info("Appareil %s signé par l’identité de signature croisée du bot.", client.device_id)
    return outcome


async def _foreign_identity(client: AsyncClient, store: Path, server: Published,
                            options: TrustOptions) -> tuple[CrossSigningKeys | None, str]:
    """The account has an identity whose private keys the bot does not hold."""
    me, master = client.user_id, public_key_of(server.master)
    if options.recovery_key:
        try:
            keys = await read_secret_storage(client, options.recovery_key)
        except (CrossSigningError, ssss.SecretStorageError, ValueError) as exc:
            log.error("Lecture de l’identité dans le stockage de secrets impossible : %s.", exc)
        else:
            if keys.matches(server.master, server.self_signing):
                save_keys(store, me, keys)
                log.info("Identité de signature croisée existante (clé maîtresse %s) reprise "
                         "depuis le stockage de secrets avec la clé de récupération.", master)
                return keys, "restored"
            log.error("Le stockage de secrets contient une autre identité que celle publiée "
                      "(clé maîtresse %s) : ignorée.", master)
    if options.reset:
        keys = CrossSigningKeys.generate()
        await upload_identity(client, keys, options.password)
        save_keys(store, me, keys)
        log.warning("Identité de signature croisée du compte %s remplacée à la demande "
                    "(matrix.reset_cross_signing) : ancienne clé maîtresse %s, nouvelle %s. "
                    "Les utilisateurs qui avaient vérifié le bot verront un changement "
                    "d’identité.", me, master, keys.master.public)
        return keys, "replaced"
    log.warning("Le compte %s a déjà une identité de signature croisée (clé maîtresse %s) dont "
                "le bot n’a pas les clés privées ; elle est laissée telle quelle. Donnez "
                "matrix.recovery_key pour la reprendre, ou matrix.reset_cross_signing: true pour "
                "la remplacer. En attendant, %s.", me, master, UNSIGNED_WARNING)
    return None, "unsigned"

