"""Private files: the bot's folders 0700 and files 0600 whatever the umask, and what was
left open tightened with one French log line (the key store, the SQLite database)."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from traam_bot.config.private import private_dir, private_file, secure_tree, tighten, tree
from traam_bot.store.database import make_engine, sqlite_file


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    """The umask of a careless shell: what the bot creates must not depend on it."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_private_dir_creates_every_missing_folder_0700(tmp_path: Path, loose_umask: None) -> None:
    existing = tmp_path / "srv"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    target = existing / "data" / "store"
    assert private_dir(target) == target
    assert mode(existing / "data") == 0o700 and mode(target) == 0o700
    assert mode(existing) == 0o755  # not created by the bot: left alone
    private_dir(target)  # again: nothing to do, nothing raised


def test_private_file_is_created_0600_once(tmp_path: Path, loose_umask: None) -> None:
    path = tmp_path / "traam.db"
    assert private_file(path) is True
    assert mode(path) == 0o600 and path.read_bytes() == b""
    path.write_bytes(b"data")
    assert private_file(path) is False
    assert path.read_bytes() == b"data"


def test_tighten_takes_group_and_other_rights_off_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = tmp_path / "store"
    (store / "sub").mkdir(parents=True)
    files = {name: store / name for name in ("credentials.json", "keys.db", "fine.json")}
    for path in files.values():
        path.write_text("x", encoding="utf-8")
    os.chmod(store, 0o755)
    os.chmod(store / "sub", 0o775)
    os.chmod(files["credentials.json"], 0o644)
    os.chmod(files["keys.db"], 0o666)
    os.chmod(files["fine.json"], 0o600)
    with caplog.at_level(logging.WARNING, logger="traam_bot.config.private"):
        changed = secure_tree(store)
    assert set(changed) == {store, store / "sub", files["credentials.json"], files["keys.db"]}
    assert mode(store) == 0o700 and mode(store / "sub") == 0o700
    assert all(mode(p) == 0o600 for p in files.values())
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert "droits restreints au seul propriétaire" in lines[0]
    assert "4 élément(s)" in lines[0] and "credentials.json" in lines[0]
    assert "fine.json" not in lines[0]
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="traam_bot.config.private"):
        assert secure_tree(store) == []  # already private: nothing changed, nothing said
    assert caplog.records == []


def test_tighten_keeps_rights_the_owner_lacks_and_skips_missing_paths(tmp_path: Path) -> None:
    path = tmp_path / "read-only"
    path.write_text("x", encoding="utf-8")
    os.chmod(path, 0o444)
    assert tighten([path, tmp_path / "absent"], quiet=True) == [path]
    assert mode(path) == 0o400  # tightened, never widened to 0600


def test_tree_does_not_follow_symbolic_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = tmp_path / "store"
    store.mkdir()
    (store / "link").symlink_to(outside)
    assert tree(store) == [store]
    assert tree(tmp_path / "absent") == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite+aiosqlite:////srv/traam/traam.db", Path("/srv/traam/traam.db")),
        ("sqlite+aiosqlite:///:memory:", None),
        ("sqlite+aiosqlite://", None),
        ("sqlite+aiosqlite:///file:memdb?mode=memory&cache=shared&uri=true", None),
        ("postgresql+asyncpg://traam:mdp@db/traam", None),
    ],
)
def test_sqlite_file_of_a_url(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected


async def test_the_database_the_bot_creates_is_private(tmp_path: Path,
                                                       loose_umask: None) -> None:
    from sqlalchemy import text

    db = tmp_path / "data" / "traam.db"
    engine = make_engine(f"sqlite+aiosqlite:///{db}")
    try:
        async with engine.begin() as conn:  # WAL mode: -wal and -shm appear beside it
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            assert (tmp_path / "data" / "traam.db-wal").exists()
            for path in (tmp_path / "data").iterdir():
                assert mode(path) == 0o600, path
    finally:
        await engine.dispose()
    assert mode(tmp_path / "data") == 0o700 and mode(db) == 0o600


async def test_an_existing_database_left_open_is_tightened(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    db = folder / "traam.db"
    db.write_bytes(b"")
    os.chmod(db, 0o644)
    with caplog.at_level(logging.WARNING, logger="traam_bot.config.private"):
        await make_engine(f"sqlite+aiosqlite:///{db}").dispose()
    assert mode(db) == 0o600
    assert mode(folder) == 0o755  # the operator's folder: not the bot's to change
    assert str(db) in caplog.text and "droits restreints" in caplog.text
