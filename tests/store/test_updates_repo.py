"""UpdatesRepo contract, on SQLite and (when TRAAM_TEST_DATABASE_URL is set) PostgreSQL.

The `db` fixture (tests/store/conftest.py) runs the real Alembic migrations on a fresh
database for each test.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.store_units import each
from traam_bot.config import load_directory
from traam_bot.domain.model import Section, Update
from traam_bot.domain.updates import parse_sections
from traam_bot.store.database import Database
from traam_bot.store.models import UpdateRow
from traam_bot.store.updates_repo import NewUpdate, UpdatesRepo

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = load_directory(REPO_ROOT / "config" / "traam.yaml")
NSI = "besancon-nsi-egalite"
LETTRES = "besancon-lettres-ia"
EPS = "dijon-eps-explicite"
T0 = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)


def new(event: str, project: str = NSI, text: str = "Fait : séquence 2",
        at: datetime = T0, author: str = "@alice:localhost",
        author_name: str = "Alice Martin") -> NewUpdate:
    return NewUpdate(project_id=project, author=author, author_name=author_name,
                     room_id=f"!{project}:localhost", event_id=event, text=text,
                     sections=parse_sections(text), created_at=at)


@pytest.fixture
async def repo(db: Database) -> UpdatesRepo:
    await each(db, "directory").import_directory(SEED)
    return each(db, "updates")


async def _count(db: Database, project: str | None = None) -> int:
    q = select(func.count()).select_from(UpdateRow)
    if project is not None:
        q = q.where(UpdateRow.project_id == project)
    async with db.session() as s:
        return int(await s.scalar(q) or 0)


def _assert_utc(moment: datetime | None) -> None:
    assert moment is not None
    assert moment.tzinfo is not None
    assert moment.utcoffset() == timedelta(0)


# ------------------------------------------------------------------ record


async def test_record_returns_the_stored_update(repo: UpdatesRepo) -> None:
    text = "Fait : séquence « égalité » 2\nBlocage : pas de salle 🚧"
    update, created = await repo.record(new("$a", text=text, author_name="Chloé Durand"))
    assert created is True
    assert update.number == 1
    assert (update.project_id, update.author, update.author_name) == \
        (NSI, "@alice:localhost", "Chloé Durand")
    assert update.room_id == f"!{NSI}:localhost"
    assert update.event_id == "$a"
    assert update.text == text
    assert update.sections == (Section("fait", "séquence « égalité » 2"),
                               Section("blocage", "pas de salle 🚧"))
    assert update.has_blocker
    assert update.created_at == T0
    assert update.edited_at is None
    assert await repo.by_event("$a") == update
    assert await repo.by_event("$unknown") is None


async def test_record_is_idempotent_on_event_id(repo: UpdatesRepo, db: Database) -> None:
    first, created = await repo.record(new("$a"))
    assert created is True
    again, created_again = await repo.record(new("$a", text="autre texte"))
    assert created_again is False
    assert again == first
    assert again.text == "Fait : séquence 2"
    assert await _count(db) == 1


async def test_numbers_are_per_project(repo: UpdatesRepo) -> None:
    seq = [NSI, LETTRES, NSI, EPS, NSI, LETTRES]
    numbers = []
    for i, project in enumerate(seq):
        update, _ = await repo.record(new(f"$e{i}", project=project, at=T0 + timedelta(hours=i)))
        numbers.append((project, update.number))
    assert numbers == [(NSI, 1), (LETTRES, 1), (NSI, 2), (EPS, 1), (NSI, 3), (LETTRES, 2)]


async def test_numbers_continue_after_a_deletion_of_an_older_update(repo: UpdatesRepo) -> None:
    for i in range(3):
        await repo.record(new(f"$e{i}", at=T0 + timedelta(hours=i)))
    assert await repo.delete("$e1")
    update, _ = await repo.record(new("$e3", at=T0 + timedelta(hours=3)))
    assert update.number == 4


async def test_concurrent_records_get_distinct_consecutive_numbers(
        repo: UpdatesRepo, db: Database) -> None:
    results = await asyncio.gather(*(
        repo.record(new(f"$c{i}", at=T0 + timedelta(seconds=i))) for i in range(50)))
    assert all(created for _u, created in results)
    numbers = sorted(u.number for u, _ in results)
    assert numbers == list(range(1, 51))
    assert await _count(db, NSI) == 50
    stored = await repo.list([NSI])
    assert sorted(u.number for u in stored) == list(range(1, 51))
    assert len({u.event_id for u in stored}) == 50


async def test_concurrent_records_in_several_projects(repo: UpdatesRepo) -> None:
    projects = [NSI, LETTRES, EPS]
    results = await asyncio.gather(*(
        repo.record(new(f"$m{i}", project=projects[i % 3], at=T0 + timedelta(seconds=i)))
        for i in range(30)))
    for project in projects:
        assert sorted(u.number for u, _ in results if u.project_id == project) == \
            list(range(1, 11))


async def test_concurrent_duplicates_make_one_row(repo: UpdatesRepo, db: Database) -> None:
    results = await asyncio.gather(*(repo.record(new("$same")) for _ in range(20)))
    assert sum(created for _u, created in results) == 1
    assert {u.id for u, _ in results} == {results[0][0].id}
    assert {u.number for u, _ in results} == {1}
    assert await _count(db) == 1


# ------------------------------------------------------------------ edit / delete


async def test_edit(repo: UpdatesRepo) -> None:
    original, _ = await repo.record(new("$a", text="Fait : séquence 2"))
    assert not original.has_blocker
    at = T0 + timedelta(days=1)
    text = "Fait : séquence 2 et 3\nBesoin : des tablettes"
    edited = await repo.edit("$a", text, parse_sections(text), at)
    assert edited is not None
    assert (edited.id, edited.number, edited.event_id, edited.created_at) == \
        (original.id, original.number, original.event_id, original.created_at)
    assert edited.text == text
    assert edited.sections == (Section("fait", "séquence 2 et 3"),
                               Section("besoin", "des tablettes"))
    assert edited.has_blocker
    assert edited.edited_at == at
    _assert_utc(edited.edited_at)
    assert await repo.by_event("$a") == edited


async def test_edit_unknown_event(repo: UpdatesRepo) -> None:
    await repo.record(new("$a"))
    assert await repo.edit("$nope", "x", (), T0) is None
    assert (await repo.by_event("$a")) is not None
    assert (await repo.by_event("$a")).text == "Fait : séquence 2"  # type: ignore[union-attr]


async def test_delete(repo: UpdatesRepo, db: Database) -> None:
    await repo.record(new("$a"))
    await repo.record(new("$b", at=T0 + timedelta(hours=1)))
    assert await repo.delete("$a") is True
    assert await repo.by_event("$a") is None
    assert await repo.delete("$a") is False
    assert await repo.delete("$never") is False
    assert [u.event_id for u in await repo.list()] == ["$b"]
    assert await _count(db) == 1


# ------------------------------------------------------------------ queries


async def _seed_timeline(repo: UpdatesRepo) -> list[Update]:
    plan = [  # recorded out of order on purpose
        ("$n2", NSI, T0 + timedelta(days=2)),
        ("$l1", LETTRES, T0 + timedelta(days=1)),
        ("$n1", NSI, T0),
        ("$e1", EPS, T0 + timedelta(days=5)),
        ("$n3", NSI, T0 + timedelta(days=10)),
    ]
    return [(await repo.record(new(ev, project=p, at=at)))[0] for ev, p, at in plan]


async def test_list_filters_and_order(repo: UpdatesRepo) -> None:
    await _seed_timeline(repo)
    assert [u.event_id for u in await repo.list()] == ["$n1", "$l1", "$n2", "$e1", "$n3"]
    assert [u.event_id for u in await repo.list([NSI])] == ["$n1", "$n2", "$n3"]
    assert [u.event_id for u in await repo.list([NSI, EPS])] == ["$n1", "$n2", "$e1", "$n3"]
    assert await repo.list([]) == []
    assert await repo.list(["besancon-arts-plastiques-ia"]) == []
    # since is inclusive, until exclusive
    since = T0 + timedelta(days=1)
    until = T0 + timedelta(days=5)
    assert [u.event_id for u in await repo.list(since=since)] == ["$l1", "$n2", "$e1", "$n3"]
    assert [u.event_id for u in await repo.list(until=until)] == ["$n1", "$l1", "$n2"]
    assert [u.event_id for u in await repo.list(since=since, until=until)] == ["$l1", "$n2"]
    assert [u.event_id for u in await repo.list([NSI], since=since, until=until)] == ["$n2"]


async def test_list_accepts_non_utc_bounds(repo: UpdatesRepo) -> None:
    """A local "depuis 01/12/2025" bound (Paris midnight = 23:00 UTC the day before)."""
    from zoneinfo import ZoneInfo

    paris_midnight = datetime(2025, 12, 1, tzinfo=ZoneInfo("Europe/Paris"))
    await repo.record(new("$before", at=datetime(2025, 11, 30, 22, 59, tzinfo=UTC)))
    await repo.record(new("$after", at=datetime(2025, 11, 30, 23, 1, tzinfo=UTC)))
    assert [u.event_id for u in await repo.list(since=paris_midnight)] == ["$after"]
    assert [u.event_id for u in await repo.list(until=paris_midnight)] == ["$before"]


async def test_latest(repo: UpdatesRepo) -> None:
    await _seed_timeline(repo)
    assert [u.event_id for u in await repo.latest(NSI, 2)] == ["$n3", "$n2"]
    assert [u.event_id for u in await repo.latest(NSI, 10)] == ["$n3", "$n2", "$n1"]
    assert [u.number for u in await repo.latest(NSI, 10)] == [3, 1, 2]
    assert await repo.latest("besancon-arts-plastiques-ia", 3) == []


async def test_last_update_times(repo: UpdatesRepo) -> None:
    assert await repo.last_update_times() == {}
    await _seed_timeline(repo)
    times = await repo.last_update_times()
    assert times == {
        NSI: T0 + timedelta(days=10),
        LETTRES: T0 + timedelta(days=1),
        EPS: T0 + timedelta(days=5),
    }
    for moment in times.values():
        _assert_utc(moment)


async def test_datetimes_come_back_aware_utc(repo: UpdatesRepo) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 12, 1, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
    await repo.record(new("$a", at=local))
    await repo.edit("$a", "x", (), datetime(2026, 6, 15, 9, 0, tzinfo=ZoneInfo("Europe/Paris")))
    fetched = [await repo.by_event("$a"), *await repo.list(), *await repo.latest(NSI, 1)]
    for update in fetched:
        assert update is not None
        _assert_utc(update.created_at)
        _assert_utc(update.edited_at)
        assert update.created_at == datetime(2025, 12, 1, 8, 30, tzinfo=UTC)
        assert update.edited_at == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
        assert update.created_at.tzinfo == UTC


async def test_naive_datetime_is_refused(repo: UpdatesRepo, db: Database) -> None:
    with pytest.raises(Exception, match="naive"):
        await repo.record(new("$naive", at=datetime(2025, 12, 1, 8, 30)))
    assert await _count(db) == 0


async def test_unknown_project_is_refused(repo: UpdatesRepo, db: Database) -> None:
    with pytest.raises(Exception):  # noqa: B017 - foreign key, any backend-specific error
        await repo.record(new("$orphan", project="projet-inconnu"))
    assert await _count(db) == 0
