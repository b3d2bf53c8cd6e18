"""French `<quand>` text -> Trigger: « chaque lundi à 9h », « demain à 10h », « dans 2 heures ».

Pure module (standard library and zoneinfo only). `parse_when` reads the phrase,
`split_when_message` separates "<quand> : <message>"; both raise WhenError with a
French message and an example.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from traam_bot.domain.limits import MAX_NUMBER_DIGITS, MAX_WHEN_CHARS, thousands, year_error
from traam_bot.domain.occurrences import HORIZON_DAYS, local_instant, require_aware, resolve_wall
from traam_bot.domain.text import fold, format_datetime, shorten
from traam_bot.domain.triggers import WEEKDAYS, Trigger, WhenError, when_error

_MONTHS = (  # folded, for parsing
    "janvier", "fevrier", "mars", "avril", "mai", "juin",
    "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
)

_EX_ONCE = "le 15/12/2027 à 14h"
_EX_SOON = "demain à 10h"
_EX_DAILY = "chaque jour à 17h30"
_EX_WEEKLY = "chaque lundi à 9h"
_EX_MONTHLY = "chaque 1er du mois à 8h"
_EX_DELAY = "dans 2 heures"
_EX_SPLIT = "chaque lundi à 9h : Réunion d’équipe"
_EXAMPLES = 'chaque lundi à 9h, le 15/12/2027 à 14h, dans 2 heures, cron "0 9 * * 1"'

_TIME = r"(?<!\d)\d{1,2} ?(?:heures?|h|:) ?(?:\d{2})?|(?<![a-z])(?:midi|minuit)"
_TIME_AT_END = re.compile(rf"^(?P<head>.*?)(?:[ ,]+a)?[ ,]*(?P<time>{_TIME})$")
_TIME_PARTS = re.compile(r"(\d{1,2}) ?(?:heures?|h|:) ?(\d{2})?")
_DELAY = re.compile(
    r"^dans (?P<n>\d+|une?) ?"
    r"(?P<unit>secondes?|secs?|minutes?|mins?|mn|heures?|h|jours?|semaines?)$"
)
_DELAY_MINUTES = {"m": 1, "h": 60, "j": 24 * 60, "s": 7 * 24 * 60}
_RECURRING = re.compile(
    r"^(?:(?:chaque semaine|toutes les semaines|chaque|tous les|les) (?:les? )?|(?=du ))"
    r"(?P<rest>.+)$"
)
_DAY_RANGE = re.compile(r"\bdu ([a-z]+) au ([a-z]+)\b")
_WORKDAYS = re.compile(r"\b(?:en semaine|ouvres?|ouvrables?)\b")
_DAY_NUMBER = r"1er|premier|\d{1,2}"
_MONTHLY = re.compile(
    rf"^(?:(?:chaque|tous les|le) (?P<d1>{_DAY_NUMBER})(?: jour)? (?:du|de chaque|de tous les) mois"
    rf"|(?:chaque|tous les) mois,? le (?P<d2>{_DAY_NUMBER}))$"
)
_DATE = re.compile(
    rf"^(?:le )?(?:(?P<wd>{'|'.join(WEEKDAYS)}) )?"
    r"(?:(?P<d>\d{1,2}) ?[/.-] ?(?P<m>\d{1,2})(?: ?[/.-] ?(?P<y>\d{4}|\d{2}))?"
    rf"|(?P<td>1er|\d{{1,2}}) (?P<tm>{'|'.join(_MONTHS)})(?: (?P<ty>\d{{4}}))?)$"
)
_RELATIVE_DAYS = {
    "aujourd'hui": 0, "aujourd hui": 0, "aujourdhui": 0, "ce soir": 0, "ce matin": 0,
    "demain": 1, "apres-demain": 2, "apres demain": 2,
}
_NEEDS_TIME = re.compile(r"\b(?:chaque|tous|toutes|demain|aujourd|ce soir|mois)\b|\d/\d")


def _normalize(text: str) -> str:
    folded = fold(text).replace("\u2019", "'")
    return re.sub(r"\s+", " ", folded).strip(" .!")


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> Trigger:
    """Turn a French `<quand>` into a Trigger; raises WhenError (French, with an example)."""
    require_aware(now, "now")
    if len(text) > MAX_WHEN_CHARS:
        raise when_error(f"Moment trop long : {thousands(len(text))} caractères pour "
                         f"{MAX_WHEN_CHARS} au maximum", _EX_WEEKLY)
    raw = _normalize(text)
    if not raw:
        raise when_error("Précisez quand", _EXAMPLES)
    if raw.startswith("cron"):
        return Trigger(cron=raw[4:].strip(" \"'<>`"))
    if raw.startswith("dans "):
        return _within_years(_parse_delay(text, raw, now, tz), tz, _EX_DELAY)
    match = _TIME_AT_END.match(raw)
    if match is None:
        raise _not_understood(text, raw)
    hour, minute = _parse_time(match["time"])
    head = match["head"].strip(" ,")
    trigger = _parse_recurring(head, hour, minute) or _parse_monthly(head, hour, minute)
    if trigger is not None:
        return trigger
    moment = _parse_date(head, hour, minute, now, tz) or _parse_relative_day(
        head, hour, minute, now, tz
    )
    if moment is None:
        raise _not_understood(text, raw)
    return _one_off(moment, now, tz)


def _not_understood(text: str, raw: str) -> WhenError:
    shown = shorten(" ".join(text.split()), 80)
    if _TIME_AT_END.match(raw) is None and _NEEDS_TIME.search(raw):
        return when_error(f"Heure manquante dans « {shown} »", _EX_WEEKLY)
    return WhenError(f"Je n'ai pas compris « {shown} ». Exemples : {_EXAMPLES}")


def _parse_time(token: str) -> tuple[int, int]:
    if token in ("midi", "minuit"):
        return (12, 0) if token == "midi" else (0, 0)
    match = _TIME_PARTS.fullmatch(token)
    assert match is not None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        raise when_error(f"Heure impossible : {token.replace(' ', '')}", _EX_DAILY)
    return hour, minute


def _parse_delay(text: str, raw: str, now: datetime, tz: ZoneInfo) -> Trigger:
    match = _DELAY.match(raw)
    if match is None:
        raise when_error(f"Délai non reconnu : « {shorten(text.strip(), 80)} »", _EX_DELAY)
    if len(match["n"]) > MAX_NUMBER_DIGITS:
        raise when_error("Délai trop long : 5 ans au plus", _EX_DELAY)
    count = 1 if match["n"] in ("un", "une") else int(match["n"])
    if match["unit"].startswith("sec"):  # short delays: handy for trying the bot out
        if not 1 <= count <= 3600:
            raise when_error("Délai en secondes : entre 1 et 3600", "dans 30 secondes")
        return Trigger(at=now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=count))
    unit = match["unit"][0]
    minutes = count * _DELAY_MINUTES[unit]
    if minutes == 0:
        raise when_error("Le délai doit être d'au moins une minute", "dans 30 minutes")
    if minutes > HORIZON_DAYS * 24 * 60:
        raise when_error("Délai trop long : 5 ans au plus", _EX_DELAY)
    start = now.astimezone(UTC).replace(microsecond=0)
    if unit in "mh":  # absolute duration, computed in UTC (aware local + timedelta is wall time)
        return Trigger(at=start + timedelta(minutes=minutes))
    wall = start.astimezone(tz).replace(tzinfo=None) + timedelta(minutes=minutes)
    return Trigger(at=resolve_wall(wall, tz))  # days and weeks keep the wall time


def _parse_recurring(head: str, hour: int, minute: int) -> Trigger | None:
    match = _RECURRING.match(head)
    if match is None:
        return None
    weekdays = _parse_weekdays(match["rest"])
    if weekdays is None:
        return None
    return Trigger(minute=minute, hour=hour, weekdays=weekdays or None)


def _parse_weekdays(rest: str) -> tuple[int, ...] | None:
    """Weekdays named in "mardis et jeudis"; () means every day, None not a day list."""
    rest = _WORKDAYS.sub(" du lundi au vendredi ", rest)
    rest = _DAY_RANGE.sub(_expand_day_range, rest)
    tokens = [t for t in re.split(r"[ ,]+", rest) if t and t not in ("et", "le", "les")]
    days = {_weekday_index(t) for t in tokens if t not in ("jour", "jours")}
    if not tokens or None in days:
        return None
    if not days or len(days) == 7:
        return ()
    return tuple(sorted(d for d in days if d is not None))


def _weekday_index(token: str) -> int | None:
    name = token[:-1] if token.endswith("s") else token
    return WEEKDAYS.index(name) if name in WEEKDAYS else None


def _expand_day_range(match: re.Match[str]) -> str:
    first, last = _weekday_index(match[1]), _weekday_index(match[2])
    if first is None or last is None:
        return match[0]
    return " ".join(WEEKDAYS[(first + i) % 7] for i in range((last - first) % 7 + 1))


def _parse_monthly(head: str, hour: int, minute: int) -> Trigger | None:
    match = _MONTHLY.match(head)
    if match is None:
        return None
    day = _day_number(match["d1"] or match["d2"])
    if not 1 <= day <= 31:
        raise when_error(f"Jour du mois impossible : {day}", _EX_MONTHLY)
    return Trigger(minute=minute, hour=hour, day=day)


def _day_number(token: str) -> int:
    return 1 if token in ("1er", "premier") else int(token)


def _parse_date(
    head: str, hour: int, minute: int, now: datetime, tz: ZoneInfo
) -> datetime | None:
    match = _DATE.match(head)
    if match is None:
        return None
    day = _day_number(match["d"] or match["td"])
    month = int(match["m"]) if match["m"] else _MONTHS.index(match["tm"]) + 1
    year_text = match["y"] or match["ty"]
    if year_text is None:
        moment = _next_yearly(day, month, hour, minute, now, tz)
    else:
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        problem = year_error(year)
        if problem is not None:
            raise when_error(problem, _EX_ONCE)
        moment = local_instant(_valid_date(day, month, year), hour, minute, tz)
    _check_weekday(match["wd"], moment, tz)
    return moment


def _valid_date(day: int, month: int, year: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise when_error(f"Date impossible : {day:02d}/{month:02d}/{year}", _EX_ONCE) from None


def _next_yearly(
    day: int, month: int, hour: int, minute: int, now: datetime, tz: ZoneInfo
) -> datetime:
    """Next time this day/month comes round after `now` (29/02 waits for a leap year)."""
    try:
        date(2000, month, day)
    except ValueError:
        raise when_error(f"Date impossible : {day:02d}/{month:02d}", "le 15/12 à 14h") from None
    year = now.astimezone(tz).year
    for candidate in range(year, year + 9):
        try:
            moment = local_instant(date(candidate, month, day), hour, minute, tz)
        except ValueError:
            continue
        if moment > now:
            return moment
    raise when_error(f"Date impossible : {day:02d}/{month:02d}", "le 15/12 à 14h")


def _check_weekday(name: str | None, moment: datetime, tz: ZoneInfo) -> None:
    local = moment.astimezone(tz)
    if name is not None and WEEKDAYS.index(name) != local.weekday():
        actual = WEEKDAYS[local.weekday()]
        raise when_error(f"Le {local:%d/%m/%Y} est un {actual}, pas un {name}", _EX_ONCE)


def _parse_relative_day(
    head: str, hour: int, minute: int, now: datetime, tz: ZoneInfo
) -> datetime | None:
    offset = _RELATIVE_DAYS.get(head)
    if offset is None:
        return None
    return local_instant(now.astimezone(tz).date() + timedelta(days=offset), hour, minute, tz)


def _one_off(moment: datetime, now: datetime, tz: ZoneInfo) -> Trigger:
    if moment <= now:
        raise when_error(f"Cette date est déjà passée : {format_datetime(moment, tz)}", _EX_SOON)
    if moment > now.astimezone(UTC) + timedelta(days=HORIZON_DAYS):
        raise when_error("Date trop lointaine : 5 ans au plus", _EX_ONCE)
    return _within_years(Trigger(at=moment), tz, _EX_ONCE)


def _within_years(trigger: Trigger, tz: ZoneInfo, example: str) -> Trigger:
    """A one-off trigger whose local date is within MIN_YEAR..MAX_YEAR (a delay counted
    from the last years of the range could leave it)."""
    problem = year_error(trigger.at.astimezone(tz).year) if trigger.at is not None else None
    if problem is not None:
        raise when_error(problem, example)
    return trigger


# --------------------------------------------------------------------------- splitting


def split_when_message(text: str) -> tuple[str, str]:
    """Split "<quand> : <message>" at the first colon that is not inside a time (8:15)."""
    index = _separator_index(text)
    if index is None:
        raise when_error("Séparez le moment et le message par « : »", _EX_SPLIT)
    when, message = text[:index].strip(), text[index + 1 :].strip()
    if not when:
        raise when_error("Précisez quand avant « : »", _EX_SPLIT)
    if not message:
        raise when_error("Message manquant après « : »", _EX_SPLIT)
    return when, message


def _separator_index(text: str) -> int | None:
    for index, char in enumerate(text):
        if char != ":":
            continue
        before, after = text[index - 1 : index], text[index + 1 : index + 2]
        if not (before.isdigit() and after.isdigit()):  # "8:15" is a time, not a separator
            return index
    return None
