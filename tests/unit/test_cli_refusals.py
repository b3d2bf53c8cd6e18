"""`traam-bot` driven as an operator would, with each thing that can be wrong in its
configuration: one precise French line naming the file or the key, a non-zero exit, never a
traceback nor an « erreur inattendue »."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.unit.test_cli import REPO, assert_one_clean_line, closed_port, run
from tests.unit.test_keystore import DEVICE, make_store

SEED = REPO / "config" / "traam.yaml"


def write_config(folder: Path, homeserver: str = "", directory: Path | str = SEED,
                 url: str = "sqlite+aiosqlite:///data/traam.db") -> Path:
    path = folder / "bot.yaml"
    path.write_text(
        "matrix:\n"
        f"  homeserver: {homeserver or f'http://127.0.0.1:{closed_port()}'}\n"
        '  user_id: "@traam-bot:localhost"\n'
        "  password: un-vrai-secret\n"
        "  store_path: store\n"
        "database:\n"
        f"  url: {url}\n"
        f"directory: {directory}\n",
        encoding="utf-8")
    return path


def only_line(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    assert_one_clean_line(result, *fragments)
    return result.stderr.strip().splitlines()[-1]


# ------------------------------------------------------------------ files


def test_directory_file_not_in_utf8_names_file_and_line(tmp_path: Path) -> None:
    directory = tmp_path / "traam.yaml"
    directory.write_bytes("region: Bourgogne\nyear: '2025'\nprojects:\n  - academie: Besançon\n"
                          .encode("latin-1"))
    line = only_line(run("directory", "import", "--config", str(write_config(tmp_path,
                                                                              directory=directory))),
                     f"annuaire {directory}", "n’est pas en UTF-8", "0xE7", "ligne 4")
    assert "réenregistrez-le en UTF-8" in line


def test_config_file_not_in_utf8(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_bytes(config.read_bytes() + "# rédigé par l’équipe\n".encode("cp1252"))
    only_line(run("db", "upgrade", "--config", str(config)),
              f"fichier de configuration {config}", "n’est pas en UTF-8", "ligne 9")


def test_missing_directory_file_is_named_as_the_directory(tmp_path: Path) -> None:
    absent = tmp_path / "annuaire.yaml"
    line = only_line(run("directory", "import", "--config",
                         str(write_config(tmp_path, directory=absent))),
                     f"annuaire introuvable : {absent}", "clé directory")
    assert "fichier de configuration" not in line


def test_directory_path_that_is_a_folder(tmp_path: Path) -> None:
    only_line(run("run", "--config", str(write_config(tmp_path, directory=tmp_path))),
              f"annuaire : {tmp_path} est un dossier", "clé directory")


def test_config_path_that_is_a_folder(tmp_path: Path) -> None:
    only_line(run("run", "--config", str(tmp_path)),
              f"fichier de configuration : {tmp_path} est un dossier", "--config")


def test_unreadable_directory_file(tmp_path: Path) -> None:
    directory = tmp_path / "traam.yaml"
    directory.write_bytes(SEED.read_bytes())
    config = write_config(tmp_path, directory=directory)
    if os.geteuid() != 0:
        directory.chmod(0)
        result = run("directory", "import", "--config", str(config))
    else:  # root reads anything: the refusal the kernel would give is simulated
        code = ("import pathlib, sys\n"
                "real = pathlib.Path.read_bytes\n"
                "def read_bytes(self):\n"
                f"    if str(self) == {str(directory)!r}:\n"
                "        raise PermissionError(13, 'Permission denied')\n"
                "    return real(self)\n"
                "pathlib.Path.read_bytes = read_bytes\n"
                "from traam_bot.cli import main\n"
                f"sys.exit(main(['directory', 'import', '--config', {str(config)!r}]))\n")
        result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                                text=True, timeout=120)
    only_line(result, f"annuaire illisible : {directory}", "permission refusée")


# ------------------------------------------------------------------ values


def test_unsupported_database_url_names_the_key_and_what_is_supported(tmp_path: Path) -> None:
    config = write_config(tmp_path, url="mysql://traam:TRES-SECRET@db.example.org/traam")
    line = only_line(run("db", "upgrade", "--config", str(config)),
                     "database.url", "« mysql » non pris en charge", "sqlite+aiosqlite://",
                     "postgresql+asyncpg://")
    assert "TRES-SECRET" not in line  # the URL's password is never shown
    env = dict(os.environ, TRAAM_BOT_DATABASE_URL="oracle+cx_oracle://u:p@db/x")
    only_line(run("directory", "import", "--config", str(write_config(tmp_path)), env=env),
              "database.url", "« oracle+cx_oracle »", "TRAAM_BOT_DATABASE_URL")


def test_plain_sqlite_url_works_and_the_database_is_private(tmp_path: Path) -> None:
    result = run("db", "upgrade", "--config",
                 str(write_config(tmp_path, url="sqlite:///data/traam.db")))
    assert result.returncode == 0, result.stderr
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = list(data.iterdir())
    assert data / "traam.db" in files
    for path in files:  # the database and its -wal/-shm, whatever the caller's umask
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_unknown_export_format_lists_the_formats(tmp_path: Path) -> None:
    line = only_line(run("export", "--config", str(write_config(tmp_path)), "--format", "pdf"),
                     "format d’export inconnu « pdf »", "md, csv")
    assert "commande inconnue" not in line


# ------------------------------------------------------------------ homeserver


class Refusing(BaseHTTPRequestHandler):
    """A homeserver refusing the bot's password and its saved token."""

    def _answer(self, status: int, errcode: str, error: str) -> None:
        body = json.dumps({"errcode": errcode, "error": error}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # /login
        self._answer(403, "M_FORBIDDEN", "Invalid username or password")

    def do_GET(self) -> None:  # /account/whoami
        self._answer(401, "M_UNKNOWN_TOKEN", "Invalid access token passed.")

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def refusing_homeserver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_wrong_password_names_account_and_homeserver(tmp_path: Path,
                                                     refusing_homeserver: str) -> None:
    line = only_line(run("run", "--config", str(write_config(tmp_path, refusing_homeserver))),
                     f"connexion refusée par {refusing_homeserver}",
                     "pour le compte @traam-bot:localhost", "mot de passe refusé (M_FORBIDDEN)",
                     "matrix.password")
    assert "pour  :" not in line


def test_refused_saved_token_names_the_session_and_device_reset(
        tmp_path: Path, refusing_homeserver: str) -> None:
    asyncio.run(make_store(tmp_path / "store"))
    only_line(run("run", "--config", str(write_config(tmp_path, refusing_homeserver))),
              f"jeton d’accès refusé par {refusing_homeserver}", "@traam-bot:localhost",
              "M_UNKNOWN_TOKEN", f"appareil {DEVICE}", "traam-bot device reset")


def test_lost_key_store_refuses_to_start_naming_device_reset(tmp_path: Path) -> None:
    db = asyncio.run(make_store(tmp_path / "store"))
    db.unlink()  # credentials kept, keys gone
    only_line(run("run", "--config", str(write_config(tmp_path))),
              f"clés de chiffrement de l’appareil {DEVICE}", "perdues", "absent",
              "Démarrage refusé", "traam-bot device reset")
    assert not db.exists()
