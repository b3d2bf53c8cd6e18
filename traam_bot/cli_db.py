"""`traam-bot db …`: upgrade, backup, copy."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from traam_bot.cli_french import say
from traam_bot.config import load_settings
from traam_bot.domain.text import plural

EXIT_OK, EXIT_FAIL = 0, 1


async def db_command(args: argparse.Namespace) -> int:
    if args.db_verb == "backup":
        return await _backup(args)
    if args.db_verb == "copy":
        return await _copy(args)
    from traam_bot.store.database import upgrade

    settings = load_settings(args.config, secret=False)
    await upgrade(settings.database.url)
    say("Base de données à jour.")
    return EXIT_OK


async def _backup(args: argparse.Namespace) -> int:
    from traam_bot.store.backup import backup, pg_dump_hint

    settings = load_settings(args.config, secret=False)
    url = settings.database.url
    report = await asyncio.to_thread(
        backup, url, Path(settings.matrix.store_path), Path(args.out))
    if report.database is None:
        # PostgreSQL: the key store is archived, the database is pg_dump's job.
        files = plural(report.store_files, "fichier")
        say(f"Magasin de clés archivé dans {report.store} ({files}). "
            f"Base PostgreSQL non copiée : sauvegardez-la avec « {pg_dump_hint(url)} ».",
            file=sys.stderr)
        return EXIT_FAIL
    say(f"Sauvegarde écrite : base dans {report.database}, magasin de clés dans "
        f"{report.store} ({plural(report.store_files, 'fichier')}).")
    return EXIT_OK


async def _copy(args: argparse.Namespace) -> int:
    from traam_bot.store.copy import copy_database

    report = await copy_database(args.source, args.target)
    say(f"Copie terminée : {plural(report.rows, 'ligne')} dans {plural(report.tables, 'table')}.")
    return EXIT_OK

