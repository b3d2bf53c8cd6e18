"""A database filled by the oldest revision (0001, raw SQL of that schema) keeps its data
through every migration to head, and the new columns start at sane values."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.store.conftest import BACKENDS, reset_postgres
from tests.store_units import each
from traam_bot.store.database import Database, StoreError, upgrade

OLD_ROWS = [
    "INSERT INTO projects (id, academie, discipline, theme, phase, year, region, room, "
    "archived, position) VALUES ('p-nsi', 'Besançon', 'NSI', 'Égalité filles-garçons', "
    "'Expérimentation', '2025-2026', 'Bourgogne-Franche-Comté', NULL, FALSE, 0)",
    "INSERT INTO contacts (id, name, role, email, matrix_id, archived, position) VALUES "
    "('c-ian', 'Claire Dupont', 'IAN NSI', 'claire@ac-besancon.fr', '@claire:localhost', "
    "FALSE, 0)",
    "INSERT INTO room_links (room_id, project_id, linked_by, linked_at) VALUES "
    "('!nsi:localhost', 'p-nsi', '@claire:localhost', '2025-12-01 08:30:00+00:00')",
    "INSERT INTO updates (id, project_id, number, author, author_name, room_id, event_id, "
    "text, sections, has_blocker, created_at, edited_at) VALUES (7, 'p-nsi', 1, "
    "'@alice:localhost', 'Alice Martin', '!nsi:localhost', '$ancien', 'Fait : séance 1', "
    "'[[\"done\", \"séance 1\"]]', FALSE, '2025-12-01 08:30:00+00:00', NULL)",
    "INSERT INTO bot_state (key, value) VALUES ('since', 's123')",
]


@pytest.fixture(params=BACKENDS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/old.db"
    await reset_postgres(postgres_url)
    return postgres_url


async def test_data_of_revision_0001_survives_the_upgrade_to_head(empty_url: str) -> None:
    await upgrade(empty_url, "0001")
    engine = create_async_engine(empty_url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            for statement in OLD_ROWS:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()

    await upgrade(empty_url)

    db = Database(empty_url)
    try:
        projects = await each(db, "directory").projects()
        assert [(p.id, p.theme) for p in projects] == [("p-nsi", "Égalité filles-garçons")]
        contacts = await each(db, "directory").contacts()
        assert [(c.id, c.matrix_id) for c in contacts] == [("c-ian", "@claire:localhost")]
        links = await each(db, "directory").links()
        assert [(link.room_id, link.project_id) for link in links] == [
            ("!nsi:localhost", "p-nsi")]
        assert all(link.label is None for link in links)  # 0003's new column
        (update,) = await each(db, "updates").list(["p-nsi"])
        assert (update.id, update.number, update.text) == (7, 1, "Fait : séance 1")
        assert update.created_at.utcoffset() is not None
        assert await each(db, "state").get("since") == "s123"
        assert await each(db, "schedules").find() == []  # 0002's new tables, empty
        async with db.session() as session:
            outbox = await session.execute(text("SELECT count(*) FROM outbox"))  # 0004
            assert outbox.scalar() == 0
    finally:
        await db.close()


@pytest.mark.backend("postgresql")
async def test_a_missing_postgresql_database_is_named(db_url: str) -> None:
    missing = make_url(db_url).set(database="traam_absente").render_as_string(
        hide_password=False)
    with pytest.raises(StoreError, match="la base PostgreSQL « traam_absente » n’existe pas"):
        await upgrade(missing)
