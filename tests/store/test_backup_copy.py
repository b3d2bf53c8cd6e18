"""`db backup` and its restore, `db copy`, on databases filled through the real
repositories; SQLite → PostgreSQL when TRAAM_TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tarfile
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.store.test_schedules_repo import NOW, ROOM
from tests.store.test_updates_repo import LETTRES, NSI, SEED, T0, new
from tests.store_units import each
from traam_bot.domain.triggers import Trigger
from traam_bot.store.backup import backup
from traam_bot.store.copy import NOT_COPIED, copy_database
from traam_bot.store.database import Database, StoreError, upgrade
from traam_bot.store.models import Base


async def fill(url: str) -> None:
    db = Database(url)
    try:
        await each(db, "directory").import_directory(SEED)
        await each(db, "directory").link_room(ROOM, NSI, "@c:localhost", T0)
        for i, project in enumerate((NSI, NSI, LETTRES)):
            await each(db, "updates").record(
                new(f"$u{i}", project, f"Fait : séance {i}", T0 + timedelta(hours=i)))
        await each(db, "updates").edit("$u1", "Fait : séance revue", (), T0 + timedelta(days=1))
        await each(db, "schedules").add(
            kind="reminder", room_id=ROOM, owner="@c:localhost", message="Réunion",
            trigger=Trigger(hour=9, minute=0), next_run=NOW + timedelta(hours=1), now=NOW)
    finally:
        await db.close()


async def dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every copied table's rows, in primary key order."""
    db = Database(url)
    try:
        async with db.session() as session:
            return {
                table.name: [tuple(row) for row in await session.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables if table.name not in NOT_COPIED}
    finally:
        await db.close()


@pytest.fixture
async def source(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/source/traam.db"
    await upgrade(url)
    await fill(url)
    return url


# ------------------------------------------------------------------ backup and restore


async def test_backup_while_another_connection_writes(source: str, tmp_path: Path) -> None:
    path = tmp_path / "source" / "traam.db"
    with sqlite3.connect(path) as conn:
        conn.executemany("INSERT INTO bot_state (key, value) VALUES (?, ?)",
                         [(f"avant-{i}", "x") for i in range(200)])
    stop, busy, written = threading.Event(), threading.Event(), []

    def writer() -> None:
        conn = sqlite3.connect(path, timeout=10)
        while not stop.is_set():
            with conn:
                conn.execute("INSERT INTO bot_state (key, value) VALUES (?, 'y')",
                             (f"pendant-{len(written)}",))
            written.append(1)
            if len(written) == 20:
                busy.set()
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert await asyncio.to_thread(busy.wait, 30)  # writing before the backup starts
        (tmp_path / "store").mkdir()
        backup(source, tmp_path / "store", tmp_path / "b" / "traam.db")
    finally:
        stop.set()
        thread.join()
    assert len(written) >= 20
    with sqlite3.connect(tmp_path / "b" / "traam.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        keys = {k for (k,) in copy.execute("SELECT key FROM bot_state")}
    assert {f"avant-{i}" for i in range(200)} <= keys
    assert {f"pendant-{i}" for i in range(20)} <= keys


async def test_restore_gives_the_same_answers(source: str, tmp_path: Path) -> None:
    store = tmp_path / "store"
    (store / "olm").mkdir(parents=True)
    (store / "credentials.json").write_text('{"device_id": "D"}', encoding="utf-8")
    (store / "olm" / "bot.db").write_bytes(b"\x00keys")
    out = tmp_path / "sauvegarde" / "traam.db"
    report = backup(source, store, out)
    assert report.store_files == 2

    # README « Sauvegarde et restauration »: copy FILE back, extract the archive, start.
    restored = tmp_path / "restauree"
    (restored / "data").mkdir(parents=True)
    shutil.copyfile(out, restored / "data" / "traam.db")
    with tarfile.open(report.store) as tar:
        tar.extractall(restored / "store", filter="data")
    assert (restored / "store" / "olm" / "bot.db").read_bytes() == b"\x00keys"
    assert (restored / "store" / "credentials.json").read_text() == '{"device_id": "D"}'

    url = f"sqlite+aiosqlite:///{restored}/data/traam.db"
    await upgrade(url)  # `run` does it at start: nothing to apply
    assert await dump(url) == await dump(source)
    db = Database(url)
    try:
        updates = await each(db, "updates").list([NSI])
        assert [u.text for u in updates] == ["Fait : séance 0", "Fait : séance revue"]
        assert [s.message for s in await each(db, "schedules").find()] == ["Réunion"]
    finally:
        await db.close()


# ------------------------------------------------------------------ copy


async def test_copy_every_table(source: str, db_url: str) -> None:
    report = await copy_database(source, db_url)
    expected = await dump(source)
    assert report.rows == sum(len(rows) for rows in expected.values()) > 0
    assert await dump(db_url) == expected
    db = Database(db_url)
    try:  # ids go on after the copied ones (PostgreSQL: sequences reset)
        update, _ = await each(db, "updates").record(new("$après", LETTRES))
        assert update.id == max(row[0] for row in expected["updates"]) + 1
    finally:
        await db.close()
    with pytest.raises(StoreError, match="n’est pas vide"):
        await copy_database(source, db_url)


async def test_copy_from_a_missing_file_names_it(tmp_path: Path, db_url: str) -> None:
    with pytest.raises(FileNotFoundError) as raised:
        await copy_database(f"sqlite+aiosqlite:///{tmp_path}/absente.db", db_url)
    assert raised.value.filename == str(tmp_path / "absente.db")
