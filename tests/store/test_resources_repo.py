"""ResourcesRepo contract, on SQLite and (when TRAAM_TEST_DATABASE_URL is set) PostgreSQL:
each test runs the real Alembic migrations on a fresh database (tests/store/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from tests.store_units import each
from traam_bot.config import load_directory
from traam_bot.domain.resources import EDUBASE, OTHER, NewResource
from traam_bot.store.database import Database

SEED = load_directory(Path(__file__).resolve().parents[2] / "config" / "traam.yaml")
NSI = "besancon-nsi-egalite"
EPS = "dijon-eps-explicite"
T0 = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)
LONG = "https://exemple.fr/" + "é" * 1981  # 2,000 characters, many of them two bytes


def new(url: str, project: str = NSI, at: datetime = T0, kind: str = OTHER,
        title: str = "Séquence « IA »", author: str = "@alice:localhost") -> NewResource:
    return NewResource(project_id=project, url=url, title=title, kind=kind, author=author,
                       author_name="Alice Martin", room_id=f"!{project}:localhost",
                       event_id=f"$ev-{url[-8:]}", created_at=at)


@pytest.fixture
async def repo(db: Database) -> each:
    await each(db, "directory").import_directory(SEED)
    return each(db, "resources")


async def test_added_resources_come_back_whole_and_oldest_first(repo: each) -> None:
    later = await repo.add(new("https://exemple.fr/b", at=T0 + timedelta(hours=2)))
    first = await repo.add(new("https://edubase.eduscol.education.fr/fiche/1", kind=EDUBASE))
    await repo.add(new("https://exemple.fr/eps", project=EPS, at=T0 - timedelta(days=1)))
    assert first.id != later.id
    listed = await repo.list([NSI])
    assert [r.url for r in listed] == ["https://edubase.eduscol.education.fr/fiche/1",
                                       "https://exemple.fr/b"]
    got = listed[0]
    assert (got.project_id, got.title, got.kind, got.author, got.author_name, got.room_id) == (
        NSI, "Séquence « IA »", EDUBASE, "@alice:localhost", "Alice Martin",
        f"!{NSI}:localhost")
    assert got.created_at == T0 and got.created_at.utcoffset() == timedelta(0)
    assert [r.project_id for r in await repo.list()] == [EPS, NSI, NSI]
    assert await repo.list([]) == []


async def test_list_by_period(repo: each) -> None:
    for hours in (0, 1, 2):
        await repo.add(new(f"https://exemple.fr/{hours}", at=T0 + timedelta(hours=hours)))
    window = await repo.list([NSI], since=T0 + timedelta(hours=1),
                             until=T0 + timedelta(hours=2))
    assert [r.url for r in window] == ["https://exemple.fr/1"]


async def test_a_link_of_2000_characters_and_a_long_title_are_kept(repo: each) -> None:
    await repo.add(new(LONG, title="t" * 300))
    [got] = await repo.list([NSI])
    assert (got.url, got.title) == (LONG, "t" * 300)


async def test_delete_removes_only_that_resource(repo: each) -> None:
    a = await repo.add(new("https://exemple.fr/a"))
    b = await repo.add(new("https://exemple.fr/b"))
    assert await repo.delete(a.id) is True
    assert await repo.delete(a.id) is False
    assert [r.id for r in await repo.list()] == [b.id]


async def test_a_resource_needs_a_known_project(repo: each) -> None:
    with pytest.raises(IntegrityError):
        await repo.add(new("https://exemple.fr/x", project="inconnu"))
    assert await repo.list() == []


async def test_delete_by_event_needs_the_room_and_the_event(repo: each) -> None:
    a = await repo.add(new("https://exemple.fr/aaaaaaaa"))  # event "$ev-aaaaaaaa"
    await repo.add(new("https://exemple.fr/bbbbbbbb"))
    assert await repo.delete_by_event("!ailleurs:localhost", "$ev-aaaaaaaa") is False
    assert await repo.delete_by_event(a.room_id, "$ev-inconnu") is False
    assert await repo.delete_by_event(a.room_id, "$ev-aaaaaaaa") is True
    assert [r.url for r in await repo.list()] == ["https://exemple.fr/bbbbbbbb"]
