"""`GET /health`: the state reported by the sync loop, the database waits and the outbox
sender, its French reasons and limits, the HTTP listener and its config section."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.unit.harness import Clock
from traam_bot.config import ConfigError, HttpSettings, parse_settings
from traam_bot.domain.health import Health, format_duration
from traam_bot.ops.http import HttpListener, ListenError

REPO = Path(__file__).resolve().parents[2]
START = datetime(2025, 12, 1, 8, 0, tzinfo=UTC)




@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.mark.parametrize(("seconds", "said"), [
    (0, "0 s"), (59, "59 s"), (60, "1 min"), (75, "1 min 15 s"), (600, "10 min"),
    (3600, "1 h"), (3720, "1 h 2 min"), (-3, "0 s"),
])
def test_durations_are_french(seconds: int, said: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == said


def test_a_fresh_start_is_healthy_until_the_sync_limit(clock: Clock) -> None:
    health = Health(clock)
    clock.advance(75)
    assert health.problems() == []  # 75 s is the limit itself, not past it
    clock.advance(1)
    assert health.problems() == ["aucune synchronisation réussie avec le serveur Matrix "
                                 "depuis le démarrage, il y a 1 min 16 s (limite : 1 min 15 s)"]


def test_a_sync_older_than_75_seconds_is_reported(clock: Clock) -> None:
    health = Health(clock)
    clock.advance(100)
    health.synced()
    clock.advance(75)
    assert health.problems() == []
    clock.advance(5)
    assert health.problems() == ["dernière synchronisation réussie avec le serveur Matrix "
                                 "il y a 1 min 20 s (limite : 1 min 15 s)"]
    health.synced()
    assert health.problems() == []


def test_the_database_is_down_while_some_work_waits_for_it(clock: Clock) -> None:
    health = Health(clock)
    health.database_down("ConnectionRefusedError", "event $a")
    clock.advance(20)
    health.database_down("AdminShutdownError", "outbox row 3")
    health.synced()
    assert health.problems() == ["base de données injoignable depuis 20 s "
                                 "(AdminShutdownError)"]
    told: list[str] = []
    health.on_database_back(lambda: told.append("back"))
    health.database_back("event $a")  # one waiter through: the other still waits, told
    assert health.database_down_since == START + timedelta(seconds=20)
    assert len(health.problems()) == 1 and told == ["back"]
    health.database_forget("outbox row 3")  # given up (a stop): no news for anyone
    assert health.problems() == [] and told == ["back"]
    health.database_back("never waited")
    assert told == ["back"]


def test_an_outbox_row_older_than_10_minutes_is_reported(clock: Clock) -> None:
    health = Health(clock)
    oldest: list[datetime] = []
    health.outbox_oldest = lambda: min(oldest, default=None)
    assert health.problems() == []
    oldest.append(clock.now)
    clock.advance(600)
    health.synced()
    assert health.problems() == []
    clock.advance(61)
    assert health.problems() == ["le plus ancien message de la file d’envoi attend depuis "
                                 "11 min 1 s (limite : 10 min)"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_listener_answers_200_ok_or_503_with_the_reasons(clock: Clock) -> None:
    health = Health(clock)
    port = free_port()
    listener = HttpListener(health, "127.0.0.1", port)
    await listener.start()
    try:
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/health"
            async with http.get(url) as resp:
                assert (resp.status, await resp.text()) == (200, "ok")
            health.database_down("ConnectionRefusedError")
            clock.advance(80)
            async with http.get(url) as resp:
                body = await resp.text()
                assert resp.status == 503
                assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert body.splitlines() == [
                "base de données injoignable depuis 1 min 20 s (ConnectionRefusedError)",
                "aucune synchronisation réussie avec le serveur Matrix depuis le démarrage, "
                "il y a 1 min 20 s (limite : 1 min 15 s)"]
            async with http.get(f"http://127.0.0.1:{port}/autre") as resp:
                assert resp.status == 404
    finally:
        await listener.stop()


async def test_a_port_in_use_is_one_french_line(clock: Clock) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ListenError, match=f"écoute HTTP impossible sur 127.0.0.1:{port}"):
            await HttpListener(Health(clock), "127.0.0.1", port).start()


MATRIX = {"homeserver": "http://127.0.0.1:8008", "user_id": "@traam-bot:localhost",
          "password": "un-vrai-secret"}


def test_http_is_off_unless_configured_and_has_defaults(tmp_path: Path) -> None:
    assert parse_settings({"matrix": MATRIX}, tmp_path, env={}).http is None
    assert parse_settings({"matrix": MATRIX, "http": None}, tmp_path, env={}).http is None
    on = parse_settings({"matrix": MATRIX, "http": {}}, tmp_path, env={}).http
    assert on == HttpSettings(bind="127.0.0.1", port=9464)
    custom = parse_settings({"matrix": MATRIX, "http": {"bind": "0.0.0.0", "port": 8080}},
                            tmp_path, env={}).http
    assert custom == HttpSettings(bind="0.0.0.0", port=8080)


@pytest.mark.parametrize("http", [{"port": 0}, {"port": "9464"}, {"prot": 9464}])
def test_a_bad_http_section_names_the_key(tmp_path: Path, http: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match=r"http\.(port|prot)"):
        parse_settings({"matrix": MATRIX, "http": http}, tmp_path, env={})


def test_the_example_config_documents_the_http_section(tmp_path: Path) -> None:
    """Uncommented as it stands, the example's `http` block gives the defaults."""
    lines = (REPO / "config" / "bot.example.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# http:")
    block = [lines[start][2:]]
    for line in lines[start + 1:]:
        if not line.startswith("#   "):
            break
        block.append(line[2:])
    http = yaml.safe_load("\n".join(block))["http"]
    assert parse_settings({"matrix": MATRIX, "http": http}, tmp_path, env={}).http == (
        HttpSettings(bind="127.0.0.1", port=9464))

