"""Local sandbox shared by the demo, `make run` and end-to-end tests: Synapse, bot, users."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from traam_bot.config import Settings, load_settings
from traam_bot.devtools.devserver import LocalSynapse
from traam_bot.devtools.userclient import Event, UserClient, replies_to

if TYPE_CHECKING:
    from traam_bot.services.container import Services
    from traam_bot.store.unit_of_work import UnitsOfWork

__all__ = ["BotProcess", "BotSubprocess", "Event", "Sandbox", "UserClient", "replies_to",
           "write_bot_config"]

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIRECTORY = REPO_ROOT / "config" / "traam.yaml"
BOT = "traam-bot"
COORDINATOR, MEMBER, REFERENT = "coordinatrice", "equipe", "referente"
# Throwaway accounts on a homeserver bound to 127.0.0.1: fixed, simple passwords.
DEFAULT_PASSWORDS = {BOT: "bot-traam-local", COORDINATOR: "coordinatrice-traam",
                     MEMBER: "equipe-traam", REFERENT: "referente-traam"}
CONNECTED_LINE = "traam-bot connected as"


def write_bot_config(path: Path | str, homeserver: str, bot_user_id: str, password: str,
                     db_url: str, store_path: Path | str, admins: Iterable[str],
                     referents: Iterable[str], directory: Path | str = DEFAULT_DIRECTORY) -> Path:
    """Write a valid bot.yaml (readable only by its owner: it holds a password)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "matrix": {"homeserver": homeserver, "user_id": bot_user_id, "password": password,
                   "device_name": BOT, "store_path": str(store_path)},
        "database": {"url": db_url},
        "directory": str(directory),
        "admins": list(admins),
        "referents": list(referents),
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    path.chmod(0o600)
    return path


class BotProcess:
    """The bot inside this event loop (`run_bot` in a task), stoppable and restartable."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # the running bot's own services and units of work (a test commits through them)
        self.services: Services | None = None
        self.units: UnitsOfWork | None = None

    async def start(self, settings: Settings | None = None,
                    timeout: float = 60) -> BotProcess:
        from traam_bot.app import run_bot

        self.settings = settings or self.settings
        if self.settings is None:
            raise ValueError("BotProcess.start() needs settings")
        self._stop, ready = asyncio.Event(), asyncio.Event()
        self.services = self.units = None
        self._task = asyncio.create_task(run_bot(self.settings, self._stop, ready,
                                                 expose=self._expose))
        waiter = asyncio.ensure_future(ready.wait())
        await asyncio.wait({waiter, self._task}, timeout=timeout,
                           return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if self._task.done():
            self._task.result()  # raises the bot's own start error
            raise RuntimeError("the bot stopped before its first sync")
        if not ready.is_set():
            await self.stop()
            raise TimeoutError(f"the bot was not ready after {timeout:.0f} s")
        return self

    def _expose(self, services: Services, units: UnitsOfWork) -> None:
        self.services, self.units = services, units

    async def stop(self, timeout: float = 30) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(task, timeout)
        except TimeoutError:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def wait(self) -> None:
        """Until the bot stops on its own (re-raising what made it stop)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()


class BotSubprocess:
    """`python -m traam_bot run` as a child process, for SIGKILL/SIGTERM restarts;
    `module` names another entry point taking the same arguments (a test's launcher)."""

    def __init__(self, config_path: Path | str, log_path: Path | str, *,
                 command: list[str] | None = None, cwd: Path | str | None = None,
                 env: dict[str, str] | None = None, args: Iterable[str] = (),
                 module: str = "traam_bot") -> None:
        """`command` runs the bot (default: this interpreter's `-m traam_bot`), from `cwd`,
        with `env` (default: this process's environment); `args` follow `run --config …`
        (`--standby`)."""
        self.config_path = Path(config_path)
        self.log_path = Path(log_path)
        self.args = list(args)
        self.command = command or [sys.executable, "-m", module]
        self.cwd = cwd
        self.env = dict(os.environ) if env is None else env
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 60,
                    settle: float = 1.0) -> BotSubprocess:
        """Launch, then wait for the "connected" log line and `settle` more seconds."""
        proc, offset = self._spawn()
        deadline = asyncio.get_running_loop().time() + timeout
        while CONNECTED_LINE not in self._log_since(offset):
            if proc.poll() is not None or asyncio.get_running_loop().time() > deadline:
                self.kill()
                raise RuntimeError("the bot did not connect:\n" + self._log_since(offset)[-3000:])
            await asyncio.sleep(0.1)
        await asyncio.sleep(settle)
        return self

    def launch(self) -> int:
        """Start the child without waiting for anything; the log offset its output starts
        at (for `wait_log`)."""
        return self._spawn()[1]

    async def wait_log(self, text: str, timeout: float, offset: int = 0) -> str:
        """Until `text` is in the log after `offset`; the log from there. RuntimeError when
        the child exits or `timeout` passes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while text not in (log := self._log_since(offset)):
            if not self.running or loop.time() > deadline:
                log = self._log_since(offset)
                if text in log:
                    break
                raise RuntimeError(f"« {text} » not in the bot's log:\n{log[-3000:]}")
            await asyncio.sleep(0.1)
        return log

    def _spawn(self) -> tuple[subprocess.Popen[bytes], int]:
        """Start the child with its output appended to the log; return the log's old size."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        cmd = [*self.command, "run", "--config", str(self.config_path), *self.args]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         cwd=self.cwd, env=dict(self.env, PYTHONUNBUFFERED="1"))
        return self.proc, offset

    def log(self) -> str:
        """Everything the child wrote so far (all its runs)."""
        return self._log_since(0) if self.log_path.exists() else ""

    def _log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved on the way out."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, then the exit code (SIGKILL if it does not stop within `timeout`)."""
        if self.proc is None:
            raise RuntimeError("bot subprocess never started")
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return int(self.proc.returncode)


class Sandbox:
    """Synapse + bot account + three demo users + bot.yaml, torn down on exit."""

    def __init__(self, workdir: Path | str | None = None, port: int | None = None,
                 keep: bool = False, passwords: dict[str, str] | None = None,
                 directory: Path | str = DEFAULT_DIRECTORY) -> None:
        self._temp = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="traam-sandbox-")).resolve()
        self.keep = keep
        self.passwords = dict(passwords or DEFAULT_PASSWORDS)
        self.bot_password = self.passwords[BOT]
        self.directory = Path(directory)
        self.synapse = LocalSynapse(self.workdir / "synapse", port=port)
        self.config_path = self.workdir / "bot.yaml"
        self.user_ids: dict[str, str] = {}
        self.bot: BotProcess | None = None
        self.bot_subprocess: BotSubprocess | None = None
        self._users: list[UserClient] = []

    @property
    def settings(self) -> Settings:
        return load_settings(self.config_path)

    @property
    def bot_id(self) -> str:
        return self.user_ids[BOT]

    async def __aenter__(self) -> Sandbox:
        try:
            await asyncio.to_thread(self.synapse.start)
            for name, password in self.passwords.items():
                self.user_ids[name] = await self.synapse.aregister(name, password)
            write_bot_config(
                self.config_path, self.synapse.url, self.bot_id, self.bot_password,
                f"sqlite+aiosqlite:///{self.workdir / 'traam.db'}", self.workdir / "store",
                admins=[self.user_ids[COORDINATOR]], referents=[self.user_ids[REFERENT]],
                directory=self.directory)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start_bot(self) -> BotProcess:
        """Run the bot in this event loop (stopped on exit) until its first sync."""
        self.bot = await BotProcess(self.settings).start()
        return self.bot

    async def start_bot_subprocess(self) -> BotSubprocess:
        """Run `traam-bot run` as a child process (log: bot.log; terminated on exit)."""
        if self.bot_subprocess is None:
            self.bot_subprocess = BotSubprocess(self.config_path, self.workdir / "bot.log")
        return await self.bot_subprocess.start()

    async def user(self, name: str) -> UserClient:
        """Log a demo user in (closed on exit)."""
        client = UserClient()
        self._users.append(client)
        return await client.login(self.synapse.url, self.user_ids[name], self.passwords[name])

    async def close(self) -> None:
        try:
            for client in self._users:
                await client.close()
            self._users.clear()
            if self.bot is not None:
                await self.bot.stop()
        finally:
            if self.bot_subprocess is not None and self.bot_subprocess.running:
                self.bot_subprocess.terminate()
            await asyncio.to_thread(self.synapse.stop)
            if self._temp and not self.keep:
                shutil.rmtree(self.workdir, ignore_errors=True)
