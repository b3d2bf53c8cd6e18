"""`traam-bot` for operators: French help, backups, errors naming their path, and the
Matrix secret asked only by the verbs that log in."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import tarfile
from pathlib import Path

import pytest

from tests.unit.test_cli import assert_one_clean_line, run
from tests.unit.test_cli_refusals import write_config
from traam_bot.config import ConfigError, parse_settings

ENGLISH = ("usage:", "positional arguments", "options:", "optional arguments",
           "show this help message", "error:")


@pytest.mark.parametrize("verb", [[], ["export"], ["db", "backup"], ["db", "copy"]])
def test_help_is_french(verb: list[str]) -> None:
    result = run(*verb, "--help")
    assert result.returncode == 0
    for english in ENGLISH:
        assert english not in result.stdout
    assert result.stdout.startswith("usage : traam-bot")
    assert "affiche ce message d’aide et quitte" in result.stdout


def test_missing_option_is_named_in_french() -> None:
    assert_one_clean_line(run("db", "backup"), "option obligatoire manquante : --out")


def without_secret(folder: Path) -> Path:
    config = write_config(folder)
    text = config.read_text(encoding="utf-8").replace("  password: un-vrai-secret\n", "")
    config.write_text(text, encoding="utf-8")
    return config


def test_one_shot_verbs_need_no_matrix_secret(tmp_path: Path) -> None:
    config = without_secret(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAAM_BOT_")}
    for verb in (["db", "upgrade"], ["directory", "import"], ["export"]):
        result = run(*verb, "--config", str(config), env=env)
        assert result.returncode == 0, result.stderr
    assert_one_clean_line(run("run", "--config", str(config), env=env),
                          "matrix.password ou matrix.access_token est requis")


def test_run_with_a_saved_session_needs_no_secret(tmp_path: Path) -> None:
    config = without_secret(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRAAM_BOT_")}
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "credentials.json").write_text("{}", encoding="utf-8")
    result = run("run", "--config", str(config), env=env)
    # past the configuration: it fails further on (the saved session is empty), not on it
    assert result.returncode != 0
    assert "est requis" not in result.stderr and "configuration invalide" not in result.stderr


MATRIX = {"homeserver": "http://localhost:8008", "user_id": "@bot:localhost",
          "store_path": "store"}


def test_a_saved_session_stands_for_the_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"matrix\.password ou matrix\.access_token"):
        parse_settings({"matrix": MATRIX}, tmp_path, env={})
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "credentials.json").write_text(json.dumps({}), encoding="utf-8")
    settings = parse_settings({"matrix": MATRIX}, tmp_path, env={})
    assert settings.matrix.password is None and settings.matrix.access_token is None


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_writes_database_and_key_store_private(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert run("directory", "import", "--config", str(config)).returncode == 0
    (tmp_path / "store").mkdir(exist_ok=True)
    (tmp_path / "store" / "credentials.json").write_text("{}", encoding="utf-8")
    (tmp_path / "store" / "olm").mkdir()
    (tmp_path / "store" / "olm" / "bot.db").write_bytes(b"keys")
    out = tmp_path / "sauvegardes" / "traam.db"
    result = run("db", "backup", "--config", str(config), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Sauvegarde écrite" in result.stdout and "2 fichiers" in result.stdout
    archive = out.with_name("traam.db.store.tar.gz")
    assert mode(out) == 0o600 and mode(archive) == 0o600
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 6
    with tarfile.open(archive) as tar:
        assert {"credentials.json", "olm/bot.db"} <= set(tar.getnames())


def test_backup_of_a_missing_database_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert_one_clean_line(
        run("db", "backup", "--config", str(config), "--out", str(tmp_path / "b.db")),
        "introuvable", str(tmp_path / "data" / "traam.db"))


def test_unwritable_data_folder_is_named(tmp_path: Path) -> None:
    # the tests run as root, who writes anywhere: the error the store wraps, as it comes
    from traam_bot.cli import _explain
    from traam_bot.store.database import StoreError

    denied = PermissionError(13, "Permission denied", "/data")
    try:
        try:
            raise denied
        except PermissionError as exc:
            raise StoreError("base de données inutilisable (sqlite)") from exc
    except StoreError as wrapped:
        assert _explain(wrapped) == "droits insuffisants (lecture ou écriture refusée) : /data"
    assert _explain(FileNotFoundError(2, "No such file", "/x/b.db")) == (
        "fichier ou dossier introuvable : /x/b.db")


def test_not_a_folder_for_the_database_is_named(tmp_path: Path) -> None:
    (tmp_path / "fichier").write_text("", encoding="utf-8")
    config = write_config(tmp_path, url=f"sqlite+aiosqlite:///{tmp_path}/fichier/traam.db")
    assert_one_clean_line(run("db", "upgrade", "--config", str(config)),
                          "fichier à la place d’un dossier", str(tmp_path / "fichier"))


def test_postgresql_backup_archives_the_store_and_gives_pg_dump(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, url="postgresql+asyncpg://traam:motdepasse-secret@db.example:5433/traam")
    (tmp_path / "store").mkdir(exist_ok=True)
    (tmp_path / "store" / "credentials.json").write_text("{}", encoding="utf-8")
    result = run("db", "backup", "--config", str(config), "--out", str(tmp_path / "b.db"))
    assert_one_clean_line(result, "pg_dump", "--host=db.example", "--port=5433", " traam")
    assert "motdepasse-secret" not in result.stderr
    assert (tmp_path / "b.db.store.tar.gz").is_file()


def test_copy_between_sqlite_files_then_refused(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert run("directory", "import", "--config", str(config)).returncode == 0
    source = f"sqlite+aiosqlite:///{tmp_path}/data/traam.db"
    target = f"sqlite+aiosqlite:///{tmp_path}/copie/traam.db"
    first = run("db", "copy", "--from", source, "--to", target)
    assert first.returncode == 0, first.stderr
    assert "Copie terminée" in first.stdout
    with sqlite3.connect(tmp_path / "copie" / "traam.db") as conn:
        assert conn.execute("SELECT count(*) FROM projects").fetchone()[0] == 6
    assert_one_clean_line(run("db", "copy", "--from", source, "--to", target),
                          "n’est pas vide", str(tmp_path / "copie" / "traam.db"))
