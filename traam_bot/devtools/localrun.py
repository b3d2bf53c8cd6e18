"""`make run`: a persistent local Synapse in .local/, demo accounts, the bot in the foreground."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from traam_bot.app import signal_event
from traam_bot.devtools.devserver import CONFIG_NAME
from traam_bot.devtools.sandbox import BOT, COORDINATOR, MEMBER, REFERENT, REPO_ROOT, Sandbox
from traam_bot.devtools.synapse_config import free_port, port_is_free

LOCAL_DIR = REPO_ROOT / ".local"
PREFERRED_PORT = 8008
ROLES = {COORDINATOR: "coordinatrice IAN, administratrice du bot",
         MEMBER: "membre d'une équipe projet",
         REFERENT: "référente TraAM, reçoit les digests"}

log = logging.getLogger("traam_bot.devtools.localrun")


def _configured_port(config: Path) -> int | None:
    """The port an earlier run wrote into homeserver.yaml, if any."""
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
        return int(data["listeners"][0]["port"])
    except (OSError, TypeError, KeyError, IndexError, ValueError, yaml.YAMLError):
        return None


def _cmdline(pid: int) -> list[bytes]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def _synapse_pids(config: Path) -> list[int]:
    """Synapse processes running on this very config (Linux /proc; none found elsewhere)."""
    return [int(p.name) for p in Path("/proc").glob("[0-9]*")
            if {b"synapse.app.homeserver", str(config).encode()} <= set(_cmdline(int(p.name)))]


def _stop_leftovers(config: Path) -> None:
    """Stop a Synapse orphaned by an interrupted run; refuse if another run still owns it."""
    for pid in _synapse_pids(config):
        owner = _parent(pid)
        if any(b"traam_bot.devtools.localrun" in arg for arg in _cmdline(owner)):
            raise RuntimeError(f"un autre « make run » utilise déjà {config.parent} "
                               f"(PID {owner}) : arrêtez-le d'abord (Ctrl-C)")
        print(f"Arrêt d'un Synapse resté d'une session précédente (PID {pid})…", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while pid in _synapse_pids(config) and time.monotonic() < deadline:
            time.sleep(0.2)


def choose_port(synapse_dir: Path) -> int:
    """Keep the remembered port; else 8008; else any free port (then remembered)."""
    config = synapse_dir / CONFIG_NAME
    _stop_leftovers(config)
    remembered = _configured_port(config)
    for port in (remembered, PREFERRED_PORT):
        if port and port_is_free(port):
            return port
    port = free_port()
    print(f"Le port {remembered or PREFERRED_PORT} est occupé : Synapse utilisera le port "
          f"{port}.", flush=True)
    return port


def import_directory(config_path: Path) -> None:
    """`traam-bot directory import` on the local config, as an operator would run it."""
    cmd = [sys.executable, "-m", "traam_bot", "directory", "import", "--config", str(config_path)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)


def connection_help(sandbox: Sandbox) -> str:
    url = sandbox.synapse.url
    accounts = "\n".join(
        f"     {sandbox.user_ids[name]:<27} mot de passe : {sandbox.passwords[name]:<22}"
        f"({role})" for name, role in ROLES.items())
    return f"""
══ traam-bot en local ══════════════════════════════════════════════════════════════
Serveur Matrix : {url}  (nom de serveur : {sandbox.synapse.server_name})

 1. Ouvrez Element (app.element.io ou Element Desktop), choisissez
    « Serveur personnalisé » et saisissez : {url}
 2. Connectez-vous avec l'un des comptes de démonstration :
{accounts}
 3. Démarrez une discussion avec {sandbox.bot_id} et tapez !aide
    (ou créez un salon d'équipe, invitez-y le bot et mentionnez-le).

L'appareil du bot est signé par sa propre identité (signature croisée) : Element ne
l'affiche pas comme « non vérifié » et lui transmet ses clés dans les salons chiffrés.
Configuration du bot : {sandbox.config_path}
Données (comptes, salons, base du bot) conservées dans {sandbox.workdir}/ ;
supprimez ce dossier pour repartir de zéro.
Ctrl-C arrête le bot puis le serveur.
════════════════════════════════════════════════════════════════════════════════════
"""



async def run_local(workdir: Path = LOCAL_DIR) -> int:
    stop = signal_event()  # Ctrl-C during start-up still tears everything down
    print("Démarrage du serveur Synapse local…", flush=True)
    port = choose_port(workdir / "synapse")
    async with Sandbox(workdir=workdir, port=port, keep=True) as sandbox:
        await asyncio.to_thread(import_directory, sandbox.config_path)
        if stop.is_set():
            return 0
        print(connection_help(sandbox), flush=True)
        bot = await sandbox.start_bot()
        print(f"{BOT} est prêt. Ctrl-C pour arrêter.", flush=True)
        ended = asyncio.ensure_future(bot.wait())
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({ended, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if ended.done():
            ended.result()
            print(f"{BOT} s'est arrêté de lui-même.", file=sys.stderr)
            return 1
        ended.cancel()
        print("\nArrêt du bot et du serveur…", flush=True)
    print("Tout est arrêté.", flush=True)
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("nio", "aiohttp", "sqlalchemy", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return asyncio.run(run_local())
    except Exception as exc:  # one clear line, as the real CLI does
        print(f"make run : échec : {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
