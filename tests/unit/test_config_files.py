"""bot.yaml's database URL and the ways a config file cannot be read: each refusal names
the key or the file, and says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_config import BASE, minimal, parse, refused
from traam_bot.config import ConfigError, load_directory, load_settings

# ------------------------------------------------------------------ database URL


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///data/traam.db", f"sqlite+aiosqlite:///{BASE}/data/traam.db"),
        ("SQLite:////var/lib/traam.db", "sqlite+aiosqlite:////var/lib/traam.db"),
        ("postgresql://traam:mdp@db/traam", "postgresql+asyncpg://traam:mdp@db/traam"),
        ("postgres://traam:mdp@db/traam", "postgresql+asyncpg://traam:mdp@db/traam"),
    ],
)
def test_plain_database_urls_get_the_shipped_driver(url: str, expected: str) -> None:
    assert parse(minimal(database={"url": url})).database.url == expected


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("mysql://traam:secret-pw@db/traam", "« mysql »"),
        ("postgresql+psycopg2://traam:secret-pw@db/traam", "« postgresql+psycopg2 »"),
        ("sqlite+pysqlite:///traam.db", "« sqlite+pysqlite »"),
    ],
)
def test_unsupported_database_is_refused_at_load(url: str, scheme: str) -> None:
    message = refused(minimal(database={"url": url}))
    assert message.startswith("database.url : type de base "), message
    assert f"{scheme} non pris en charge" in message
    assert "sqlite+aiosqlite://" in message and "postgresql+asyncpg://" in message
    assert "secret-pw" not in message


@pytest.mark.parametrize("url", ["data/traam.db", "traam:secret-pw@db", "://x", ""])
def test_database_url_without_scheme_is_refused(url: str) -> None:
    message = refused(minimal(database={"url": url}))
    assert message.startswith("database.url : adresse de base de données invalide"), message
    assert "secret-pw" not in message


def test_a_refused_value_from_the_environment_says_so() -> None:
    message = refused(minimal(), {"TRAAM_BOT_DATABASE_URL": "mysql://u:p@db/x"})
    assert message.endswith("(valeur venue de TRAAM_BOT_DATABASE_URL)"), message
    assert "TRAAM_BOT" not in refused(minimal(database={"url": "mysql://db/x"}))


# ------------------------------------------------------------------ unreadable files


def test_non_utf8_file_gives_byte_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "traam.yaml"
    path.write_bytes(b"region: x\nyear: '2025'\n# acad\xe9mie\n")
    with pytest.raises(ConfigError) as info:
        load_directory(path)
    assert str(info.value) == (
        f"annuaire {path} : le fichier n’est pas en UTF-8 (octet 0xE9 invalide à la ligne 3, "
        "colonne 7) ; réenregistrez-le en UTF-8")


def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bot.yaml"
    path.write_bytes("\ufeffmatrix:\n  homeserver: http://h\n  user_id: \"@b:h\"\n"
                     "  password: réel\n".encode())
    assert load_settings(path, env={}).matrix.password == "réel"
    path.write_bytes(b"\xef\xbb\xbfmatrix: {}\n# \xff\n")
    with pytest.raises(ConfigError, match="ligne 2, colonne 3"):
        load_settings(path, env={})


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bot.yaml"
    path.write_text("matrix: {}\n", encoding="utf-8")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ConfigError) as info:
        load_settings(path, env={})
    assert str(info.value) == (f"fichier de configuration illisible : {path} (permission "
                               "refusée à l’utilisateur qui lance traam-bot)")


def test_folders_instead_of_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, env={})
    assert str(info.value) == (f"fichier de configuration : {tmp_path} est un dossier, "
                               "pas un fichier (option --config)")
    with pytest.raises(ConfigError) as info:
        load_directory(tmp_path)
    assert str(info.value) == (f"annuaire : {tmp_path} est un dossier, pas un fichier "
                               "(clé directory de la configuration)")


def test_directory_errors_name_the_file_when_loaded(tmp_path: Path) -> None:
    path = tmp_path / "traam.yaml"
    path.write_text("region: x\nyear: '2025-2026'\nprojects: []\nannee: 2025\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_directory(path)
    assert str(info.value) == f"annuaire {path} : clé inconnue : annee"
