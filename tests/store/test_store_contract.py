"""One storage contract, run on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, String, inspect, select
from sqlalchemy.exc import IntegrityError

from tests.store_units import each
from traam_bot.config import load_directory
from traam_bot.domain.model import Directory
from traam_bot.domain.records import RoomLink
from traam_bot.store.database import MIGRATIONS_DIR, Database, upgrade
from traam_bot.store.models import Base, HandledEventRow

REPO = Path(__file__).resolve().parents[2]
SEED = load_directory(REPO / "config" / "traam.yaml")
SEED_IDS = [p.id for p in SEED.projects]
NOW = datetime(2025, 12, 1, 8, 30, tzinfo=UTC)


def without_project(directory: Directory, project_id: str) -> Directory:
    return replace(directory, projects=tuple(p for p in directory.projects if p.id != project_id))


# ------------------------------------------------------------------ directory


async def test_import_is_idempotent(db: Database) -> None:
    repo = each(db, "directory")
    first = await repo.import_directory(SEED)
    assert sorted(first.added) == sorted(
        [f"projet {p}" for p in SEED_IDS] + ["contact floria-dufoux", "contact julie-marchaland"]
    )
    assert (first.updated, first.archived, first.unchanged) == ([], [], 0)

    second = await repo.import_directory(SEED)
    assert (second.added, second.updated, second.archived) == ([], [], [])
    assert second.unchanged == 8
    assert not second.changed

    assert await repo.projects() == list(SEED.projects)  # directory order, every field
    assert await repo.contacts() == list(SEED.contacts)


async def test_editing_a_theme_updates_it(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(SEED)
    edited = replace(SEED, projects=tuple(
        replace(p, theme="L’égalité filles-garçons en NSI") if p.id == "besancon-nsi-egalite"
        else p for p in SEED.projects))

    report = await repo.import_directory(edited)
    assert report.updated == ["projet besancon-nsi-egalite"]
    assert (report.added, report.archived, report.unchanged) == ([], [], 7)
    themes = {p.id: p.theme for p in await repo.projects()}
    assert themes["besancon-nsi-egalite"] == "L’égalité filles-garçons en NSI"
    assert themes["dijon-eps-explicite"] == (
        "Rendre les apprentissages plus explicites avec les outils numériques")


async def test_removed_project_is_archived_then_restored(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(SEED)

    report = await repo.import_directory(without_project(SEED, "dijon-eps-explicite"))
    assert report.archived == ["projet dijon-eps-explicite"]
    assert (report.added, report.updated, report.unchanged) == ([], [], 7)
    assert "dijon-eps-explicite" not in [p.id for p in await repo.projects()]
    everything = {p.id: p for p in await repo.projects(include_archived=True)}
    assert everything["dijon-eps-explicite"].archived is True
    assert everything["dijon-eps-explicite"].theme == (
        "Rendre les apprentissages plus explicites avec les outils numériques")

    again = await repo.import_directory(without_project(SEED, "dijon-eps-explicite"))
    assert not again.changed  # archiving happens once

    restored = await repo.import_directory(SEED)
    assert restored.updated == ["projet dijon-eps-explicite"]
    assert (restored.added, restored.archived) == ([], [])
    assert [p.id for p in await repo.projects()] == SEED_IDS
    assert all(not p.archived for p in await repo.projects(include_archived=True))


async def test_removed_contact_is_archived(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(SEED)
    report = await repo.import_directory(replace(SEED, contacts=SEED.contacts[1:]))
    assert report.archived == ["contact floria-dufoux"]
    assert [c.name for c in await repo.contacts()] == ["Julie MARCHALAND"]


async def test_link_room_returns_the_previous_project(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(SEED)
    room = "!equipe:localhost"

    assert await repo.link_room(room, "besancon-lettres-ia", "@coord:localhost", NOW) is None
    assert await repo.links() == [RoomLink(room, "besancon-lettres-ia", "@coord:localhost",
                                           NOW, None)]

    later = NOW + timedelta(days=1)
    previous = await repo.link_room(room, "besancon-nsi-egalite", "@autre:localhost", later)
    assert previous == "besancon-lettres-ia"
    await repo.link_room("!autre:localhost", "besancon-nsi-egalite", "@coord:localhost", NOW,
                         "#autre:localhost")
    links = await repo.links()
    assert links == [
        RoomLink("!autre:localhost", "besancon-nsi-egalite", "@coord:localhost", NOW,
                 "#autre:localhost"),
        RoomLink(room, "besancon-nsi-egalite", "@autre:localhost", later, None),
    ]
    assert links[1].linked_at.utcoffset() == timedelta(0)


async def test_link_to_an_unknown_project_is_refused(db: Database) -> None:
    repo = each(db, "directory")
    await repo.import_directory(SEED)
    with pytest.raises(IntegrityError):
        await repo.link_room("!x:localhost", "pas-un-projet", "@coord:localhost", NOW)
    assert await repo.links() == []


# ------------------------------------------------------------------ bot state


async def test_ledger(db: Database) -> None:
    state = each(db, "state")
    assert await state.handled([]) == set()
    assert await state.handled(["$a", "$b"]) == set()

    await state.mark_handled("$a", "!r:localhost", "ok", NOW)
    await state.mark_handled("$a", "!r:localhost", "error", NOW)  # second time: no failure
    assert await state.handled(["$a", "$b"]) == {"$a"}

    async with db.session() as s:
        row = (await s.scalars(select(HandledEventRow))).one()
    assert (row.event_id, row.status) == ("$a", "ok")  # the first record is kept
    assert row.handled_at == NOW and row.handled_at.utcoffset() == timedelta(0)


async def test_key_value(db: Database) -> None:
    state = each(db, "state")
    assert await state.get("sync_token") is None
    await state.set("sync_token", "s1_2_3")
    assert await state.get("sync_token") == "s1_2_3"
    await state.set("sync_token", "s4_5_6")
    assert await state.get("sync_token") == "s4_5_6"
    await state.set("autre", "é" * 5000)  # Text column: long, non-ASCII values
    assert await state.get("autre") == "é" * 5000
    assert await state.get("sync_token") == "s4_5_6"


async def test_rooms(db: Database) -> None:
    state = each(db, "state")
    joined = 1_764_576_000_123  # milliseconds: needs a 64-bit column
    await state.set_room("!a:localhost", joined)
    rooms = await state.rooms()
    assert list(rooms) == ["!a:localhost"]
    assert (rooms["!a:localhost"].joined_at, rooms["!a:localhost"].left) == (joined, False)

    await state.set_left("!a:localhost", True)
    assert (await state.rooms())["!a:localhost"].left is True

    await state.set_room("!a:localhost", joined + 1000)  # joined again
    room = (await state.rooms())["!a:localhost"]
    assert (room.joined_at, room.left) == (joined + 1000, False)

    await state.set_left("!inconnu:localhost", True)  # unknown room: nothing happens
    assert set(await state.rooms()) == {"!a:localhost"}


# ------------------------------------------------------------------ schema


def _schema_diff(connection: Any) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True})
    return compare_metadata(context, Base.metadata)


async def test_migrations_match_the_models(db: Database) -> None:
    """What `alembic check` does in CI: the migrated schema equals store/models.py."""
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_schema_diff)
    assert diff == []


def _tables(connection: Any) -> set[str]:
    return set(inspect(connection).get_table_names())


def _downgrade_to_base(url: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.downgrade(config, "base")


async def test_downgrade_to_base_and_upgrade_again(db: Database, db_url: str) -> None:
    async with db.engine.connect() as conn:
        assert set(Base.metadata.tables) <= await conn.run_sync(_tables)
    await db.engine.dispose()  # no pooled connection held while Alembic works

    await asyncio.to_thread(_downgrade_to_base, db_url)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_tables) <= {"alembic_version"}
    await db.engine.dispose()

    await upgrade(db_url)
    async with db.engine.connect() as conn:
        assert await conn.run_sync(_schema_diff) == []
    assert (await each(db, "directory").import_directory(SEED)).changed


def _diff_against(metadata: MetaData) -> Any:
    def run(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)
    return run


async def test_schema_comparison_is_not_vacuous(db: Database) -> None:
    """The check above would see a column the migrations forgot, or a changed type."""
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["bot_state"].append_column(Column("oublie", Integer, nullable=True))
    drifted.tables["projects"].c.phase.type = String(10)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(_diff_against(drifted))
    kinds = {(d[0], d[2]) if isinstance(d, tuple) else (d[0][0], d[0][2]) for d in diff}
    assert ("add_column", "bot_state") in kinds
    assert ("modify_type", "projects") in kinds
