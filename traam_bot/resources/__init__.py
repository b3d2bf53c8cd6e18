"""Files the installed bot reads: the Alembic migrations and the shipped directory.

The sources stay at the top of the repository (`migrations/`, `config/traam.yaml`); the
entries here are symbolic links to them, which the wheel build copies in as package data.
Read them through `importlib.resources`, so an installed wheel needs nothing else.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from importlib.resources import as_file, files
from pathlib import Path


def migrations() -> AbstractContextManager[Path]:
    """The Alembic script folder, as a real path while the context lasts."""
    return as_file(files(__name__) / "migrations")


def shipped_directory() -> AbstractContextManager[Path]:
    """The directory file shipped with the bot (the seed's projects and contacts)."""
    return as_file(files(__name__) / "traam.yaml")
