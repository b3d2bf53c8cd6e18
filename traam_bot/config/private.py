"""Private files: the folders and files that hold the bot's secrets (E2EE keys, access
token, cross-signing keys) and its database are its owner's only: folders 0700, files 0600.

`traam-bot` sets the umask (PRIVATE_UMASK) for the whole process, which covers the files
libraries create (nio's key store, SQLite journals); the helpers here create the bot's own
folders and files private whatever the umask, and tighten what an earlier version, a copy
or a restore left open.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE, FILE_MODE = 0o700, 0o600
OPEN_BITS = 0o077  # any right for the group or the others


def private_dir(path: Path) -> Path:
    """`mkdir -p` whose every created folder is 0700 (existing folders are left alone)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # created meanwhile by someone else: not ours to change
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> bool:
    """Create `path` empty and 0600 unless it exists; True when it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    os.chmod(path, FILE_MODE)
    return True


def tighten(paths: Iterable[Path], quiet: bool = False) -> list[Path]:
    """Take the group's and others' rights off each existing path (a folder keeps 0700 at
    most, a file 0600); returns the paths changed, logged in one line unless `quiet`."""
    changed: list[Path] = []
    for path in paths:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
            if mode & OPEN_BITS:
                os.chmod(path, mode & ~OPEN_BITS)
                changed.append(path)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("droits de %s impossibles à restreindre : %s", path, exc.strerror)
    if changed and not quiet:
        log.warning("droits restreints au seul propriétaire (dossiers 0700, fichiers 0600) "
                    "sur %d élément(s) jusqu’ici lisibles par d’autres : %s", len(changed),
                    ", ".join(str(p) for p in changed))
    return changed


def tree(root: Path) -> list[Path]:
    """`root` and everything beneath it (symbolic links are not followed)."""
    if not root.is_dir():
        return [root] if root.exists() else []
    found = [root]
    for folder, dirs, files in os.walk(root):
        found += [Path(folder) / name for name in (*dirs, *files)
                  if not (Path(folder) / name).is_symlink()]
    return found


def secure_tree(root: Path, quiet: bool = False) -> list[Path]:
    """Tighten `root` and everything beneath it; see `tighten`."""
    return tighten(tree(root), quiet)
