"""`traam-bot db backup`: an online copy of a SQLite database (sqlite3's backup API, safe
while the bot runs and writes) and an archive of the Matrix key store beside it."""

from __future__ import annotations

import os
import sqlite3
import tarfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from traam_bot.store.database import StoreError, sqlite_file

STORE_SUFFIX = ".store.tar.gz"


@dataclass(frozen=True)
class BackupReport:
    database: Path | None  # None: PostgreSQL, which pg_dump saves
    store: Path
    store_files: int


def pg_dump_hint(url: str) -> str:
    """The pg_dump command for a PostgreSQL URL, without its password."""
    parsed = make_url(url)
    parts = ["pg_dump", "--format=custom"]
    if parsed.host:
        parts.append(f"--host={parsed.host}")
    if parsed.port:
        parts.append(f"--port={parsed.port}")
    if parsed.username:
        parts.append(f"--username={parsed.username}")
    parts += ["--file=traam.dump", parsed.database or "traam"]
    return " ".join(parts)


def _private_target(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of `source` taken page by page while others may write (WAL)."""
    if not source.is_file():
        raise FileNotFoundError(2, "base de données introuvable", str(source))
    _private_target(target)
    src = sqlite3.connect(source, timeout=10)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    os.chmod(target, 0o600)


def archive_store(store: Path, target: Path) -> int:
    """The key store as a gzip tar archive (0600), entries relative to the store folder;
    returns how many files it holds."""
    if not store.is_dir():
        raise FileNotFoundError(2, "dossier du magasin de clés introuvable", str(store))
    _private_target(target)
    count = 0
    with tarfile.open(target, "w:gz") as tar:
        for path in sorted(store.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(store)), recursive=False)
            count += path.is_file()
    os.chmod(target, 0o600)
    return count


def backup(url: str, store: Path, out: Path) -> BackupReport:
    """SQLite: the database copied to `out`, the key store to `out` + .store.tar.gz.
    PostgreSQL: the key store only (the database is pg_dump's job)."""
    backend = make_url(url).get_backend_name()
    archive = out.with_name(out.name + STORE_SUFFIX)
    database: Path | None = None
    if backend == "sqlite":
        source = sqlite_file(url)
        if source is None:
            raise StoreError("sauvegarde impossible : base SQLite sans fichier (mémoire)")
        if source.resolve() == out.resolve():
            raise StoreError(f"sauvegarde impossible : {out} est la base elle-même")
        backup_sqlite(source, out)
        database = out
    count = archive_store(store, archive)
    return BackupReport(database=database, store=archive, store_files=count)
