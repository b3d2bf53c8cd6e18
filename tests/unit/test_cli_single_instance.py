"""`traam-bot run` twice on one database (SPEC §8): the second is refused at once with one
French line naming the first; `run --standby` waits for it instead and takes over when it
is killed. Real processes on a SQLite file; the homeserver accepts connections and never
answers, so each bot holds the lock and waits in its Matrix login (taken after the lock)."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.unit.test_cli import REPO, assert_one_clean_line, run

START = 60.0  # seconds for a bot process to start and take the lock, on a loaded machine
REFUSAL = 60.0  # …for the second `run` to be refused: a bound against a hang, not a speed
TAKEOVER = 30.0  # SPEC §8


@pytest.fixture
def silent_homeserver() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


@pytest.fixture
def config(tmp_path: Path, silent_homeserver: int) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(
        "matrix:\n"
        f"  homeserver: http://127.0.0.1:{silent_homeserver}\n"
        '  user_id: "@traam-bot:localhost"\n'
        "  password: un-vrai-secret\n"
        "database:\n"
        "  url: sqlite+aiosqlite:///data/traam.db\n"
        f"directory: {REPO / 'config' / 'traam.yaml'}\n",
        encoding="utf-8")
    return path


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start `traam-bot run --config … [extra]` (output in a log file); killed at the end."""
    started: list[subprocess.Popen[bytes]] = []

    def start(config: Path, *extra: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"bot-{len(started)}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "traam_bot", "run", "--config", str(config), *extra],
                cwd=REPO, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        proc.log = log  # type: ignore[attr-defined]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def log_of(proc: subprocess.Popen[bytes]) -> str:
    return Path(proc.log).read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `condition` until it holds; the seconds it took."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what}: still not after {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - start


def owner_pid(database: Path) -> int | None:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT pid FROM instance_owner").fetchone()
    except sqlite3.Error:
        return None  # not created, or not migrated yet
    return int(row[0]) if row else None


def test_a_second_run_is_refused_and_a_standby_takes_over_a_killed_one(
        config: Path, bots: Callable[..., subprocess.Popen[bytes]]) -> None:
    database = config.parent / "data" / "traam.db"
    first = bots(config)
    wait_for(lambda: owner_pid(database) == first.pid or first.poll() is not None, START,
             "the first bot holding the lock")
    assert first.poll() is None, log_of(first)

    began = time.monotonic()
    second = run("run", "--config", str(config))
    assert time.monotonic() - began < REFUSAL
    assert_one_clean_line(second, "traam-bot : une autre instance du bot tourne déjà sur "
                          f"cette base de données (hôte « {socket.gethostname()} », "
                          f"pid {first.pid}, depuis le ",
                          "arrêtez-la d’abord, ou lancez celle-ci en relève avec "
                          "« traam-bot run --standby »")
    assert first.poll() is None  # the refused one changed nothing for the first

    standby = bots(config, "--standby")
    wait_for(lambda: "relève : une autre instance tient la base de données" in log_of(standby)
             or standby.poll() is not None, START, "the standby waiting")
    assert f"pid {first.pid}" in log_of(standby)
    assert standby.poll() is None, log_of(standby)
    time.sleep(2)  # a few polls: it keeps waiting, and says so only once
    assert log_of(standby).count("relève : une autre instance") == 1
    assert owner_pid(database) == first.pid

    first.send_signal(signal.SIGKILL)  # a crash: the OS releases the lock file
    first.wait()
    took = wait_for(lambda: "celle-ci prend le relais" in log_of(standby), TAKEOVER,
                    "the standby taking over")
    wait_for(lambda: owner_pid(database) == standby.pid, START, "the standby recorded")
    assert standby.poll() is None, log_of(standby)
    assert took <= TAKEOVER
