"""Word search over projects and contacts: filters, typos, suggestions, the index."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.unit.conftest import SEED_IDS
from traam_bot.domain.model import Project
from traam_bot.domain.search import (
    ProjectIndex,
    find_project,
    match_contacts,
    match_projects,
    suggest,
)
from traam_bot.domain.text import fold
from traam_bot.domain.vocabulary import normalize_filters, word_matches

ALL = set(SEED_IDS)
BESANCON = {p for p in ALL if p.startswith("besancon")}
DIJON = {p for p in ALL if p.startswith("dijon")}
IA = {"besancon-arts-plastiques-ia", "besancon-lettres-ia", "besancon-documentation-ia"}


def ids(projects: list[Project]) -> set[str]:
    return {p.id for p in projects}


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], ALL),
        (["dijon", "technologie"], {"dijon-technologie-projet"}),
        (["dijon technologie"], {"dijon-technologie-projet"}),
        (["besancon"], BESANCON),
        (["Besançon"], BESANCON),
        (["BESANCON"], BESANCON),
        (["besanson"], BESANCON),
        (["dijon"], DIJON),
        (["2025-2026"], ALL),
        (["2025"], ALL),
        (["2024-2025"], set()),
        (["lettres"], {"besancon-lettres-ia"}),
        (["lettre"], {"besancon-lettres-ia"}),
        (["eps"], {"dijon-eps-explicite"}),
        (["EPS"], {"dijon-eps-explicite"}),
        (["nsi"], {"besancon-nsi-egalite"}),
        (["techno"], {"dijon-technologie-projet"}),
        (["tecnologie"], {"dijon-technologie-projet"}),
        (["technolgie"], {"dijon-technologie-projet"}),
        (["arts", "plastiques"], {"besancon-arts-plastiques-ia"}),
        (["Arts plastiques"], {"besancon-arts-plastiques-ia"}),
        (["plastiques"], {"besancon-arts-plastiques-ia"}),
        (["documentation"], {"besancon-documentation-ia"}),
        (["ia"], IA),
        (["IA"], IA),
        (["intelligence", "artificielle"], IA),
        (["intelligence"], {"besancon-arts-plastiques-ia", "besancon-lettres-ia"}),
        (["égalité", "filles", "garçons"], {"besancon-nsi-egalite"}),
        (["egalite"], {"besancon-nsi-egalite"}),
        (["numerique"], DIJON),
        (["numérique", "explicites"], {"dijon-eps-explicite"}),
        (["parcours", "de", "formation"], {"besancon-arts-plastiques-ia"}),
        (["annee", "1"], ALL - {"besancon-arts-plastiques-ia"}),
        (["besancon-lettres-ia"], {"besancon-lettres-ia"}),
        (["bourgogne"], ALL),
        (["dijon", "nsi"], set()),
        (["xyz"], set()),
        (["art"], set()),
    ],
)
def test_match_projects(projects, filters, expected):
    assert ids(match_projects(projects, filters)) == expected


def test_results_are_sorted_by_academie_then_discipline(projects):
    found = match_projects(reversed(projects), [])
    assert [p.id for p in found] == list(SEED_IDS)


def test_archived_projects_are_excluded(projects):
    archived = [replace(p, archived=p.id == "besancon-lettres-ia") for p in projects]
    assert ids(match_projects(archived, ["besancon"])) == BESANCON - {"besancon-lettres-ia"}
    assert find_project(archived, "besancon-lettres-ia") is None


def test_match_accepts_a_prebuilt_index(projects):
    index = ProjectIndex(projects)
    assert len(index) == 6
    assert ids(match_projects(index, ["dijon"])) == DIJON
    assert ids(index.match(["dijon"])) == DIJON


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tecnologie", "dijon-technologie-projet"),
        ("technologi dijon", "dijon-technologie-projet"),
        ("documantation", "besancon-documentation-ia"),
        ("letres", "besancon-lettres-ia"),
        ("xyz", None),
        ("", None),
        ("le la les", None),
        ("cuisine", None),
    ],
)
def test_suggest(projects, query, expected):
    found = suggest(query, projects)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("besancon-nsi-egalite", "besancon-nsi-egalite"),
        ("DIJON-EPS-EXPLICITE", "dijon-eps-explicite"),
        ("  dijon-technologie-projet ", "dijon-technologie-projet"),
        ("nsi", "besancon-nsi-egalite"),
        ("dijon technologie", "dijon-technologie-projet"),
        ("lettres ia", "besancon-lettres-ia"),
        ("Arts plastiques", "besancon-arts-plastiques-ia"),
        ("tecnologie", "dijon-technologie-projet"),
        # several candidates: id/discipline words beat theme words…
        ("projet", "dijon-technologie-projet"),
        # …and ties go to the first one in académie/discipline order
        ("besancon ia", "besancon-arts-plastiques-ia"),
        ("xyz", None),
        ("", None),
    ],
)
def test_find_project(projects, query, expected):
    found = find_project(projects, query)
    assert (found.id if found else None) == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([], {"Floria DUFOUX", "Julie MARCHALAND"}),
        (["referente"], {"Julie MARCHALAND"}),
        (["Référente", "TraAM"], {"Julie MARCHALAND"}),
        (["referent"], {"Julie MARCHALAND"}),
        (["julie"], {"Julie MARCHALAND"}),
        (["MARCHALAND"], {"Julie MARCHALAND"}),
        (["marchalan"], {"Julie MARCHALAND"}),
        (["animation"], {"Floria DUFOUX"}),
        (["chargée", "d'animation"], {"Floria DUFOUX"}),
        (["reseau", "ian"], {"Floria DUFOUX"}),
        (["dufoux"], {"Floria DUFOUX"}),
        (["floria.dufoux@region-academique-bourgogne-franche-comte.fr"], {"Floria DUFOUX"}),
        (["franche-comte"], {"Floria DUFOUX", "Julie MARCHALAND"}),
        (["xyz"], set()),
        (["julie", "animation"], set()),
    ],
)
def test_match_contacts(contacts, filters, expected):
    assert {c.name for c in match_contacts(contacts, filters)} == expected


def test_archived_contacts_are_excluded(contacts):
    archived = [replace(c, archived=c.name.startswith("Julie")) for c in contacts]
    assert [c.name for c in match_contacts(archived, [])] == ["Floria DUFOUX"]


@pytest.mark.parametrize(
    ("query", "word", "expected"),
    [
        ("eps", "eps", True),
        ("techno", "technologie", True),  # prefix of 4+ letters
        ("tec", "technologie", False),  # prefix too short
        ("besanson", "besancon", True),  # typo
        ("tecnologie", "technologie", True),  # typo
        ("dijon", "lyon", False),
        ("2025", "20251", False),  # numbers match exactly only
        ("lettre", "lettres", True),
        ("lettres", "lettre", True),  # fuzzy: plural against singular
    ],
)
def test_word_matches(query, word, expected):
    assert word_matches(query, word) is expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (["Besançon"], ["besancon"]),
        (["2025-2026"], ["2025", "2026"]),
        (["L’égalité", "filles-garçons"], ["l", "egalite", "filles", "garcons"]),
        (["intelligence", "artificielle"], ["ia"]),
        (["les intelligences artificielles en lettres"], ["les", "ia", "en", "lettres"]),
        (["intelligence"], ["intelligence"]),
    ],
)
def test_normalize_filters(filters, expected):
    assert normalize_filters(filters) == expected


# --- an index over 10,000 synthetic projects ---------------------------------------

ACADEMIES = ("Besançon", "Dijon", "Créteil", "Lyon", "Aix-Marseille")
DISCIPLINES = ("Technologie", "Lettres", "Arts plastiques", "EPS", "Mathématiques", "NSI", "SVT")
THEMES = (
    "Intelligence artificielle et pratiques de classe",
    "L’égalité filles garçons",
    "Mobiliser le numérique dans la conduite de projets",
)


def synthetic(n: int = 10_000) -> list[Project]:
    return [
        Project(
            id=f"synth-{i}",
            academie=ACADEMIES[i % len(ACADEMIES)],
            discipline=DISCIPLINES[i % len(DISCIPLINES)],
            theme=f"{THEMES[i % len(THEMES)]} (groupe {i})",
            phase="Année 1" if i % 2 else "Parcours de formation",
            year="2025-2026" if i % 4 else "2024-2025",
            archived=i % 100 == 99,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def big() -> tuple[list[Project], ProjectIndex]:
    projects = synthetic()
    return projects, ProjectIndex(projects)


def expected_ids(projects, predicate) -> set[str]:
    return {p.id for p in projects if not p.archived and predicate(p)}


@pytest.mark.parametrize(
    ("filters", "predicate"),
    [
        (
            ["dijon", "technologie"],
            lambda p: p.academie == "Dijon" and p.discipline == "Technologie",
        ),
        (["besanson"], lambda p: p.academie == "Besançon"),
        (["2024-2025"], lambda p: p.year == "2024-2025"),
        (["eps", "2026"], lambda p: p.discipline == "EPS" and p.year == "2025-2026"),
        (["2025"], lambda p: True),  # both 2024-2025 and 2025-2026
        (
            ["arts plastiques", "creteil"],
            lambda p: p.discipline.startswith("Arts") and p.academie == "Créteil",
        ),
        (["ia", "nsi"], lambda p: p.discipline == "NSI" and p.theme.startswith("Intelligence")),
        (["egalite", "formation"], lambda p: "égalité" in p.theme and p.phase.startswith("Parc")),
        (["synth-4242"], lambda p: p.id == "synth-4242"),
        (["synth-99"], lambda p: False),  # archived
        (["xyz"], lambda p: False),
        ([], lambda p: True),
    ],
)
def test_index_over_ten_thousand_projects(big, filters, predicate):
    projects, index = big
    found = index.match(filters)
    assert {p.id for p in found} == expected_ids(projects, predicate)
    keys = [(fold(p.academie), fold(p.discipline)) for p in found]
    assert keys == sorted(keys)


def test_index_find_and_suggest_over_ten_thousand_projects(big):
    _, index = big
    assert index.find("synth-123").id == "synth-123"
    assert index.find("dijon technologie").discipline == "Technologie"
    assert index.suggest("tecnologie dijon").academie == "Dijon"
    assert index.suggest("xyz") is None
