"""`check-config`'s look at Matrix: the homeserver answers, the login works, the key store
holds the device's account. Nothing is changed: a saved session is checked with whoami; a
password is checked by a login whose device is logged out (deleted) at once; no key store
is opened by nio, none is created."""

from __future__ import annotations

from pathlib import Path

import aiohttp
from nio import AsyncClient, AsyncClientConfig, LoginResponse, WhoamiResponse

from traam_bot.config import MatrixSettings
from traam_bot.matrix.keystore import account_problem, key_store_file
from traam_bot.matrix.session import CREDENTIALS_FILE, read_credentials

Finding = tuple[bool, str]
TIMEOUT = 15.0


async def check_matrix(m: MatrixSettings) -> list[Finding]:
    found = [await _versions(m.homeserver)]
    if not found[0][0]:
        return found
    store = Path(m.store_path)
    try:
        saved = read_credentials(store)
    except Exception as exc:  # an unreadable credentials.json is a finding, not a crash
        return [*found, (False, f"session enregistrée illisible ({store / CREDENTIALS_FILE} : "
                                f"{type(exc).__name__})")]
    if saved is not None:
        found.append(await _whoami(m.homeserver, saved.user_id, saved.device_id,
                                   saved.access_token, f"session enregistrée ({CREDENTIALS_FILE})"))
        problem = account_problem(key_store_file(store, saved.user_id, saved.device_id),
                                  saved.user_id, saved.device_id)
        found.append((False, f"{problem} : voir traam-bot device reset") if problem
                     else (True, f"magasin de clés de l’appareil {saved.device_id} présent"))
    elif m.access_token and m.device_id:
        found.append(await _whoami(m.homeserver, m.user_id, m.device_id, m.access_token,
                                   "matrix.access_token"))
        found.append((True, "aucune session enregistrée : le magasin de clés sera créé "
                            "au premier démarrage"))
    elif m.password:
        found.append(await _password(m.homeserver, m.user_id, m.password))
        found.append((True, "aucune session enregistrée : le magasin de clés sera créé "
                            "au premier démarrage"))
    return found


async def _versions(homeserver: str) -> Finding:
    url = homeserver.rstrip("/") + "/_matrix/client/versions"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as http, \
                http.get(url) as resp:
            if resp.status == 200 and "versions" in await resp.json(content_type=None):
                return True, f"serveur Matrix joignable ({homeserver})"
            return False, f"serveur Matrix : réponse inattendue de {url} (HTTP {resp.status})"
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        return False, f"serveur Matrix injoignable : {homeserver} ({type(exc).__name__})"


def _client(homeserver: str, user_id: str) -> AsyncClient:
    # no store, no encryption: nothing is written in store_path
    return AsyncClient(homeserver, user_id,
                       config=AsyncClientConfig(encryption_enabled=False, max_timeouts=0,
                                                request_timeout=TIMEOUT))


async def _whoami(homeserver: str, user_id: str, device_id: str, token: str,
                  what: str) -> Finding:
    client = _client(homeserver, user_id)
    client.user_id, client.device_id, client.access_token = user_id, device_id, token
    try:
        resp = await client.whoami()
    finally:
        await client.close()
    if isinstance(resp, WhoamiResponse) and resp.user_id == user_id:
        return True, f"connexion valable : {what}, compte {user_id}, appareil {device_id}"
    code = getattr(resp, "status_code", None) or type(resp).__name__
    return False, f"jeton refusé : {what} pour {user_id} ({code})"


async def _password(homeserver: str, user_id: str, password: str) -> Finding:
    client = _client(homeserver, user_id)
    try:
        resp = await client.login(password=password, device_name="traam-bot check-config")
        if not isinstance(resp, LoginResponse):
            code = getattr(resp, "status_code", None) or type(resp).__name__
            return False, (f"connexion refusée pour {user_id} ({code}) : vérifiez "
                           "matrix.user_id et matrix.password")
        await client.logout()  # the check's own device is deleted at once
        return True, f"mot de passe accepté pour {user_id}"
    finally:
        await client.close()
