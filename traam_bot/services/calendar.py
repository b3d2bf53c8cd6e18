"""Which holidays apply where: a room's zone, what a schedule skips, what digests announce."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from traam_bot.domain.calendar import HolidayPeriod, Milestone, Programme, Skip
from traam_bot.domain.model import Project
from traam_bot.domain.records import Schedule

MILESTONE_NOTICES = (14, 3)  # digests announce a milestone this many days before
HOLIDAY_LOOKAHEAD = timedelta(days=7)  # digests announce holidays starting this soon


class CalendarService:
    """The programme's calendar seen from rooms: `project_for_room` and `projects` come from
    the directory service (its links and projects are read at call time)."""

    def __init__(self, programme: Programme,
                 project_for_room: Callable[[str], Project | None],
                 projects: Callable[[], list[Project]]) -> None:
        self.programme = programme
        self._project_for_room = project_for_room
        self._projects = projects

    @property
    def skipping(self) -> bool:
        return self.programme.skip

    def zone_for_room(self, room_id: str | None) -> str | None:
        """The linked project's académie's zone; an unlinked room (or none): the zone shared
        by every académie of the directory, else None (public holidays only)."""
        project = self._project_for_room(room_id) if room_id else None
        if project is not None:
            return self.programme.zone_of(project.academie)
        return self.directory_zone()

    def directory_zone(self) -> str | None:
        return self.programme.common_zone(p.academie for p in self._projects())

    def zones(self) -> list[str]:
        """The zones of the directory's académies, sorted."""
        found = {self.programme.zone_of(p.academie) for p in self._projects()}
        return sorted(z for z in found if z is not None)

    def skip_for(self, kind: str, room_id: str | None, skip_holidays: bool) -> Skip | None:
        """Days a schedule does not fire on: prompts and reminders skip holidays unless they
        opted out; digests never do."""
        if kind == "digest" or not skip_holidays:
            return None
        return self.programme.skipper(self.zone_for_room(room_id))

    def skip_of(self, schedule: Schedule) -> Skip | None:
        return self.skip_for(schedule.kind, schedule.room_id, schedule.skip_holidays)

    def academies_for_room(self, room_id: str | None) -> list[str]:
        project = self._project_for_room(room_id) if room_id else None
        if project is not None:
            return [project.academie]
        return sorted({p.academie for p in self._projects()})

    def coming_milestones(self, today: date, academies: list[str]) -> list[Milestone]:
        return [m for m in self.programme.milestones
                if m.day >= today and m.concerns(academies)]

    def periods(self, first: date, last: date, zone: str) -> list[HolidayPeriod]:
        return self.programme.calendar.school_periods(first, last, zone)

    def digest_notes(self, since: datetime, now: datetime, tz: ZoneInfo
                     ) -> tuple[list[tuple[Milestone, int]], list[HolidayPeriod]]:
        """What a digest for (since, now] announces: milestones whose 14- or 3-day mark was
        crossed in the period (with the days left), and the school holidays under way or
        starting within 7 days, per zone of the directory."""
        today = now.astimezone(tz).date()
        previous = since.astimezone(tz).date()
        academies = sorted({p.academie for p in self._projects()})
        milestones: list[tuple[Milestone, int]] = []
        for m in self.programme.milestones:
            if m.day < today or not m.concerns(academies):
                continue
            marks = (m.day - timedelta(days=n) for n in MILESTONE_NOTICES)
            if any(previous < mark <= today for mark in marks):
                milestones.append((m, (m.day - today).days))
        holidays: list[HolidayPeriod] = []
        for zone in self.zones():
            holidays += self.periods(today, today + HOLIDAY_LOOKAHEAD, zone)
        return milestones, holidays
