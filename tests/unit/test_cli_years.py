"""`traam-bot directory import` and `export` over several school years: importing a new
year keeps the previous one, and the export is per year (`--annee`, default the current
year)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.unit.test_cli import assert_one_clean_line, run, write_config

OLD_YEAR = """\
region: Bourgogne-Franche-Comté
year: "2024-2025"
projects:
  - id: besancon-nsi-egalite
    academie: Besançon
    discipline: NSI
    theme: "L’égalité filles garçons"
  - id: dijon-histoire-carte
    academie: Dijon
    discipline: Histoire-géographie
    theme: "Cartographie numérique"
"""

NEW_YEAR = """\
region: Bourgogne-Franche-Comté
year: "2025-2026"
projects:
  - id: besancon-nsi-egalite
    academie: Besançon
    discipline: NSI
    theme: "L’égalité filles garçons"
    phase: "Année 2"
  - id: besancon-lettres-ia
    academie: Besançon
    discipline: Lettres
    theme: "Les intelligences artificielles en lettres"
    year: "2025/2026"
"""


def test_a_new_year_keeps_the_previous_one_and_each_is_exported(tmp_path: Path) -> None:
    directory = tmp_path / "traam.yaml"
    directory.write_text(OLD_YEAR, encoding="utf-8")
    config = write_config(tmp_path, directory)
    first = run("directory", "import", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert "Années : 2024-2025 (en cours)." in first.stdout  # none contains today: newest

    directory.write_text(NEW_YEAR, encoding="utf-8")
    second = run("directory", "import", "--config", str(config))
    assert second.returncode == 0, second.stderr
    assert "2 ajoutés, 0 modifié, 0 archivé" in second.stdout
    assert "Années : 2024-2025 (archivée), 2025-2026 (en cours)." in second.stdout

    current = run("export", "--config", str(config), "--format", "csv")
    assert current.returncode == 0, current.stderr
    rows = csv.DictReader(io.StringIO(current.stdout.removeprefix("\ufeff")), delimiter=";")
    assert sorted({(r["Année"], r["Projet"], r["Phase"]) for r in rows}) == [
        ("2025-2026", "besancon-lettres-ia", "Année 1"),
        ("2025-2026", "besancon-nsi-egalite", "Année 2")]

    old = run("export", "--config", str(config), "--format", "md", "--annee", "2024-25")
    assert old.returncode == 0, old.stderr
    assert old.stdout.startswith("# Bilan TraAM 2024-2025 — région académique")
    assert "## Histoire-géographie" in old.stdout and "- Phase : Année 1" in old.stdout
    assert "Lettres" not in old.stdout

    assert_one_clean_line(run("export", "--config", str(config), "--annee", "2023-2024"),
                          "aucun projet pour l’année 2023-2024",
                          "années connues : 2024-2025, 2025-2026")
