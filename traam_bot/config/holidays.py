"""The holiday calendar from offline tables: `vacances-scolaires-france` (school holidays per
zone) and `holidays` (French public holidays). Implements domain.calendar.HolidayCalendar."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as public_holidays
from vacances_scolaires_france import SchoolHolidayDates

from traam_bot.config.directory import load_directory
from traam_bot.config.settings import Settings
from traam_bot.domain.calendar import HolidayPeriod, Programme


@lru_cache(maxsize=1)
def _school_table() -> SchoolHolidayDates:
    return SchoolHolidayDates()  # reads the package's CSV once per process


class FrenchHolidays:
    """School holidays of zones A, B, C and public holidays of metropolitan France; a date
    beyond the tables' years is an ordinary day."""

    def __init__(self) -> None:
        self._school = _school_table()
        self._public = public_holidays.country_holidays("FR", language="fr")

    def school_holiday(self, day: date, zone: str) -> bool:
        if not self._school.min_year <= day.year <= self._school.max_year:
            return False
        return bool(self._school.is_holiday_for_zone(day, zone))

    def public_holiday(self, day: date) -> str | None:
        name = self._public.get(day)
        return str(name) if name else None

    def school_periods(self, first: date, last: date, zone: str) -> list[HolidayPeriod]:
        periods: list[HolidayPeriod] = []
        start: date | None = None
        name = ""
        day = first
        while self.school_holiday(day - timedelta(days=1), zone) and self.school_holiday(
                day, zone):  # a period already under way on `first`: from its first day
            day -= timedelta(days=1)
        end = last
        while day <= end or start is not None:
            on = self.school_holiday(day, zone)
            if on and start is None:
                start = day
                name = str(self._school.data[day]["nom_vacances"]).replace("'", "’")
            elif not on and start is not None:
                periods.append(HolidayPeriod(name, start, day - timedelta(days=1), zone))
                start = None
            day += timedelta(days=1)
        return periods


def programme_of(settings: Settings) -> Programme:
    """The holiday calendar with the directory file's zones and milestones (`calendrier:`)
    and bot.yaml's `holidays.skip`."""
    directory = load_directory(settings.directory)
    return Programme(FrenchHolidays(), directory.milestones, dict(directory.zones),
                     settings.holidays.skip)
