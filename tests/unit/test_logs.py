"""The process's log (config `logging`): JSON lines for everything with `format: json`,
the level respected, and no secret in it even at DEBUG, on the real login paths."""

from __future__ import annotations

import io
import json
import logging
import socket
import warnings
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.local_http import serving
from traam_bot.config import ConfigError, parse_settings
from traam_bot.matrix.session import MatrixStartError, open_session
from traam_bot.ops.logs import Masker, configure_logging

PASSWORD = "mot-de-passe-tres-secret-42"
TOKEN = "syt_jeton_tres_secret_0123456789"
RECOVERY = "EsTc jDf8 secr etre cove ryke y000"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    out = io.StringIO()
    yield out
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved[0]:
        root.addHandler(handler)
    root.setLevel(saved[1])
    logging.captureWarnings(False)


def test_json_lines_for_everything(stream: io.StringIO) -> None:
    configure_logging("INFO", "json", stream=stream)
    logging.getLogger("traam_bot.x").info("événement %s traité", "$e1")
    logging.getLogger("nio.rooms").warning("a library line")
    try:
        raise ValueError("boum")
    except ValueError:
        logging.getLogger("traam_bot.y").exception("échec")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["level"], line["logger"]) for line in lines] == [
        ("INFO", "traam_bot.x"), ("WARNING", "nio.rooms"), ("ERROR", "traam_bot.y"),
        ("WARNING", "py.warnings")]
    assert lines[0]["message"] == "événement $e1 traité"
    assert set(lines[0]) == {"time", "level", "logger", "message"}
    assert "ValueError: boum" in lines[2]["exception"]
    assert "old API" in lines[3]["message"]


def test_the_level_is_respected(stream: io.StringIO) -> None:
    configure_logging("DEBUG", "text", stream=stream)
    assert logging.getLogger("nio.api").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("peewee").isEnabledFor(logging.INFO)  # key store queries
    configure_logging("WARNING", "text", stream=stream)
    logging.getLogger("traam_bot.x").info("bavard")
    logging.getLogger("traam_bot.x").warning("important")
    assert "bavard" not in stream.getvalue()
    assert "WARNING traam_bot.x: important" in stream.getvalue()


def test_the_config_keys(tmp_path: Path) -> None:
    base = {"matrix": {"homeserver": "http://127.0.0.1:8008", "user_id": "@b:localhost",
                       "password": "x"}}
    settings = parse_settings(base, tmp_path, env={})
    assert (settings.logging.level, settings.logging.format) == ("INFO", "text")
    settings = parse_settings({**base, "logging": {"level": "debug", "format": "json"}},
                              tmp_path, env={})
    assert (settings.logging.level, settings.logging.format) == ("DEBUG", "json")
    with pytest.raises(ConfigError, match="logging"):
        parse_settings({**base, "logging": {"format": "xml"}}, tmp_path, env={})


def test_the_masker_hides_named_secrets() -> None:
    mask = Masker([RECOVERY])
    line = mask(f'{{"password": "{PASSWORD}", "user": "bot"}} access_token={TOKEN}&x=1 '
                f"Authorization: Bearer {TOKEN} key {RECOVERY}")
    assert PASSWORD not in line and TOKEN not in line and RECOVERY not in line
    assert '"user": "bot"' in line


@pytest.fixture
async def refusing_server() -> AsyncIterator[str]:
    """A homeserver that refuses every login and token."""
    async def versions(_r: web.Request) -> web.Response:
        return web.json_response({"versions": ["v1.11"]})

    async def refuse(_r: web.Request) -> web.Response:
        return web.json_response({"errcode": "M_FORBIDDEN", "error": "Invalid"}, status=403)

    async def unknown(_r: web.Request) -> web.Response:
        return web.json_response({"errcode": "M_UNKNOWN_TOKEN", "error": "no"}, status=401)

    app = web.Application()
    app.router.add_get("/_matrix/client/versions", versions)
    app.router.add_post("/_matrix/client/v3/login", refuse)
    app.router.add_get("/_matrix/client/v3/account/whoami", unknown)
    async with serving(app) as url:
        yield url


async def test_no_secret_in_the_log_at_debug(stream: io.StringIO, tmp_path: Path,
                                             refusing_server: str) -> None:
    """The password login and the configured token, at DEBUG, libraries included."""
    configure_logging("DEBUG", "json", secrets=[PASSWORD, TOKEN, RECOVERY], stream=stream)
    with pytest.raises(MatrixStartError):
        await open_session(refusing_server, "@bot:localhost", str(tmp_path / "a"),
                           password=PASSWORD, access_token=None, device_id=None,
                           device_name="traam-bot")
    with pytest.raises(MatrixStartError):
        await open_session(refusing_server, "@bot:localhost", str(tmp_path / "b"),
                           password=None, access_token=TOKEN, device_id="DEV",
                           device_name="traam-bot")
    logging.getLogger("nio.test").debug("recovery key %s", RECOVERY)
    text = stream.getvalue()
    assert len(text.splitlines()) >= 3  # the DEBUG lines were written…
    for secret in (PASSWORD, TOKEN, RECOVERY):
        assert secret not in text  # …without a secret
    configure_logging("DEBUG", "json", stream=stream)  # no known values: names still mask
    logging.getLogger("nio.api").debug('{"password": "%s"}', PASSWORD)
    assert PASSWORD not in stream.getvalue()


def test_a_failing_verb_writes_json_with_format_json(tmp_path: Path) -> None:
    """The one-line failure of a verb (here: an unreachable homeserver for device reset)
    is a JSON object too when the config asks for JSON."""
    import subprocess
    import sys

    config = tmp_path / "bot.yaml"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config.write_text(
        f"matrix: {{homeserver: 'http://127.0.0.1:{port}', user_id: '@b:localhost', "
        f"password: '{PASSWORD}', store_path: '{tmp_path}/store'}}\n"
        f"database: {{url: 'sqlite+aiosqlite:///{tmp_path}/t.db'}}\n"
        "logging: {format: json, level: DEBUG}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "traam_bot", "device", "reset", "--config",
                           str(config)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [line["level"] for line in lines
            if line["message"].startswith("traam-bot : ")] == ["ERROR"]
    assert PASSWORD not in done.stderr
