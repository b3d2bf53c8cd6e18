"""`traam-bot check-config`: one French line per finding, exit 1 on any problem. The
homeserver here is a small fake (aiohttp) or nothing at all; the e2e test
(tests/e2e/test_check_config.py) runs it against a real Synapse."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from aiohttp import web

from tests.local_http import serving
from traam_bot.cli import EXIT_FAIL, EXIT_OK, _check_config, build_parser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, homeserver: str, database: str) -> Path:
    path = tmp_path / "bot.yaml"
    path.write_text(yaml.safe_dump({
        "matrix": {"homeserver": homeserver, "user_id": "@traam-bot:localhost",
                   "password": "secret-de-test", "store_path": str(tmp_path / "store")},
        "database": {"url": database}}), encoding="utf-8")
    return path


async def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    rc = await _check_config(build_parser().parse_args(["check-config", "--config", str(path)]))
    return rc, capsys.readouterr().out.splitlines()


@pytest.fixture
async def homeserver() -> AsyncIterator[str]:
    """Answers versions, accepts the password, and counts the logouts."""
    logouts: list[str] = []

    async def versions(_r: web.Request) -> web.Response:
        return web.json_response({"versions": ["v1.11"]})

    async def login(request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("password") != "secret-de-test":
            return web.json_response({"errcode": "M_FORBIDDEN", "error": "no"}, status=403)
        return web.json_response({"user_id": "@traam-bot:localhost", "device_id": "CHECK",
                                  "access_token": "tok"})

    async def logout(request: web.Request) -> web.Response:
        logouts.append(request.headers.get("Authorization", ""))
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/_matrix/client/versions", versions)
    app.router.add_post("/_matrix/client/v3/login", login)
    app.router.add_post("/_matrix/client/v3/logout", logout)
    async with serving(app) as url:
        yield url
    assert logouts == ["Bearer tok"] * len(logouts)


async def test_unreachable_homeserver_and_bad_database(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    path = write_config(tmp_path, url, f"sqlite+aiosqlite:///{tmp_path}/absent/dir/t.db")
    rc, lines = await check(path, capsys)
    assert rc == EXIT_FAIL
    assert lines[0].startswith("✔ configuration valide")
    assert lines[1].startswith("✘ problème : base SQLite") and "n’existe pas" in lines[1]
    assert lines[2] == f"✘ problème : serveur Matrix injoignable : {url} (ClientConnectorError)"
    assert len(lines) == 3


async def test_a_database_url_that_does_not_answer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], homeserver: str) -> None:
    path = write_config(tmp_path, homeserver,
                        f"postgresql+asyncpg://u:p@127.0.0.1:{free_port()}/traam")
    rc, lines = await check(path, capsys)
    assert rc == EXIT_FAIL
    assert lines[1].startswith("✘ problème : base de données injoignable (")


async def test_all_fine_but_the_homeserver_refuses_the_password(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], homeserver: str) -> None:
    path = write_config(tmp_path, homeserver, f"sqlite+aiosqlite:///{tmp_path}/t.db")
    rc, lines = await check(path, capsys)
    assert (rc, lines[1:3]) == (EXIT_OK, [
        f"✔ base SQLite {tmp_path}/t.db absente : elle sera créée au premier démarrage",
        f"✔ serveur Matrix joignable ({homeserver})"])
    assert lines[3] == "✔ mot de passe accepté pour @traam-bot:localhost"
    assert not (tmp_path / "store").exists()  # nothing written: no key store, no session
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["matrix"]["password"] = "mauvais"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    rc, lines = await check(path, capsys)
    assert rc == EXIT_FAIL
    assert lines[3].startswith(
        "✘ problème : connexion refusée pour @traam-bot:localhost (M_FORBIDDEN)")


async def test_an_invalid_config_is_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("matrix: {homeserver: http://x}\nlogging: {format: xml}\n", encoding="utf-8")
    rc, lines = await check(path, capsys)
    assert rc == EXIT_FAIL
    assert len(lines) == 1 and lines[0].startswith("✘ problème : configuration invalide")


async def test_fine_except_the_homeserver(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    rc, lines = await check(write_config(tmp_path, url, f"sqlite+aiosqlite:///{tmp_path}/t.db"),
                            capsys)
    assert rc == EXIT_FAIL
    assert [line[0] for line in lines] == ["✔", "✔", "✘"]
    assert "serveur Matrix injoignable" in lines[2]
