"""Builds the nio client: one login ever, then the same token, device and E2EE store."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientError
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse
from nio.crypto import ENCRYPTION_ENABLED

from traam_bot.config.private import private_dir, secure_tree
from traam_bot.matrix.errors import RESET_HINT, MatrixStartError, lost_keys
from traam_bot.matrix.keystore import check_key_store, key_store_file
from traam_bot.matrix.pace import surface_rate_limits

__all__ = ["CREDENTIALS_FILE", "Credentials", "MatrixStartError", "login_new_device",
           "new_client", "open_session", "read_credentials"]

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"
# Why a login is refused, by Matrix error code; anything else shows the server's own words.
LOGIN_REFUSALS = {
    "M_FORBIDDEN": "identifiant ou mot de passe refusé",
    "M_USER_DEACTIVATED": "compte désactivé",
    "M_LIMIT_EXCEEDED": "trop de tentatives, réessayez dans quelques minutes",
    "M_INVALID_USERNAME": "identifiant invalide",
}
# No request waits longer than a sync long poll (30 s) plus 15 s for the server to answer:
# a homeserver that accepts connections and never answers (a black hole) is given up on
# within that time, at start too (SPEC §3: « serveur Matrix injoignable », non-zero exit).
REQUEST_TIMEOUT = 45.0


@dataclass(frozen=True)
class Credentials:
    user_id: str
    device_id: str
    access_token: str


def read_credentials(store: Path) -> Credentials | None:
    try:
        data = json.loads((store / CREDENTIALS_FILE).read_text(encoding="utf-8"))
        return Credentials(data["user_id"], data["device_id"], data["access_token"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        raise MatrixStartError(
            f"fichier d'identifiants illisible : {store / CREDENTIALS_FILE}") from None


def _write_credentials(store: Path, creds: Credentials) -> None:
    path = store / CREDENTIALS_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(creds.__dict__), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def new_client(homeserver: str, user_id: str, store_path: str, device_id: str = "") -> AsyncClient:
    if not ENCRYPTION_ENABLED:
        raise MatrixStartError("chiffrement indisponible (vodozemac absent) : démarrage refusé")
    secure_tree(private_dir(Path(store_path)))  # the key store is the bot's owner's only
    config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,  # the bot saves its own token, after handling a batch
        # a timeout or a broken connection comes back at once to our own loops, which
        # back off (nio would retry at once, and a second time without any pause)
        max_timeouts=0,
        request_timeout=REQUEST_TIMEOUT,
    )
    client = AsyncClient(homeserver, user_id, device_id=device_id, store_path=store_path,
                         config=config)
    surface_rate_limits(client)  # a room send's 429 comes back to the outbox, which paces
    return client


async def open_session(homeserver: str, user_id: str, store_path: str, *, password: str | None,
                       access_token: str | None, device_id: str | None,
                       device_name: str) -> AsyncClient:
    """Log in once with the password; later starts reuse the stored token and device."""
    store = Path(store_path)
    creds = saved = read_credentials(store)  # None when the file does not exist yet
    if creds is None and access_token:
        if not device_id:
            raise MatrixStartError("matrix.device_id est requis avec matrix.access_token")
        creds = Credentials(user_id, device_id, access_token)
    if creds is not None and creds.user_id != user_id:
        raise MatrixStartError(
            f"le dossier {store} contient la session de {creds.user_id}, pas de {user_id}")
    client = new_client(homeserver, user_id, store_path, creds.device_id if creds else "")
    try:
        if creds is not None:
            # the key store is checked before nio opens it (nio would replace a lost account);
            # a saved session's store needs no server, a configured token is checked first
            client.user_id, client.device_id = creds.user_id, creds.device_id
            client.access_token = creds.access_token
            if saved is not None:
                await check_key_store(client, store, saved_session=True)
            await _check_token(client, saved=saved is not None)
            if saved is None:
                await check_key_store(client, store, saved_session=False)
            _load_store(client, store)
        else:
            await login_new_device(client, password or "", device_name, store)
    except MatrixStartError:
        await client.close()
        raise
    except TimeoutError:  # before ClientError: aiohttp's timeouts are both
        await client.close()
        raise MatrixStartError(
            f"serveur Matrix injoignable : {homeserver} (pas de réponse en "
            f"{REQUEST_TIMEOUT:.0f} s)") from None
    except (ClientError, OSError) as exc:
        await client.close()
        raise MatrixStartError(f"serveur Matrix injoignable : {homeserver} "
                               f"({type(exc).__name__})") from None
    if client.olm is None:
        await client.close()
        raise MatrixStartError("magasin de clés E2EE inutilisable : démarrage refusé "
                               "(le bot n'enverra jamais de texte clair dans un salon chiffré)")
    return client


def _load_store(client: AsyncClient, store: Path) -> None:
    """nio opens the device's key store and its Olm account (checked to be there)."""
    try:
        client.load_store()
    except Exception as exc:  # peewee, unpickling: whatever nio raises, the store is unusable
        db = key_store_file(store, client.user_id, client.device_id)
        raise lost_keys(client.user_id, client.device_id,
                        f"magasin de clés inutilisable ({db} : {type(exc).__name__})") from None


async def login_new_device(client: AsyncClient, password: str, device_name: str,
                           store: Path) -> None:
    resp = await client.login(password=password, device_name=device_name)
    if not isinstance(resp, LoginResponse):
        await client.close()
        if not _answered_by_matrix(resp):
            raise MatrixStartError(_unreachable(client, resp))
        code = getattr(resp, "status_code", None) or "?"
        why = LOGIN_REFUSALS.get(code) or (getattr(resp, "message", "") or "refus")
        raise MatrixStartError(
            f"connexion refusée par {client.homeserver} pour le compte {client.user} : "
            f"{why} ({code}). Vérifiez matrix.user_id et matrix.password "
            "(ou TRAAM_BOT_PASSWORD)")
    _write_credentials(store, Credentials(resp.user_id, resp.device_id, resp.access_token))
    secure_tree(store, quiet=True)  # nio's new key store, whatever the process's umask
    log.info("logged in as %s, new device %s", resp.user_id, resp.device_id)


async def _check_token(client: AsyncClient, saved: bool) -> None:
    resp = await client.whoami()
    if not isinstance(resp, WhoamiResponse):
        await client.close()
        if not _answered_by_matrix(resp):
            raise MatrixStartError(_unreachable(client, resp))
        code = getattr(resp, "status_code", None) or "?"
        where = (f"la session enregistrée dans {CREDENTIALS_FILE} (appareil {client.device_id})"
                 if saved else "matrix.access_token (ou TRAAM_BOT_ACCESS_TOKEN)")
        fix = (RESET_HINT if saved else
               "vérifiez le jeton et matrix.device_id, ou donnez matrix.password à la place")
        raise MatrixStartError(
            f"jeton d’accès refusé par {client.homeserver} pour le compte {client.user_id} "
            f"({code}) : {where} n’est plus valable ; {fix}")
    log.info("session restored for %s, device %s", client.user_id, client.device_id)


def _answered_by_matrix(resp: Any) -> bool:
    """A real refusal carries a Matrix error code; a proxy's 502 page or a 5xx does not."""
    status = getattr(getattr(resp, "transport_response", None), "status", None)
    return bool(getattr(resp, "status_code", None)) and not (status and status >= 500)


def _unreachable(client: AsyncClient, resp: Any) -> str:
    status = getattr(getattr(resp, "transport_response", None), "status", None)
    return f"serveur Matrix injoignable : {client.homeserver} (HTTP {status or '?'})"
