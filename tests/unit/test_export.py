"""The year's bilan as Markdown and CSV, compared byte for byte with golden files.

Set TRAAM_UPDATE_GOLDEN=1 to rewrite the golden files from the current output
(then read them: they are the reference a reviewer checks by eye).
"""

from __future__ import annotations

import csv
import io
import os
import random
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.export import (
    ProjectRecord,
    md_escape,
    render_markdown,
)
from traam_bot.domain.export_tables import BOM, CSV_HEADER, render_csv
from traam_bot.domain.model import Project, Update
from traam_bot.domain.resources import Resource, link_kind
from traam_bot.domain.updates import parse_sections

PARIS = ZoneInfo("Europe/Paris")
GOLDEN = Path(__file__).parent / "golden"
UPDATE_GOLDEN = os.environ.get("TRAAM_UPDATE_GOLDEN") == "1"

HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) @room =1+1"
ZWSP = "\u200b"


def _at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class _Updates:
    """Numbered updates of one project, oldest first, with distinct ids and event ids."""

    next_id = 1

    def __init__(self, project_id: str, room_id: str) -> None:
        self.project_id, self.room_id = project_id, room_id
        self.items: list[Update] = []

    def add(self, text: str, created_at: datetime, author: str, author_name: str,
            edited_at: datetime | None = None) -> _Updates:
        uid = _Updates.next_id
        _Updates.next_id += 1
        self.items.append(Update(
            id=uid, project_id=self.project_id, number=len(self.items) + 1, author=author,
            author_name=author_name, room_id=self.room_id, event_id=f"$event{uid}",
            text=text, created_at=created_at, edited_at=edited_at,
            sections=parse_sections(text)))
        return self


def _resources(project_id: str, *items: tuple[str, str, datetime, str]) -> list[Resource]:
    """(link, title, time, author name) -> resources, oldest first."""
    return [Resource(id=n, project_id=project_id, url=url, title=title, kind=link_kind(url),
                     author=f"@{name.split()[0].lower()}:localhost", author_name=name,
                     room_id="!r:localhost", created_at=at)
            for n, (url, title, at, name) in enumerate(items, start=1)]


RESOURCES = {
    "besancon-nsi-egalite": _resources(
        "besancon-nsi-egalite",
        ("https://edubase.eduscol.education.fr/fiche/12345", "Les pionnières de l’informatique",
         _at(2025, 11, 2, 9, 5), "Alice Martin"),
        ("https://magistere.education.fr/ac-besancon/course/view.php?id=678",
         "Parcours « égalité » en NSI", _at(2026, 3, 2, 17, 40), "Bruno Petit")),
    "besancon-lettres-ia": _resources(
        "besancon-lettres-ia",
        ("https://exemple.fr/a_(b)?x=1&y=[2]", "=<b>Titre</b> [x](javascript:alert(1)) @room",
         _at(2025, 12, 2, 8, 0), "Mallory Test")),
}


def build_records(projects: tuple[Project, ...]) -> list[ProjectRecord]:
    by_id = {p.id: p for p in projects}
    nsi = (
        _Updates("besancon-nsi-egalite", "!nsi:localhost")
        .add("Fait : séquence « Les pionnières de l’informatique » avec les 1re NSI\n"
             "À faire : enquête auprès des élèves de 2nde\n"
             "\n"
             "Besoin : un créneau en salle info le jeudi",
             _at(2025, 10, 6, 7, 15), "@alice:localhost", "Alice Martin")
        .add("Blocage : l’ENT ne permet pas encore de créer les groupes mixtes",
             _at(2025, 11, 30, 23, 30), "@bruno:localhost", "Bruno Petit")
        .add("Séance débat terminée ; compte rendu en ligne sur l’ENT.",
             _at(2026, 1, 12, 16, 45), "@alice:localhost", "Alice Martin",
             edited_at=_at(2026, 1, 13, 8, 0))
    )
    lettres = (
        _Updates("besancon-lettres-ia", "!lettres:localhost")
        .add(HOSTILE, _at(2025, 12, 1, 8, 0), "@mallory:localhost", "Mallory <b>@room</b>")
        .add("- Fait : atelier d’écriture avec un agent conversationnel\n"
             "# pas un titre\n"
             "1. pas une liste\n"
             "> pas une citation | ni *gras* ni _italique_ ni `code`",
             _at(2025, 12, 15, 13, 5), "@chloe:localhost", "Chloé Durand")
    )
    documentation = (
        _Updates("besancon-documentation-ia", "!doc:localhost")
        .add("=HYPERLINK(\"http://exemple.invalid\";\"clic\")\n+33 6 00 00 00 00",
             _at(2025, 11, 3, 10, 0), "@eve:localhost", "@Ève Lefèvre")
    )
    eps = (
        _Updates("dijon-eps-explicite", "!eps:localhost")
        .add("Fait : vidéos d’auto-évaluation en badminton ; retours positifs des élèves.",
             _at(2026, 6, 15, 7, 0), "@david:localhost", "David Roux")
    )
    arts = (
        _Updates("besancon-arts-plastiques-ia", "!arts:localhost")
        .add("Première journée du parcours de formation : 18 collègues présents.",
             _at(2025, 9, 25, 12, 0), "@fanny:localhost", "Fanny Girard")
    )
    rooms = {
        "besancon-nsi-egalite": ("!nsi:localhost", "#traam-nsi:localhost"),
        "besancon-lettres-ia": ("#traam-lettres:localhost",),
        "besancon-documentation-ia": ("!doc:localhost",),
        "dijon-eps-explicite": ("#traam-eps:localhost",),
    }
    updates = {u.project_id: u.items for u in (nsi, lettres, documentation, eps, arts)}
    return [
        ProjectRecord(project=by_id[pid], rooms=rooms.get(pid, ()),
                      updates=tuple(updates.get(pid, ())),
                      resources=tuple(RESOURCES.get(pid, ())))
        for pid in by_id
    ]


@pytest.fixture
def records(projects: tuple[Project, ...]) -> list[ProjectRecord]:
    assert len(projects) == 6
    return build_records(projects)


@pytest.fixture
def region(projects: tuple[Project, ...]) -> str:
    return projects[0].region


def _check_golden(name: str, produced: str) -> None:
    path = GOLDEN / name
    data = produced.encode("utf-8")
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert path.exists(), f"{path} missing: run with TRAAM_UPDATE_GOLDEN=1 to create it"
    assert path.read_bytes() == data, f"{name} differs from the golden file"


# --------------------------------------------------------------------------- golden files


def test_markdown_golden(records: list[ProjectRecord], region: str) -> None:
    _check_golden("bilan-2025-2026.md", render_markdown(region, "2025-2026", records, PARIS))


def test_csv_golden(records: list[ProjectRecord]) -> None:
    _check_golden("bilan-2025-2026.csv", render_csv(records, PARIS))


# --------------------------------------------------------------------------- determinism


def test_deterministic_and_independent_of_input_order(
        records: list[ProjectRecord], region: str) -> None:
    md = render_markdown(region, "2025-2026", records, PARIS)
    out_csv = render_csv(records, PARIS)
    assert render_markdown(region, "2025-2026", records, PARIS) == md
    assert render_csv(records, PARIS) == out_csv
    rng = random.Random(2025)
    for _ in range(10):
        shuffled = records[:]
        rng.shuffle(shuffled)
        assert render_markdown(region, "2025-2026", shuffled, PARIS) == md
        assert render_csv(shuffled, PARIS) == out_csv
    assert render_markdown(region, "2025-2026", list(reversed(records)), PARIS) == md


# --------------------------------------------------------------------------- Markdown


def test_markdown_structure(records: list[ProjectRecord], region: str) -> None:
    md = render_markdown(region, "2025-2026", records, PARIS)
    lines = md.splitlines()
    assert lines[0] == "# Bilan TraAM 2025-2026 — région académique Bourgogne-Franche-Comté"
    assert "6 projets, 8 mises à jour, 3 ressources." in lines
    disciplines = [line[3:] for line in lines if line.startswith("## ")]
    assert disciplines == ["Arts plastiques", "Documentation", "EPS", "Lettres", "NSI",
                           "Technologie"]
    assert len([line for line in lines if line.startswith("### ")]) == 6
    assert len([line for line in lines if line.startswith("#### Mise à jour n° ")]) == 8
    assert [line for line in lines if line.startswith("#### Ressources")] == [
        "#### Ressources (1)", "#### Ressources (2)"]  # Lettres, then NSI
    assert ("1. [Les pionnières de l’informatique](https://edubase.eduscol.education.fr/"
            "fiche/12345) — fiche Édubase — Alice Martin, dimanche 2 novembre 2025") in lines
    assert ("2. [Parcours « égalité » en NSI](https://magistere.education.fr/ac-besancon/"
            "course/view.php?id=678) — parcours M@gistère — Bruno Petit, "
            "lundi 2 mars 2026") in lines
    assert "- Ressources : 2" in lines and "- Ressources : 0" in lines
    assert md.endswith("\n") and not md.endswith("\n\n")
    assert "\r" not in md


def test_markdown_escapes_hostile_text(records: list[ProjectRecord], region: str) -> None:
    md = render_markdown(region, "2025-2026", records, PARIS)
    assert not re.search(r"(?<!\\)<", md), "raw HTML left in the Markdown"
    assert "<b>" not in md
    # brackets are escaped, so "[x](javascript:…)" is text, not a live link
    assert not re.search(r"(?<!\\)\]\(javascript:", md)
    assert not re.search(r"(?<!\\)\[x", md)
    assert "@room" not in md
    # a resource title is escaped like any user text; its link stays whole inside <…>
    assert (f"1. [\\=\\<b\\>Titre\\</b\\> \\[x\\](javascript:alert(1)) @{ZWSP}room]"
            "(https://exemple.fr/a_%28b%29?x=1&y=[2]) — autre — Mallory Test, "
            "mardi 2 décembre 2025") in md
    assert f"@{ZWSP}room" in md
    assert "> \\<script\\>alert(1)\\</script\\> \\[x\\](javascript:alert(1)) " \
        f"@{ZWSP}room =1+1" in md
    # user lines cannot open headings, lists or nested quotes
    for line in md.splitlines():
        if line.startswith("> "):
            assert not line[2:].startswith(("#", "- ", "1.", ">"))


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words, accents éàç", "plain words, accents éàç"),
        ("a*b_c`d", "a\\*b\\_c\\`d"),
        ("[lien](http://x)", "\\[lien\\](http://x)"),
        ("<img src=x>", "\\<img src=x\\>"),
        ("| a | b |", "\\| a \\| b \\|"),
        ("# titre", "\\# titre"),
        ("- puce", "\\- puce"),
        ("+ puce", "\\+ puce"),
        ("12. liste", "12\\. liste"),
        ("  3) liste", "  3\\) liste"),
        ("2025. année", "2025\\. année"),
        ("en 2025. fin", "en 2025. fin"),
        ("=== ", "\\=== "),
        ("~~barré~~", "\\~\\~barré\\~\\~"),
        ("back\\slash", "back\\\\slash"),
        ("@room", f"@{ZWSP}room"),
    ],
)
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped


# --------------------------------------------------------------------------- CSV


def _parse_csv(text: str) -> list[list[str]]:
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def test_csv_rows(records: list[ProjectRecord]) -> None:
    rows = _parse_csv(render_csv(records, PARIS))
    assert tuple(rows[0]) == CSV_HEADER
    body = rows[1:]
    # one line per update and per resource, plus one for the project with neither
    assert len(body) == 8 + 3 + 1
    assert all(len(r) == len(CSV_HEADER) for r in rows)
    assert {r[4] for r in body} == {r.project.id for r in records}
    empty = [r for r in body if r[4] == "dijon-technologie-projet"]
    assert len(empty) == 1 and empty[0][7:] == ["projet", *[""] * 9]
    nsi = [r for r in body if r[4] == "besancon-nsi-egalite"]
    assert [r[7] for r in nsi] == ["mise à jour"] * 3 + ["ressource"] * 2
    assert [r[8] for r in nsi] == ["1", "2", "3", "1", "2"]
    assert nsi[0][6] == "!nsi:localhost #traam-nsi:localhost"
    assert nsi[0][12].count("\n") == 3  # multi-line text kept in one cell
    assert nsi[3][12:] == ["Les pionnières de l’informatique", "", "",
                           "https://edubase.eduscol.education.fr/fiche/12345", "fiche Édubase"]


def test_csv_rows_in_the_ordering_used_everywhere(records: list[ProjectRecord]) -> None:
    rows = _parse_csv(render_csv(records, PARIS))
    assert [r[4] for r in rows[1:]] == [
        "besancon-arts-plastiques-ia", "besancon-documentation-ia", "dijon-eps-explicite",
        *["besancon-lettres-ia"] * 3, *["besancon-nsi-egalite"] * 5,
        "dijon-technologie-projet"]


def test_csv_neutralises_formulas(records: list[ProjectRecord]) -> None:
    rows = _parse_csv(render_csv(records, PARIS))
    for row in rows[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), row
    doc = next(r for r in rows if r[4] == "besancon-documentation-ia")
    assert doc[12].startswith("'=HYPERLINK(")
    assert doc[11] == "'@Ève Lefèvre"
    lettres = [r for r in rows if r[4] == "besancon-lettres-ia"]
    assert lettres[0][12] == HOSTILE  # starts with "<": kept as is
    assert lettres[1][12].startswith("'- Fait :")
    assert lettres[2][12] == "'=<b>Titre</b> [x](javascript:alert(1)) @room"


def test_csv_is_utf8_with_a_bom_semicolons_and_crlf(records: list[ProjectRecord]) -> None:
    out = render_csv(records, PARIS)
    data = out.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "Besançon" in out and "Chloé Durand" in out
    assert out.startswith(BOM + ";".join(CSV_HEADER) + "\r\n")
    assert "Année;Discipline;Thème;Académie" in out


def test_grouping_by_discipline_then_theme_with_accents(
        projects: tuple[Project, ...], region: str) -> None:
    nsi = next(p for p in projects if p.discipline == "NSI")
    extra = (
        replace(nsi, id="dijon-nsi-ia", academie="Dijon", theme="Algorithmes et IA"),
        replace(nsi, id="dijon-education-musicale", academie="Dijon",
                discipline="Éducation musicale", theme="Créer avec le numérique"),
    )
    recs = [ProjectRecord(project=p, rooms=(), updates=()) for p in (*projects, *extra)]
    md = render_markdown(region, "2025-2026", recs, PARIS)
    lines = md.splitlines()
    headings = [line for line in lines if line.startswith(("## ", "### "))]
    assert [h for h in headings if h.startswith("## ")] == [
        "## Arts plastiques", "## Documentation", "## Éducation musicale", "## EPS",
        "## Lettres", "## NSI", "## Technologie"]
    at = headings.index("## NSI")
    assert headings[at + 1:at + 3] == ["### Algorithmes et IA", "### L’égalité filles garçons"]
    assert "8 projets, 0 mise à jour, 0 ressource." in lines
    rows = _parse_csv(render_csv(recs, PARIS))
    assert [r[4] for r in rows[1:]] == [
        "besancon-arts-plastiques-ia", "besancon-documentation-ia", "dijon-education-musicale",
        "dijon-eps-explicite", "besancon-lettres-ia", "dijon-nsi-ia", "besancon-nsi-egalite",
        "dijon-technologie-projet"]
