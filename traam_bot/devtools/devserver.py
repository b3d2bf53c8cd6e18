"""Throwaway local Synapse homeserver for end-to-end tests, ``make run`` and the demo.

Synapse runs in a child process (``sys.executable -m synapse.app.homeserver``); this
module never imports ``synapse`` itself and needs only the standard library at import
time (PyYAML is imported lazily when a config is written).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from traam_bot.devtools.synapse_config import (
    LOG_CONFIG,
    free_port,
    fresh_config,
    override_rate_limits,
    port_is_free,
    relax_rate_limits,
    signing_key,
)

CONFIG_NAME = "homeserver.yaml"
LOG_NAME = "homeserver.log"
CONSOLE_LOG_NAME = "synapse-console.log"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
# No proxy for loopback requests, whatever the environment says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _listener_port(config: dict[str, Any]) -> int:
    return int(config["listeners"][0]["port"])


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class LocalSynapse:
    """A Synapse homeserver on 127.0.0.1 with SQLite and everything under ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        server_name: str = "localhost",
        relaxed_rate_limits: bool = True,
        rate_limits: dict[str, dict[str, float] | None] | None = None,
    ) -> None:
        """`rate_limits` overrides single limits after the relaxing: ``{"rc_message":
        None}`` keeps Synapse's own, ``{"rc_message": {"per_second": 1, "burst_count":
        5}}`` sets one."""
        self.workdir = Path(workdir).resolve()
        self._requested_port = port
        self._port = port
        self._server_name = server_name
        self.relaxed_rate_limits = relaxed_rate_limits
        self.rate_limits = dict(rate_limits or {})
        self._secret = ""
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("LocalSynapse not configured yet: call start()")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server_name(self) -> str:
        return self._server_name

    @property
    def config_path(self) -> Path:
        return self.workdir / CONFIG_NAME

    # -- configuration -------------------------------------------------------------
    def _write_fresh_config(self) -> dict[str, Any]:
        port = self._requested_port or free_port()
        config = fresh_config(self.workdir, self._server_name, port)
        if self.relaxed_rate_limits:
            relax_rate_limits(config)
        override_rate_limits(config, self.rate_limits)
        Path(config["signing_key_path"]).write_text(signing_key())
        return config

    def _prepare_config(self) -> None:
        import yaml

        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.config_path.exists():
            config = yaml.safe_load(self.config_path.read_text())
            if self._requested_port and self._requested_port != _listener_port(config):
                config["listeners"][0]["port"] = self._requested_port
        else:
            config = self._write_fresh_config()
        log_path = json.dumps(str(self.workdir / LOG_NAME))  # a valid YAML string
        Path(config["log_config"]).write_text(LOG_CONFIG.replace('"PATH"', log_path))
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.config_path.chmod(0o600)
        self._port = _listener_port(config)
        self._server_name = str(config["server_name"])
        self._secret = str(config["registration_shared_secret"])

    # -- process -------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> LocalSynapse:
        """Configure (first time only), launch Synapse and block until it answers."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        if importlib.util.find_spec("synapse") is None:
            raise RuntimeError("matrix-synapse is not installed (pip install -e '.[dev]')")
        self._prepare_config()
        if not port_is_free(self.port):
            raise RuntimeError(f"port {self.port} already in use (stale homeserver?)")
        cmd = [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)]
        with open(self.workdir / CONSOLE_LOG_NAME, "ab") as console:
            self._proc = subprocess.Popen(
                cmd,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, timeout: float) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"Synapse exited with {self._proc.returncode}:\n" + self._logs_tail()
                )
            with contextlib.suppress(OSError):  # URLError is an OSError
                with _OPENER.open(f"{self.url}/_matrix/client/versions", timeout=2) as resp:
                    if resp.status == 200:
                        return
            time.sleep(0.1)
        raise RuntimeError(f"Synapse not ready after {timeout:.0f} s:\n" + self._logs_tail())

    def _logs_tail(self) -> str:
        console, log = _tail(self.workdir / CONSOLE_LOG_NAME), _tail(self.workdir / LOG_NAME)
        return f"{console}\n--- {LOG_NAME} ---\n{log}"

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s. Safe to call repeatedly."""
        proc, self._proc = self._proc, None
        atexit.unregister(self.stop)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self, rate_limits: dict[str, dict[str, float] | None] | None = None) -> None:
        """Stop, apply `rate_limits` (as in the constructor) to the saved configuration and
        start again: same port, same accounts and rooms (set-up relaxed, test strict)."""
        import yaml

        self.stop()
        if rate_limits:
            config = yaml.safe_load(self.config_path.read_text())
            override_rate_limits(config, rate_limits)
            self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
            self.rate_limits.update(rate_limits)
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def __enter__(self) -> LocalSynapse:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- users ---------------------------------------------------------------------
    def register(self, username: str, password: str, admin: bool = False) -> str:
        """Create a user through the shared-secret admin API; return its full id.

        Idempotent: an existing user (M_USER_IN_USE) is not an error (its password
        is left unchanged).
        """
        endpoint = f"{self.url}/_synapse/admin/v1/register"
        with _OPENER.open(endpoint, timeout=10) as resp:
            nonce = json.load(resp)["nonce"]
        message = "\0".join([nonce, username, password, "admin" if admin else "notadmin"])
        mac = hmac.new(self._secret.encode(), message.encode(), hashlib.sha1).hexdigest()
        body = dict(nonce=nonce, username=username, password=password, admin=admin, mac=mac)
        headers = {"Content-Type": "application/json"}
        request = urllib.request.Request(endpoint, json.dumps(body).encode(), headers)
        try:
            with _OPENER.open(request, timeout=10) as resp:
                return str(json.load(resp)["user_id"])
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            if "M_USER_IN_USE" in detail:
                return f"@{username}:{self.server_name}"
            raise RuntimeError(f"registration of {username!r} failed: {detail}") from err

    async def aregister(self, username: str, password: str, admin: bool = False) -> str:
        return await asyncio.to_thread(self.register, username, password, admin)


def main(argv: list[str] | None = None) -> None:
    """``python -m traam_bot.devtools.devserver [WORKDIR] [PORT]``: run until Ctrl-C."""
    args = sys.argv[1:] if argv is None else argv
    workdir = Path(args[0] if args else ".devserver")
    port = int(args[1]) if len(args) > 1 else None
    for sig in (signal.SIGINT, signal.SIGTERM):  # leave through __exit__, which stops Synapse
        signal.signal(sig, lambda *_: sys.exit(0))
    with LocalSynapse(workdir, port=port) as server:
        print(f"Synapse {server.server_name} ready at {server.url} (data in {workdir})", flush=True)
        while server.running:
            time.sleep(1)
    sys.exit("Synapse stopped unexpectedly: see its logs in the work directory")


if __name__ == "__main__":
    main()
