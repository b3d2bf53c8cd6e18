"""French text helpers: folding for comparisons, words, French dates, shortening, plurals."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from unidecode import unidecode

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
_SPLIT = re.compile(r"[^a-z0-9]+")
# what no database column takes: NUL (PostgreSQL) and lone surrogates (not UTF-8)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def fold(text: str) -> str:
    """Lower-case ASCII transliteration for comparisons: accents stripped, "œ" -> "oe",
    typographic quotes made plain ("’" -> "'", "«" -> "<<"), emoji dropped.

    The length may change: map positions back with care (see domain.updates).
    """
    return text.lower() if text.isascii() else unidecode(text).lower()


def words(text: str) -> list[str]:
    """Folded alphanumeric words: "L’égalité filles-garçons" -> [l, egalite, filles, garcons]."""
    return [w for w in _SPLIT.split(fold(text)) if w]


def academie_label(academie: str) -> str:
    """"académie de Besançon", "académie d’Aix-Marseille"."""
    elided = fold(academie[:1]) in ("a", "e", "i", "o", "u", "h")
    return f"académie d’{academie}" if elided else f"académie de {academie}"


def format_date(moment: datetime, tz: ZoneInfo) -> str:
    """"lundi 1er décembre 2025", "mardi 2 décembre 2025" in the given time zone (the first
    of a month is always « 1er »)."""
    local = moment.astimezone(tz)
    day = "1er" if local.day == 1 else str(local.day)
    return f"{_WEEKDAYS[local.weekday()]} {day} {_MONTHS[local.month - 1]} {local.year}"


def format_time(moment: datetime, tz: ZoneInfo) -> str:
    """"9h00", "17h30"."""
    local = moment.astimezone(tz)
    return f"{local.hour}h{local.minute:02d}"


def format_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """"lundi 1er décembre 2025 à 9h00"."""
    return f"{format_date(moment, tz)} à {format_time(moment, tz)}"


def format_short_date(moment: datetime, tz: ZoneInfo) -> str:
    """"01/12/2025", for tables and CSV."""
    return moment.astimezone(tz).strftime("%d/%m/%Y")


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters; else its first `limit` characters, cut back
    to the last space when there is one, followed by "…"."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip() + "…"


def storable(text: str) -> str:
    """`text` with what no database column takes (NUL, lone surrogates, which a JSON
    event may carry as escapes) made "\ufffd"."""
    return _UNSTORABLE.sub("\ufffd", text)


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """"0 projet", "1 projet", "3 projets": singular below 2, as in French; `plural_form`
    for plurals that are not singular + "s"."""
    return f"{n} {singular if n < 2 else (plural_form or singular + 's')}"
