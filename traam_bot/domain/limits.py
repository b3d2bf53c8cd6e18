"""The bounds of what the bot accepts (SPEC §8 "Limits"), in one place: stored texts, dates,
words of a search, recurrences. Pure: the checks return or raise French messages.

Each bound is refused with a message that names it and says how to write the input; the
callers turn `LimitError` into a reply (commands) or keep their own error type.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from traam_bot.domain.occurrences import HORIZON_DAYS
from traam_bot.domain.text import plural
from traam_bot.domain.triggers import Spec, Trigger, spec_of

MAX_TEXT_CHARS = 4000  # any text the bot stores: updates, reminders
MIN_YEAR, MAX_YEAR = 2000, 2100  # any date a user gives
MAX_WHEN_CHARS = 200  # a `<quand>`: "chaque lundi à 9h", a cron expression…
MAX_NUMBER_DIGITS = 9  # any number a user gives ("dans 999999999 jours" is the longest)
MAX_SEARCH_WORDS = 30  # distinct words of a project or contact search (a theme pasted whole fits)
MAX_QUESTION_CHARS = 500  # a free-text question (its words are matched one by one, fuzzily)
ECHO_CHARS = 80  # user text quoted back in an answer (« … ») is shortened to this


class LimitError(ValueError):
    """Input past one of the bounds; `str()` is a French message naming the bound."""


def thousands(n: int) -> str:
    """"4 000", "20", "1 000 000": French digit grouping (a plain space, as typed)."""
    return f"{n:,}".replace(",", " ")


def text_error(text: str, problem: str, how: str) -> str | None:
    """Why a text to store is refused (past MAX_TEXT_CHARS), or None: `problem` names it
    (« Mise à jour trop longue »), `how` says what to do instead."""
    if len(text) <= MAX_TEXT_CHARS:
        return None
    return (f"{problem} : {thousands(len(text))} caractères pour "
            f"{thousands(MAX_TEXT_CHARS)} caractères au maximum. {how} "
            "Rien n’a été enregistré.")


def year_error(year: int) -> str | None:
    """Why `year` is refused, or None when it is within MIN_YEAR..MAX_YEAR."""
    if MIN_YEAR <= year <= MAX_YEAR:
        return None
    return f"Année {year} hors limites : les dates vont de {MIN_YEAR} à {MAX_YEAR}"


def search_words(text: str) -> list[str]:
    """The distinct words of a search, in order; LimitError past MAX_SEARCH_WORDS."""
    found = list(dict.fromkeys(text.split()))
    if len(found) > MAX_SEARCH_WORDS:
        raise LimitError(f"Trop de mots dans la recherche : {thousands(len(found))} pour "
                         f"{MAX_SEARCH_WORDS} au maximum. Donnez quelques mots, par exemple "
                         "une académie ou une discipline.")
    return found


# --------------------------------------------------------------------------- recurrences


def minimum_gap(trigger: Trigger, start: datetime, tz: ZoneInfo) -> timedelta | None:
    """Smallest gap between two consecutive firings of a recurring trigger, in the local
    wall time its rule is written in, over the horizon its firings are computed for
    (5 years from `start`); None for a one-off or a rule that never fires.

    Wall time, not elapsed time: "chaque jour à 9h" is 24 hours apart even across a
    daylight-saving change.
    """
    if trigger.is_one_off:
        return None
    spec = spec_of(trigger)
    times = sorted({h * 60 + m for h in spec.hours for m in spec.minutes})
    within = min((b - a for a, b in pairwise(times)), default=None)
    between = None
    previous: date | None = None
    for day in _matching_days(spec, start.astimezone(tz).date()):
        if previous is not None:
            gap = (day - previous).days * 24 * 60 - times[-1] + times[0]
            between = gap if between is None else min(between, gap)
            if (day - previous).days == 1:
                break  # consecutive days: no later pair of days can be closer
        previous = day
    gaps = [g for g in (within, between) if g is not None]
    return timedelta(minutes=min(gaps)) if gaps else None


def _matching_days(spec: Spec, first: date) -> Iterator[date]:
    """The days the rule fires on, over the horizon; over two weeks for a rule that names
    no day of the month and no month (its days come back every week)."""
    weekly = len(spec.days) == 31 and len(spec.months) == 12
    day, end = first, first + timedelta(days=15 if weekly else HORIZON_DAYS)
    while day <= end:
        if spec.matches(day):
            yield day
        day += timedelta(days=1)


def check_interval(trigger: Trigger, minimum_minutes: int, start: datetime, tz: ZoneInfo,
                   ) -> None:
    """LimitError when a recurring trigger may fire twice less than `minimum_minutes` apart."""
    gap = minimum_gap(trigger, start, tz)
    if gap is None or gap >= timedelta(minutes=minimum_minutes):
        return
    example = ('chaque jour à 9h, ou cron "0 9 * * 1-5"' if minimum_minutes <= 24 * 60
               else 'chaque lundi à 9h, ou cron "0 9 * * 1"')
    raise LimitError(
        f"Récurrence trop fréquente : {trigger.describe(tz)} revient après "
        f"{duration(int(gap.total_seconds() // 60))}, l’intervalle minimal entre deux envois "
        f"est de {duration(minimum_minutes)}. Espacez les envois, par exemple : {example}.")


def duration(minutes: int) -> str:
    """"1 minute", "45 minutes", "90 minutes", "1 heure", "2 h 30", "3 heures"."""
    if minutes < 120 and minutes != 60:
        return f"{minutes} minute" + ("s" if minutes > 1 else "")
    hours, rest = divmod(minutes, 60)
    if rest:
        return f"{hours} h {rest:02d}"
    return f"{hours} heure" + ("s" if hours > 1 else "")


def check_room_cap(count: int, cap: int, prefix: str) -> None:
    """LimitError when a room already holds `cap` reminders."""
    if count >= cap:
        raise LimitError(
            f"Ce salon a déjà {plural(count, 'rappel')}, le maximum est de {thousands(cap)}. "
            f"Supprimez-en un avec {prefix}rappel suppr <n> (voir {prefix}rappel liste) "
            "avant d’en ajouter un autre.")
