"""What a reminder's trigger is: a one-off instant, a French rule or a raw cron expression.

Pure module (standard library and zoneinfo only). A `Trigger` is either a one-off
instant (`at`, aware, stored in UTC) or a recurring rule expressed in the *local wall
time* of a time zone (Europe/Paris by default): a French rule (`minute`, `hour`,
optional `day` of month or `weekdays`) or a raw 5-field cron expression (`cron`,
standard Vixie semantics: day-of-week 0 or 7 is Sunday, and when both day-of-month and
day-of-week are restricted a day matching either one fires). A day of month that a
month lacks (31, 30, 29 in February) is skipped in that month, as in cron.

`spec_of` expands a recurring trigger into the sets of minutes, hours and days that
`domain.occurrences` walks; `domain.when` turns French text into a `Trigger`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from traam_bot.domain.text import format_datetime

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_ALL_DAYS = frozenset(range(1, 32))
_ALL_MONTHS = frozenset(range(1, 13))
_ALL_WEEKDAYS = frozenset(range(7))
_EX_CRON = 'cron "0 9 * * 1" (chaque lundi à 9h)'


class WhenError(ValueError):
    """A `<quand>` the bot cannot use; `str()` is a French message with an example."""


def when_error(problem: str, example: str) -> WhenError:
    """The WhenError for `problem`, followed by « Exemple : <example> »."""
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
            return f"chaque {WEEKDAYS[self.weekdays[0]]} {at}"
        names = [f"{WEEKDAYS[d]}s" for d in self.weekdays]
        return f"les {', '.join(names[:-1])} et {names[-1]} {at}"


_JSON_KEYS = frozenset({"at", "minute", "hour", "day", "weekdays", "cron"})


def _ordinal(day: int) -> str:
    return "1er" if day == 1 else str(day)


# --------------------------------------------------------------------------- cron


@dataclass(frozen=True)
class Spec:
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
    return when_error(f"Expression cron invalide : « {expr} » ({detail})", _EX_CRON)


@lru_cache(maxsize=512)
def _parse_cron(expr: str) -> Spec:
    """Expand a 5-field cron expression; raises WhenError with a French reason."""
    fields = expr.split()
    if len(fields) != 5:
        raise _cron_error(expr, "5 champs attendus : minute heure jour mois jour-de-la-semaine")
    pairs = zip(fields, _CRON_FIELDS, strict=True)
    sets = [_cron_field(expr, text, field) for text, field in pairs]
    spec = Spec(
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


def spec_of(trigger: Trigger) -> Spec:
    """The minutes, hours and days a recurring trigger fires on (cron or French rule)."""
    if trigger.cron is not None:
        return _parse_cron(trigger.cron)
    assert trigger.minute is not None and trigger.hour is not None
    return Spec(
        minutes=(trigger.minute,),
        hours=(trigger.hour,),
        days=frozenset({trigger.day}) if trigger.day is not None else _ALL_DAYS,
        months=_ALL_MONTHS,
        weekdays=frozenset(trigger.weekdays) if trigger.weekdays else _ALL_WEEKDAYS,
        any_day=trigger.day is None,
        any_weekday=not trigger.weekdays,
    )
