"""The `traam-bot` command: verbs, exit codes, and one French line instead of a traceback."""

from __future__ import annotations

import csv
import re
import socket
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "traam_bot", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, directory: Path = REPO / "config" / "traam.yaml",
                 extra: str = "") -> Path:
    """A bot.yaml in `folder` with an unreachable homeserver and a SQLite database in
    `folder`/data; `extra`: more top-level YAML lines."""
    path = folder / "bot.yaml"
    path.write_text(
        "matrix:\n"
        f"  homeserver: http://127.0.0.1:{closed_port()}\n"
        '  user_id: "@traam-bot:localhost"\n'
        "  password: un-vrai-secret\n"
        "database:\n"
        "  url: sqlite+aiosqlite:///data/traam.db\n"
        f"directory: {directory}\n" + extra,
        encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|WARNING) ")


def assert_one_clean_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit code != 0 and exactly one message line (besides ordinary INFO/WARNING logs)."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "erreur inattendue" not in result.stderr
    lines = [line for line in result.stderr.splitlines()
             if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_unknown_verb() -> None:
    assert_one_clean_line(run("lancer"), "commande inconnue « lancer »")


def test_missing_config_file(tmp_path: Path) -> None:
    assert_one_clean_line(run("run", "--config", str(tmp_path / "absent.yaml")),
                          "introuvable")


def test_invalid_config_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "bot.yaml"
    bad.write_text('matrix:\n  homeserver: http://x\n  user_id: "@b:x"\n  password: p4ss\n'
                   "  passwrod: oops\n", encoding="utf-8")
    assert_one_clean_line(run("run", "--config", str(bad)), "matrix.passwrod")


def test_example_config_placeholder_is_refused() -> None:
    assert_one_clean_line(run("db", "upgrade", "--config", "config/bot.example.yaml"),
                          "matrix.password")


def test_unreachable_homeserver(config: Path) -> None:
    assert_one_clean_line(run("run", "--config", str(config)), "injoignable")


def test_upgrade_import_and_export(config: Path, tmp_path: Path) -> None:
    assert run("db", "upgrade", "--config", str(config)).returncode == 0
    assert (tmp_path / "data" / "traam.db").exists()  # relative to the config's folder
    first = run("directory", "import", "--config", str(config))
    assert first.returncode == 0 and "6 projets, 2 contacts" in first.stdout
    again = run("directory", "import", "--config", str(config))
    assert "0 ajouté, 0 modifié, 0 archivé, 8 inchangés" in again.stdout
    assert "Années : 2025-2026 (en cours)." in again.stdout

    md = run("export", "--config", str(config), "--format", "md")
    assert md.returncode == 0
    assert md.stdout.startswith("# Bilan TraAM 2025-2026 — région académique "
                                "Bourgogne-Franche-Comté")
    for discipline in ("Arts plastiques", "Documentation", "EPS", "Lettres", "NSI",
                       "Technologie"):
        assert f"## {discipline}\n" in md.stdout
    out = tmp_path / "bilan.csv"
    result = run("export", "--config", str(config), "--format", "csv", "--out", str(out))
    assert result.returncode == 0 and "bilan.csv" in result.stdout
    with out.open(encoding="utf-8-sig", newline="") as f:  # the BOM is read away
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0][:3] == ["Année", "Discipline", "Thème"] and len(rows) == 7
    assert out.read_bytes().startswith(b"\xef\xbb\xbfAnn\xc3\xa9e;")
    book = tmp_path / "bilan.xlsx"
    result = run("export", "--config", str(config), "--format", "xlsx", "--out", str(book))
    assert result.returncode == 0 and "bilan.xlsx" in result.stdout
    sheets = openpyxl.load_workbook(book, read_only=True).sheetnames
    assert sheets == ["Mises à jour", "Ressources", "Projets"]
    refused = run("export", "--config", str(config), "--format", "xlsx")
    assert refused.returncode == 2 and refused.stdout == ""
    assert_one_clean_line(refused, "le format xlsx s’écrit dans un fichier", "--out")
    assert_one_clean_line(run("export", "--config", str(config), "--year", "1999-2000"),
                          "aucun projet pour l’année 1999-2000", "années connues : 2025-2026")
    assert_one_clean_line(run("export", "--config", str(config), "--annee", "2024"),
                          "Année scolaire « 2024 » invalide")


def test_demo_without_synapse_says_to_install_the_dev_extra() -> None:
    # Synapse hidden as on a bot installed without the dev extra; nothing of devtools loaded.
    code = ("import sys; sys.modules['synapse'] = None\n"
            "from traam_bot.cli import main\n"
            "rc = main(['demo'])\n"
            "print(sorted(m for m in sys.modules if m.startswith('traam_bot.devtools')))\n"
            "sys.exit(rc)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert_one_clean_line(result, "traam-bot : ", "extra dev", "pip install -e '.[dev]'")
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("verb", [("db", "upgrade"), ("export", "--format", "md")])
def test_an_unreachable_database_is_one_line_for_the_one_shot_verbs(
        tmp_path: Path, verb: tuple[str, ...]) -> None:
    """`run` waits for the database (SPEC §8); `db upgrade` and `export` say it and stop."""
    path = tmp_path / "bot.yaml"
    path.write_text(
        "matrix:\n  homeserver: http://127.0.0.1:8008\n"
        '  user_id: "@traam-bot:localhost"\n  password: un-vrai-secret\n'
        f"database:\n  url: postgresql+asyncpg://bot@127.0.0.1:{closed_port()}/traam\n"
        f"directory: {REPO / 'config' / 'traam.yaml'}\n", encoding="utf-8")
    assert_one_clean_line(run(*verb, "--config", str(path)),
                          "traam-bot : base de données injoignable (postgresql : "
                          "ConnectionRefusedError)")
