"""Parse French `<quand>` phrases (« chaque lundi à 9h ») and compute their occurrences.

Pure module (standard library and zoneinfo only): the scheduler, the commands and
the digests all go through `parse_when`, `next_occurrence` and `occurrences_between`.

A `Trigger` is either a one-off instant (`at`, aware, stored in UTC) or a recurring
rule expressed in the *local wall time* of a time zone (Europe/Paris by default):
a French rule (`minute`, `hour`, optional `day` of month or `weekdays`) or a raw
5-field cron expression (`cron`, standard Vixie semantics: day-of-week 0 or 7 is
Sunday, and when both day-of-month and day-of-week are restricted a day matching
either one fires). A day of month that a month lacks (31, 30, 29 in February) is
skipped in that month, as in cron.

Daylight-saving rules (checked by tests/unit/test_schedule.py, Europe/Paris):

* Wall time is kept: a daily 9h00 reminder fires at 9h00 local every day, i.e.
  08:00 UTC on 28/03/2026, 07:00 UTC on 29/03/2026, 07:00 UTC on 24/10/2026 and
  08:00 UTC on 25/10/2026. "dans 3 jours" also keeps the wall time; "dans 2 heures"
  and "dans 30 minutes" are absolute durations.
* A wall time that does not exist (2h30 on 29/03/2026, clocks jump 2h00 -> 3h00)
  fires once, at the first valid instant after the gap: 3h00 local = 01:00 UTC.
  Several missing times of the same rule (2h00 and 2h30) collapse into that one
  firing.
* A wall time that happens twice (2h30 on 25/10/2026, clocks go back 3h00 -> 2h00)
  fires exactly once, at its first occurrence (fold=0): 2h30 CEST = 00:30 UTC.

Aware datetimes are always built as `datetime(..., tzinfo=zone)` (fold=0), never
with pytz. `next_occurrence` looks at most 5 years ahead and walks days, then the
rule's few times of day, never minute by minute over long ranges.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from traam_bot.domain.text import fold, format_datetime, shorten

PARIS = ZoneInfo("Europe/Paris")
MAX_OCCURRENCES = 1000
HORIZON_DAYS = 5 * 366

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = (  # folded, for parsing
    "janvier", "fevrier", "mars", "avril", "mai", "juin",
    "juillet", "aout", "septembre", "octobre", "novembre", "decembre",
)
_ALL_MINUTES = tuple(range(60))
_ALL_DAYS = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_ALL_WEEKDAYS = frozenset(range(7))

_EX_ONCE = "le 15/12/2027 à 14h"
_EX_SOON = "demain à 10h"
_EX_DAILY = "chaque jour à 17h30"
_EX_WEEKLY = "chaque lundi à 9h"
_EX_MONTHLY = "chaque 1er du mois à 8h"
_EX_DELAY = "dans 2 heures"
_EX_CRON = 'cron "0 9 * * 1" (chaque lundi à 9h)'
_EX_SPLIT = "chaque lundi à 9h : Réunion d'équipe"
_EXAMPLES = 'chaque lundi à 9h, le 15/12/2027 à 14h, dans 2 heures, cron "0 9 * * 1"'


class WhenError(ValueError):
    """A `<quand>` the bot cannot use; `str()` is a French message with an example."""


def _fail(problem: str, example: str) -> WhenError:
    return WhenError(f"{problem}. Exemple : {example}")


# --------------------------------------------------------------------------- trigger


@dataclass(frozen=True)
class Trigger:
    """When a reminder fires: a one-off `at` (UTC), a French rule, or a raw `cron`."""

    at: datetime | None = None
    minute: int | None = None
    hour: int | None = None
    day: int | None = None
    weekdays: tuple[int, ...] | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        rule = (self.minute, self.hour, self.day, self.weekdays)
        if self.at is not None:
            if self.at.tzinfo is None or self.cron is not None or any(f is not None for f in rule):
                raise ValueError("a one-off trigger needs an aware `at` and nothing else")
            object.__setattr__(self, "at", self.at.astimezone(UTC))
        elif self.cron is not None:
            if any(f is not None for f in rule):
                raise ValueError("a cron trigger takes no other field")
            object.__setattr__(self, "cron", " ".join(self.cron.split()))
            _parse_cron(self.cron)
        else:
            self._check_rule()

    def _check_rule(self) -> None:
        if self.minute is None or self.hour is None:
            raise ValueError("a recurring trigger needs `minute` and `hour`")
        if not (0 <= self.minute <= 59 and 0 <= self.hour <= 23):
            raise ValueError(f"invalid time {self.hour}:{self.minute}")
        if self.day is not None and self.weekdays is not None:
            raise ValueError("give either `day` or `weekdays`, not both")
        if self.day is not None and not 1 <= self.day <= 31:
            raise ValueError(f"invalid day of month {self.day}")
        if self.weekdays is not None:
            days = tuple(sorted(set(self.weekdays)))
            if not days or any(not 0 <= d <= 6 for d in days):
                raise ValueError(f"invalid weekdays {self.weekdays}")
            object.__setattr__(self, "weekdays", days)

    @property
    def is_one_off(self) -> bool:
        return self.at is not None

    def to_json(self) -> str:
        """Stable JSON for a database column (sorted keys, unset fields left out)."""
        data: dict[str, object] = {
            "at": self.at.isoformat() if self.at is not None else None,
            "minute": self.minute,
            "hour": self.hour,
            "day": self.day,
            "weekdays": list(self.weekdays) if self.weekdays is not None else None,
            "cron": self.cron,
        }
        kept = {key: value for key, value in data.items() if value is not None}
        return json.dumps(kept, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Trigger:
        """Inverse of `to_json`; raises ValueError on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict) or not set(data) <= _JSON_KEYS:
            raise ValueError(f"not a trigger: {text!r}")
        weekdays = data.get("weekdays")
        return cls(
            at=datetime.fromisoformat(data["at"]) if "at" in data else None,
            minute=data.get("minute"),
            hour=data.get("hour"),
            day=data.get("day"),
            weekdays=tuple(weekdays) if weekdays is not None else None,
            cron=data.get("cron"),
        )

    def describe(self, tz: ZoneInfo = PARIS) -> str:
        """French text: "chaque lundi à 9h00", "le lundi 15 décembre 2025 à 14h00"…"""
        if self.at is not None:
            return f"le {format_datetime(self.at, tz)}"
        if self.cron is not None:
            return f"cron « {self.cron} »"
        at = f"à {self.hour}h{self.minute:02d}"
        if self.day is not None:
            return f"le {_ordinal(self.day)} de chaque mois {at}"
        if not self.weekdays:
            return f"chaque jour {at}"
        if self.weekdays == (0, 1, 2, 3, 4):
            return f"du lundi au vendredi {at}"
        if len(self.weekdays) == 1:
            return f"chaque {_WEEKDAYS[self.weekdays[0]]} {at}"
        names = [f"{_WEEKDAYS[d]}s" for d in self.weekdays]
        return f"les {', '.join(names[:-1])} et {names[-1]} {at}"


_JSON_KEYS = frozenset({"at", "minute", "hour", "day", "weekdays", "cron"})


def _ordinal(day: int) -> str:
    return "1er" if day == 1 else str(day)


# --------------------------------------------------------------------------- cron


@dataclass(frozen=True)
class _Spec:
    """Expanded rule: sorted minutes/hours, day sets (weekdays 0 = Monday)."""

    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    def matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = day.weekday() in self.weekdays
        if self.any_day or self.any_weekday:
            return in_days and in_weekdays
        return in_days or in_weekdays


class _CronField(NamedTuple):
    name: str  # French, for error messages
    low: int
    high: int
    aliases: dict[str, int]


_CRON_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_CRON_FIELDS = (
    _CronField("minute", 0, 59, {}),
    _CronField("heure", 0, 23, {}),
    _CronField("jour du mois", 1, 31, {}),
    _CronField("mois", 1, 12, {name: i + 1 for i, name in enumerate(_CRON_MONTHS)}),
    _CronField("jour de la semaine", 0, 7, {name: i for i, name in enumerate(_CRON_DAYS)}),
)
_CRON_ITEM = re.compile(r"(?P<start>\*|\w+)(?:-(?P<end>\w+))?(?:/(?P<step>\d+))?")


def _cron_error(expr: str, detail: str) -> WhenError:
    return _fail(f"Expression cron invalide : « {expr} » ({detail})", _EX_CRON)


@lru_cache(maxsize=512)
def _parse_cron(expr: str) -> _Spec:
    """Expand a 5-field cron expression; raises WhenError with a French reason."""
    fields = expr.split()
    if len(fields) != 5:
        raise _cron_error(expr, "5 champs attendus : minute heure jour mois jour-de-la-semaine")
    pairs = zip(fields, _CRON_FIELDS, strict=True)
    sets = [_cron_field(expr, text, field) for text, field in pairs]
    spec = _Spec(
        minutes=tuple(sorted(sets[0])),
        hours=tuple(sorted(sets[1])),
        days=sets[2],
        months=sets[3],
        weekdays=frozenset((d - 1) % 7 for d in sets[4]),  # cron 0/7 = Sunday -> 6
        any_day=fields[2].startswith("*"),
        any_weekday=fields[4].startswith("*"),
    )
    if spec.any_weekday and not any(d <= _month_length(m) for m in spec.months for d in spec.days):
        raise _cron_error(expr, "cette date n'existe jamais, la règle ne se produirait pas")
    return spec


def _cron_field(expr: str, text: str, field: _CronField) -> frozenset[int]:
    name, low, high, _ = field
    values: set[int] = set()
    for item in text.split(","):
        match = _CRON_ITEM.fullmatch(item.lower())
        if match is None:
            raise _cron_error(expr, f"« {item} » non reconnu pour le champ {name}")
        if match["start"] == "*":
            if match["end"]:
                raise _cron_error(expr, f"« {item} » non reconnu pour le champ {name}")
            start, end = low, high
        else:
            start = _cron_value(expr, match["start"], field)
            default_end = high if match["step"] else start
            end = _cron_value(expr, match["end"], field) if match["end"] else default_end
        step = int(match["step"] or 1)
        if step == 0 or start > end:
            raise _cron_error(expr, f"intervalle ou pas invalide « {item} » pour le champ {name}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _cron_value(expr: str, token: str, field: _CronField) -> int:
    name, low, high, aliases = field
    value = int(token) if token.isdigit() else aliases.get(token)
    if value is None:
        raise _cron_error(expr, f"valeur « {token} » non reconnue pour le champ {name}")
    if not low <= value <= high:
        raise _cron_error(expr, f"{name} {value} hors de {low}-{high}")
    return value


def _month_length(month: int) -> int:
    """Longest length of `month` (29 for February)."""
    following = date(2000 + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _spec(trigger: Trigger) -> _Spec:
    if trigger.cron is not None:
        return _parse_cron(trigger.cron)
    assert trigger.minute is not None and trigger.hour is not None
    return _Spec(
        minutes=(trigger.minute,),
        hours=(trigger.hour,),
        days=frozenset({trigger.day}) if trigger.day is not None else _ALL_DAYS,
        months=_ALL_MONTHS,
        weekdays=frozenset(trigger.weekdays) if trigger.weekdays else _ALL_WEEKDAYS,
        any_day=trigger.day is None,
        any_weekday=not trigger.weekdays,
    )


# --------------------------------------------------------------------------- occurrences


def _resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant of a naive local wall time: fold=0 when repeated, gap end when missing."""
    moment = datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
                      tzinfo=tz)
    for _ in range(48 * 60):  # real gaps last at most a day
        instant = moment.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == moment.replace(tzinfo=None):
            return instant
        moment = (moment + timedelta(minutes=1)).replace(second=0)
    raise ValueError(f"no valid instant near {wall} in {tz}")


def _local(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    return _resolve(datetime.combine(day, time(hour, minute)), tz)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"`{name}` must be an aware datetime")


def _iter_recurring(spec: _Spec, after: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """Instants strictly after `after`, ascending, without duplicates, for 5 years."""
    last = after
    day = after.astimezone(tz).date() - timedelta(days=1)  # a gap may cross midnight
    end = day + timedelta(days=HORIZON_DAYS + 1)
    while day <= end:
        if spec.matches(day):
            for hour in spec.hours:
                for minute in spec.minutes:
                    moment = _local(day, hour, minute, tz)
                    if moment > last:
                        last = moment
                        yield moment
        day = _next_day(day, spec.months)


def _next_day(day: date, months: frozenset[int]) -> date:
    """The following day, jumping over whole months the rule never fires in."""
    day += timedelta(days=1)
    for _ in range(12):
        if day.month in months:
            break
        day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return day


def _iter_trigger(trigger: Trigger, after: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    if trigger.at is not None:
        return iter([trigger.at] if trigger.at > after else [])
    return _iter_recurring(_spec(trigger), after, tz)


def next_occurrence(trigger: Trigger, after: datetime, tz: ZoneInfo) -> datetime | None:
    """First firing strictly after `after` (aware), in UTC; None when there is none."""
    _require_aware(after, "after")
    return next(_iter_trigger(trigger, after, tz), None)


def occurrences_between(
    trigger: Trigger, start: datetime, end: datetime, tz: ZoneInfo, limit: int = MAX_OCCURRENCES
) -> list[datetime]:
    """Firings in [start, end), in UTC, ascending, at most `limit` of them."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    found: list[datetime] = []
    just_before = start.astimezone(UTC) - timedelta(microseconds=1)  # UTC: no wall-clock maths
    for moment in _iter_trigger(trigger, just_before, tz):
        if moment >= end or len(found) >= limit:
            break
        found.append(moment)
    return found


# --------------------------------------------------------------------------- parsing

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
    rf"^(?:le )?(?:(?P<wd>{'|'.join(_WEEKDAYS)}) )?"
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
    _require_aware(now, "now")
    raw = _normalize(text)
    if not raw:
        raise _fail("Précisez quand", _EXAMPLES)
    if raw.startswith("cron"):
        return Trigger(cron=raw[4:].strip(" \"'<>`"))
    if raw.startswith("dans "):
        return _parse_delay(text, raw, now, tz)
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
        return _fail(f"Heure manquante dans « {shown} »", _EX_WEEKLY)
    return WhenError(f"Je n'ai pas compris « {shown} ». Exemples : {_EXAMPLES}")


def _parse_time(token: str) -> tuple[int, int]:
    if token in ("midi", "minuit"):
        return (12, 0) if token == "midi" else (0, 0)
    match = _TIME_PARTS.fullmatch(token)
    assert match is not None
    hour, minute = int(match[1]), int(match[2] or 0)
    if hour > 23 or minute > 59:
        raise _fail(f"Heure impossible : {token.replace(' ', '')}", _EX_DAILY)
    return hour, minute


def _parse_delay(text: str, raw: str, now: datetime, tz: ZoneInfo) -> Trigger:
    match = _DELAY.match(raw)
    if match is None:
        raise _fail(f"Délai non reconnu : « {shorten(text.strip(), 80)} »", _EX_DELAY)
    count = 1 if match["n"] in ("un", "une") else int(match["n"])
    if match["unit"].startswith("sec"):  # short delays: handy for trying the bot out
        if not 1 <= count <= 3600:
            raise _fail("Délai en secondes : entre 1 et 3600", "dans 30 secondes")
        return Trigger(at=now.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=count))
    unit = match["unit"][0]
    minutes = count * _DELAY_MINUTES[unit]
    if minutes == 0:
        raise _fail("Le délai doit être d'au moins une minute", "dans 30 minutes")
    if minutes > HORIZON_DAYS * 24 * 60:
        raise _fail("Délai trop long : 5 ans au plus", _EX_DELAY)
    start = now.astimezone(UTC).replace(microsecond=0)
    if unit in "mh":  # absolute duration, computed in UTC (aware local + timedelta is wall time)
        return Trigger(at=start + timedelta(minutes=minutes))
    wall = start.astimezone(tz).replace(tzinfo=None) + timedelta(minutes=minutes)
    return Trigger(at=_resolve(wall, tz))  # days and weeks keep the wall time


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
    return _WEEKDAYS.index(name) if name in _WEEKDAYS else None


def _expand_day_range(match: re.Match[str]) -> str:
    first, last = _weekday_index(match[1]), _weekday_index(match[2])
    if first is None or last is None:
        return match[0]
    return " ".join(_WEEKDAYS[(first + i) % 7] for i in range((last - first) % 7 + 1))


def _parse_monthly(head: str, hour: int, minute: int) -> Trigger | None:
    match = _MONTHLY.match(head)
    if match is None:
        return None
    day = _day_number(match["d1"] or match["d2"])
    if not 1 <= day <= 31:
        raise _fail(f"Jour du mois impossible : {day}", _EX_MONTHLY)
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
        moment = _local(_valid_date(day, month, year), hour, minute, tz)
    _check_weekday(match["wd"], moment, tz)
    return moment


def _valid_date(day: int, month: int, year: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _fail(f"Date impossible : {day:02d}/{month:02d}/{year}", _EX_ONCE) from None


def _next_yearly(
    day: int, month: int, hour: int, minute: int, now: datetime, tz: ZoneInfo
) -> datetime:
    """Next time this day/month comes round after `now` (29/02 waits for a leap year)."""
    try:
        date(2000, month, day)
    except ValueError:
        raise _fail(f"Date impossible : {day:02d}/{month:02d}", "le 15/12 à 14h") from None
    year = now.astimezone(tz).year
    for candidate in range(year, year + 9):
        try:
            moment = _local(date(candidate, month, day), hour, minute, tz)
        except ValueError:
            continue
        if moment > now:
            return moment
    raise _fail(f"Date impossible : {day:02d}/{month:02d}", "le 15/12 à 14h")


def _check_weekday(name: str | None, moment: datetime, tz: ZoneInfo) -> None:
    local = moment.astimezone(tz)
    if name is not None and _WEEKDAYS.index(name) != local.weekday():
        actual = _WEEKDAYS[local.weekday()]
        raise _fail(f"Le {local:%d/%m/%Y} est un {actual}, pas un {name}", _EX_ONCE)


def _parse_relative_day(
    head: str, hour: int, minute: int, now: datetime, tz: ZoneInfo
) -> datetime | None:
    offset = _RELATIVE_DAYS.get(head)
    if offset is None:
        return None
    return _local(now.astimezone(tz).date() + timedelta(days=offset), hour, minute, tz)


def _one_off(moment: datetime, now: datetime, tz: ZoneInfo) -> Trigger:
    if moment <= now:
        raise _fail(f"Cette date est déjà passée : {format_datetime(moment, tz)}", _EX_SOON)
    if moment > now.astimezone(UTC) + timedelta(days=HORIZON_DAYS):
        raise _fail("Date trop lointaine : 5 ans au plus", _EX_ONCE)
    return Trigger(at=moment)


# --------------------------------------------------------------------------- splitting


def split_when_message(text: str) -> tuple[str, str]:
    """Split "<quand> : <message>" at the first colon that is not inside a time (8:15)."""
    index = _separator_index(text)
    if index is None:
        raise _fail("Séparez le moment et le message par « : »", _EX_SPLIT)
    when, message = text[:index].strip(), text[index + 1 :].strip()
    if not when:
        raise _fail("Précisez quand avant « : »", _EX_SPLIT)
    if not message:
        raise _fail("Message manquant après « : »", _EX_SPLIT)
    return when, message


def _separator_index(text: str) -> int | None:
    for index, char in enumerate(text):
        if char != ":":
            continue
        before, after = text[index - 1 : index], text[index + 1 : index + 2]
        if not (before.isdigit() and after.isdigit()):  # "8:15" is a time, not a separator
            return index
    return None
