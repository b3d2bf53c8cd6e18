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

from traam_bot.matrix.pace import surface_rate_limits

log = logging.getLogger(__name__)

CREDENTIALS_FILE = "credentials.json"
# No request waits longer than a sync long poll (30 s) plus 15 s for the server to answer:
# a homeserver that accepts connections and never answers (a black hole) is given up on
# within that time, at start too (SPEC §3: « serveur Matrix injoignable », non-zero exit).
REQUEST_TIMEOUT = 45.0


class MatrixStartError(Exception):
    """The bot cannot start talking to Matrix; message is for the operator."""


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
    Path(store_path).mkdir(parents=True, exist_ok=True)
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
    creds = read_credentials(store)  # None when the file does not exist yet
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
            client.restore_login(creds.user_id, creds.device_id, creds.access_token)
            await _check_token(client)
        else:
            await login_new_device(client, password or "", device_name, store)
    except MatrixStartError:
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


async def login_new_device(client: AsyncClient, password: str, device_name: str,
                           store: Path) -> None:
    resp = await client.login(password=password, device_name=device_name)
    if not isinstance(resp, LoginResponse):
        await client.close()
        if not _answered_by_matrix(resp):
            raise MatrixStartError(_unreachable(client, resp))
        raise MatrixStartError(f"connexion refusée pour {client.user} : {resp.message} "
                               "(vérifiez matrix.user_id et le mot de passe)")
    _write_credentials(store, Credentials(resp.user_id, resp.device_id, resp.access_token))
    log.info("logged in as %s, new device %s", resp.user_id, resp.device_id)


async def _check_token(client: AsyncClient) -> None:
    resp = await client.whoami()
    if not isinstance(resp, WhoamiResponse):
        await client.close()
        if not _answered_by_matrix(resp):
            raise MatrixStartError(_unreachable(client, resp))
        raise MatrixStartError(
            f"jeton d'accès refusé par le serveur ({resp.status_code}) : supprimez "
            f"{CREDENTIALS_FILE} du dossier store_path pour vous reconnecter")
    log.info("session restored for %s, device %s", client.user_id, client.device_id)


def _answered_by_matrix(resp: Any) -> bool:
    """A real refusal carries a Matrix error code; a proxy's 502 page or a 5xx does not."""
    status = getattr(getattr(resp, "transport_response", None), "status", None)
    return bool(getattr(resp, "status_code", None)) and not (status and status >= 500)


def _unreachable(client: AsyncClient, resp: Any) -> str:
    status = getattr(getattr(resp, "transport_response", None), "status", None)
    return f"serveur Matrix injoignable : {client.homeserver} (HTTP {status or '?'})"
