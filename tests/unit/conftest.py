"""Shared unit-test fixtures: the real 2025-2026 Bourgogne-Franche-Comté directory, and the
bot without Matrix (tests/unit/harness.py) on a database built by the real migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.harness import Bot, make_bot, migrated_template
from traam_bot.domain.model import Contact, Project


@pytest.fixture(scope="session")
async def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The migrated database each test's bot starts from (built once per session)."""
    return await migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    """The bot with the seed directory and nothing else; test files override it as needed."""
    async with make_bot(tmp_path, template) as bot:
        yield bot

REGION = "Bourgogne-Franche-Comté"
YEAR = "2025-2026"
# the six project ids of config/traam.yaml, sorted as listings show them (académie, discipline)
SEED_IDS = (
    "besancon-arts-plastiques-ia",
    "besancon-documentation-ia",
    "besancon-lettres-ia",
    "besancon-nsi-egalite",
    "dijon-eps-explicite",
    "dijon-technologie-projet",
)


def _project(pid: str, academie: str, discipline: str, theme: str, phase: str) -> Project:
    return Project(
        id=pid,
        academie=academie,
        discipline=discipline,
        theme=theme,
        phase=phase,
        year=YEAR,
        region=REGION,
    )


SEED_PROJECTS: tuple[Project, ...] = (
    _project(
        "besancon-arts-plastiques-ia",
        "Besançon",
        "Arts plastiques",
        "Intelligence artificielle et arts plastiques",
        "Parcours de formation",
    ),
    _project(
        "besancon-lettres-ia",
        "Besançon",
        "Lettres",
        "Les intelligences artificielles en lettres : quels usages ? Quelles plus-values "
        "pédagogiques ? Quels points de vigilance ?",
        "Année 1",
    ),
    _project(
        "besancon-documentation-ia",
        "Besançon",
        "Documentation",
        "Développer une culture de l’IA par les pédagogies actives",
        "Année 1",
    ),
    _project(
        "besancon-nsi-egalite",
        "Besançon",
        "NSI",
        "L’égalité filles garçons",
        "Année 1",
    ),
    _project(
        "dijon-technologie-projet",
        "Dijon",
        "Technologie",
        "Mobiliser le numérique dans la conduite de projets en technologique",
        "Année 1",
    ),
    _project(
        "dijon-eps-explicite",
        "Dijon",
        "EPS",
        "Rendre les apprentissages plus explicites avec les outils numériques",
        "Année 1",
    ),
)

SEED_CONTACTS: tuple[Contact, ...] = (
    Contact(
        id="floria-dufoux",
        name="Floria DUFOUX",
        role="Chargée d’animation du réseau des IAN",
        email="floria.dufoux@region-academique-bourgogne-franche-comte.fr",
    ),
    Contact(
        id="julie-marchaland",
        name="Julie MARCHALAND",
        role="Référente TraAM",
        email="julie.marchaland@region-academique-bourgogne-franche-comte.fr",
    ),
)


@pytest.fixture
def projects() -> tuple[Project, ...]:
    return SEED_PROJECTS


@pytest.fixture
def contacts() -> tuple[Contact, ...]:
    return SEED_CONTACTS
