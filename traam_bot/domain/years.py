"""School years (« 2025-2026 », 1 September to 31 August): parsing, the current year, and
which year a dated record (update, resource) of a project belongs to.

The current year is the school year containing today when the directory lists projects
in it; otherwise the newest year of the directory. So a directory prepared in June for
the next year becomes current on 1 September, and a bot whose directory has not been
renewed yet keeps showing the last imported year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

FIRST_MONTH = 9  # a school year starts on 1 September
_YEAR = re.compile(r"^(\d{4})\s*[-/–]\s*(\d{4}|\d{2})$")
_YEAR_IN_TEXT = re.compile(r"(?<![\d/])\d{4}\s*[-/–]\s*(?:\d{4}|\d{2})(?![\d/])")


class YearError(ValueError):
    """A French message explaining how to write a school year."""


def year_error(text: str) -> str:
    return (f"Année scolaire « {text} » invalide : écrivez-la comme 2025-2026 "
            "(de septembre à août).")


def looks_like_year(token: str) -> bool:
    """"2024-2025", "2024/2025", "2024-25", and malformed ones like "2024-2026"."""
    return _YEAR.match(token.strip()) is not None


def parse_year(text: str) -> str:
    """The canonical form "2024-2025"; YearError for anything else."""
    m = _YEAR.match(text.strip())
    if m is None:
        raise YearError(year_error(text.strip()))
    first, second = int(m.group(1)), m.group(2)
    # "2024-25": the second year's last two digits
    end = int(second) if len(second) == 4 else first + 1 - (first + 1) % 100 + int(second)
    if end != first + 1 or not 1990 <= first <= 2100:
        raise YearError(year_error(text.strip()))
    return f"{first}-{first + 1}"


def year_start(year: str) -> int:
    """2025 for "2025-2026"."""
    return int(year[:4])


def school_year_of(day: date) -> str:
    first = day.year if day.month >= FIRST_MONTH else day.year - 1
    return f"{first}-{first + 1}"


def year_bounds(year: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local midnight of 1 September, and of the next 1 September (excluded)."""
    first = year_start(year)
    return (datetime(first, FIRST_MONTH, 1, tzinfo=tz),
            datetime(first + 1, FIRST_MONTH, 1, tzinfo=tz))


def current_year(years: Iterable[str], today: date) -> str | None:
    """Today's school year if the directory has it, else its newest year (None if empty)."""
    known = sorted(set(years))
    if not known:
        return None
    here = school_year_of(today)
    return here if here in known else known[-1]


def record_year(project_years: Sequence[str], moment: datetime, tz: ZoneInfo) -> str | None:
    """The year of a project that a record dated `moment` belongs to: the project's year
    containing that date; before its first year, its first; after its last year (or in a
    gap), the latest year that had started. None for a project without year."""
    ordered = sorted(set(project_years))
    if not ordered:
        return None
    here = school_year_of(moment.astimezone(tz).date())
    started = [y for y in ordered if y <= here]
    return started[-1] if started else ordered[0]


def split_year(tokens: Sequence[str]) -> tuple[str | None, list[str]]:
    """The school year named among search words, and the other words.

    YearError for a malformed year or two different years."""
    found: str | None = None
    rest: list[str] = []
    for token in tokens:
        if not looks_like_year(token):
            rest.append(token)
            continue
        year = parse_year(token)
        if found is not None and found != year:
            raise YearError(f"Une seule année scolaire à la fois : {found} ou {year} ?")
        found = year
    return found, rest


def years_label(years: Iterable[str]) -> str:
    """"2024-2025, 2025-2026"."""
    return ", ".join(sorted(set(years))) or "aucune"


def years_status(years: Iterable[str], today: date) -> str:
    """"2024-2025 (archivée), 2025-2026 (en cours)"."""
    known = sorted(set(years))
    current = current_year(known, today)
    return ", ".join(f"{y} ({'en cours' if y == current else 'archivée'})"
                     for y in known) or "aucune"


def year_in_text(text: str) -> tuple[str | None, str]:
    """The first well-written school year in a free-text question, and the question
    without it: "les projets de 2024-2025 ?" -> ("2024-2025", "les projets de  ?")."""
    for m in _YEAR_IN_TEXT.finditer(text):
        try:
            year = parse_year(m.group())
        except YearError:
            continue
        return year, text[: m.start()] + text[m.end():]
    return None, text
