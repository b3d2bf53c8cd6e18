"""The school year's calendar: holiday zones, school and public holidays, programme milestones.

Pure: the holiday knowledge itself sits behind the `HolidayCalendar` port (implemented
in config/holidays.py with the offline `vacances-scolaires-france` and `holidays`
packages, injected by app.py).

Rules (README « Vacances et calendrier »):

* Recurring prompts and reminders skip every day that is a school holiday of the room's
  zone or a French public holiday; the occurrence moves to the rule's next day that is
  neither (a weekly Monday prompt resumes on the first Monday back).
* A one-off dated reminder is kept even when its date falls in a holiday: its author chose
  that date; the confirmation says that it falls in a holiday.
* The room's zone: the zone of the académie of the project linked to the room; an unlinked
  room takes the zone shared by every académie of the directory, or none when they differ
  (then only public holidays are skipped).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from traam_bot.domain.text import fold, format_date

ZONES = ("A", "B", "C")

# Official zones of the académies (arrêté of the school calendar); traam.yaml's `zones:`
# may override or add entries. Keys are folded names (accents and case ignored).
OFFICIAL_ZONES: Mapping[str, str] = {
    **dict.fromkeys(("besancon", "bordeaux", "clermont-ferrand", "dijon", "grenoble",
                     "limoges", "lyon", "poitiers"), "A"),
    **dict.fromkeys(("aix-marseille", "amiens", "lille", "nancy-metz", "nantes", "nice",
                     "normandie", "orleans-tours", "reims", "rennes", "strasbourg"), "B"),
    **dict.fromkeys(("creteil", "montpellier", "paris", "toulouse", "versailles"), "C"),
}

_OPT_OUT = re.compile(r"[\s,]*(?:m[eêéè]me|aussi|y compris)\s+(?:pendant|durant|pour)\s+les"
                      r"\s+vacances(?:\s+scolaires)?[\s.!]*$", re.IGNORECASE)

Skip = Callable[[date], bool]
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class HolidayPeriod:
    """School holidays of one zone, first and last day included."""

    name: str  # « Vacances de Noël »
    first: date
    last: date
    zone: str


@dataclass(frozen=True, slots=True)
class Milestone:
    """A dated step of the programme (traam.yaml `calendrier:`)."""

    day: date
    title: str
    academies: tuple[str, ...] = ()  # empty: every académie
    indicative: bool = False

    def concerns(self, academies: Iterable[str]) -> bool:
        """Whether it applies to one of these académies (a milestone for all always does)."""
        if not self.academies:
            return True
        mine = {fold(a) for a in self.academies}
        return any(fold(a) in mine for a in academies)


class HolidayCalendar(Protocol):
    """Which days are holidays; dates outside the known years are never holidays."""

    def school_holiday(self, day: date, zone: str) -> bool: ...

    def public_holiday(self, day: date) -> str | None:
        """The public holiday's French name, or None."""
        ...

    def school_periods(self, first: date, last: date, zone: str) -> list[HolidayPeriod]:
        """Holiday periods of `zone` overlapping [first, last], in order."""
        ...


class NoHolidays:
    """A calendar without holidays (tests, or skipping turned off)."""

    def school_holiday(self, day: date, zone: str) -> bool:
        return False

    def public_holiday(self, day: date) -> str | None:
        return None

    def school_periods(self, first: date, last: date, zone: str) -> list[HolidayPeriod]:
        return []


@dataclass(frozen=True)
class Programme:
    """The holiday calendar, the zones and the milestones, with the `holidays.skip` switch."""

    calendar: HolidayCalendar
    milestones: tuple[Milestone, ...] = ()
    zones: Mapping[str, str] | None = None  # traam.yaml `zones:`, académie -> zone
    skip: bool = True

    def zone_of(self, academie: str) -> str | None:
        own = {fold(k): v for k, v in (self.zones or {}).items()}
        return own.get(fold(academie)) or OFFICIAL_ZONES.get(fold(academie))

    def common_zone(self, academies: Iterable[str]) -> str | None:
        """The zone every one of these académies has, or None (none given, or they differ)."""
        zones = {self.zone_of(a) for a in academies}
        return zones.pop() if len(zones) == 1 else None

    def skipper(self, zone: str | None) -> Skip | None:
        """The days a recurring schedule of this zone skips; None when nothing is skipped."""
        if not self.skip:
            return None
        calendar = self.calendar

        def skipped(day: date) -> bool:
            if zone is not None and calendar.school_holiday(day, zone):
                return True
            return calendar.public_holiday(day) is not None

        return skipped

    def holiday_on(self, day: date, zone: str | None) -> str | None:
        """What makes `day` a holiday (« vacances scolaires, zone A », « 1er mai »), or None."""
        if zone is not None and self.calendar.school_holiday(day, zone):
            return f"vacances scolaires, zone {zone}"
        name = self.calendar.public_holiday(day)
        return f"jour férié : {name}" if name else None


def skip_note(zone: str | None) -> str:
    """What a recurring schedule skips, for its confirmation."""
    if zone is None:
        return "hors jours fériés"
    return f"hors vacances scolaires, zone {zone}, et jours fériés"


def split_opt_out(when: str) -> tuple[str, bool]:
    """« chaque lundi à 9h même pendant les vacances » -> (« chaque lundi à 9h », True)."""
    match = _OPT_OUT.search(when)
    if match is None:
        return when, False
    return when[: match.start()].rstrip(" ,"), True


def day_label(day: date) -> str:
    """« lundi 5 janvier 2026 »."""
    return format_date(datetime(day.year, day.month, day.day, 12, tzinfo=_UTC), _UTC)
