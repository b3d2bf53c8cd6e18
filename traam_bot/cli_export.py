"""`traam-bot export`: the year's bilan as Markdown, CSV or an xlsx workbook."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from traam_bot.cli_french import say
from traam_bot.config import Settings, load_directory, load_settings
from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.text import plural
from traam_bot.domain.years import YearError, parse_year, years_label

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


async def export_command(args: argparse.Namespace) -> int:
    from traam_bot.domain.export import render_markdown
    from traam_bot.domain.export_tables import render_csv

    if args.format == "xlsx" and not args.out:
        say("traam-bot : le format xlsx s’écrit dans un fichier : ajoutez --out "
            "FICHIER.xlsx (voir traam-bot export --help)", file=sys.stderr)
        return EXIT_USAGE
    try:
        asked = parse_year(args.year) if args.year else None
    except YearError as err:
        say(f"traam-bot : {err}", file=sys.stderr)
        return EXIT_USAGE
    settings = load_settings(args.config, secret=False)
    directory = load_directory(settings.directory)
    records, year, known = await _records(settings, asked, directory.year)
    if not records:
        say(f"traam-bot : aucun projet pour l’année {year} (années connues : "
            f"{years_label(known)})", file=sys.stderr)
        return EXIT_FAIL
    data: str | bytes
    if args.format == "xlsx":
        from traam_bot.services.export_xlsx import render_xlsx

        data = render_xlsx(records, settings.tz)
    elif args.format == "csv":
        data = render_csv(records, settings.tz)
    else:
        data = render_markdown(directory.region, year, records, settings.tz)
    if args.out:
        try:
            await asyncio.to_thread(_write_export, Path(args.out), data)
        except OSError as exc:
            say(f"traam-bot : écriture impossible de {args.out} ({exc.strerror})",
                file=sys.stderr)
            return EXIT_FAIL
        say(f"Bilan {year} écrit dans {args.out} ({plural(len(records), 'projet')}).")
    else:
        assert isinstance(data, str)
        sys.stdout.write(data)
    return EXIT_OK


async def _records(settings: Settings, asked: str | None,
                   default: str) -> tuple[list[ProjectRecord], str, list[str]]:
    """The asked year's projects with their updates and resources (by default the current
    school year, else the directory's), the year, and every year stored."""
    from traam_bot.services.export import collect, known_years
    from traam_bot.store.unit_of_work import one_unit

    today = datetime.now(UTC).astimezone(settings.tz).date()
    async with one_unit(settings.database.url) as uow:
        current, known = await known_years(uow, today)
        year = asked or current or default
        return await collect(uow, year, settings.tz), year, known


def _write_export(path: Path, data: str | bytes) -> None:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        # newline="" keeps the CSV's CRLF line ends as they are
        path.write_text(data, encoding="utf-8", newline="")

