"""When a trigger fires: next occurrence and occurrences in an interval, across DST.

Pure module (standard library and zoneinfo only): the scheduler and the digests go
through `next_occurrence` and `occurrences_between`; recurring triggers keep the
*local wall time* of their time zone.

Daylight-saving rules (checked by tests/unit/test_triggers.py, Europe/Paris):

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

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from traam_bot.domain.triggers import Spec, Trigger, spec_of

MAX_OCCURRENCES = 1000
Skip = Callable[[date], bool]  # local days a recurring rule does not fire on (holidays)
HORIZON_DAYS = 5 * 366


def resolve_wall(wall: datetime, tz: ZoneInfo) -> datetime:
    """UTC instant of a naive local wall time: fold=0 when repeated, gap end when missing."""
    moment = datetime(wall.year, wall.month, wall.day, wall.hour, wall.minute, wall.second,
                      tzinfo=tz)
    for _ in range(48 * 60):  # real gaps last at most a day
        instant = moment.astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == moment.replace(tzinfo=None):
            return instant
        moment = (moment + timedelta(minutes=1)).replace(second=0)
    raise ValueError(f"no valid instant near {wall} in {tz}")


def local_instant(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """UTC instant of `hour:minute` local time on `day` (DST resolved as `resolve_wall`)."""
    return resolve_wall(datetime.combine(day, time(hour, minute)), tz)


def require_aware(moment: datetime, name: str) -> None:
    """Raise ValueError naming `name` when `moment` is a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"`{name}` must be an aware datetime")


def _iter_recurring(spec: Spec, after: datetime, tz: ZoneInfo) -> Iterator[datetime]:
    """Instants strictly after `after`, ascending, without duplicates, for 5 years."""
    last = after
    day = after.astimezone(tz).date() - timedelta(days=1)  # a gap may cross midnight
    end = day + timedelta(days=HORIZON_DAYS + 1)
    while day <= end:
        if spec.matches(day):
            for hour in spec.hours:
                for minute in spec.minutes:
                    moment = local_instant(day, hour, minute, tz)
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


def _iter_trigger(trigger: Trigger, after: datetime, tz: ZoneInfo,
                  skip: Skip | None = None) -> Iterator[datetime]:
    """A one-off fires on its date whatever `skip` says (its author chose it); a recurring
    rule's occurrences on skipped local days are left out, so the rule resumes on its next
    day that is not skipped."""
    if trigger.at is not None:
        return iter([trigger.at] if trigger.at > after else [])
    found = _iter_recurring(spec_of(trigger), after, tz)
    if skip is None:
        return found
    return (moment for moment in found if not skip(moment.astimezone(tz).date()))


def next_occurrence(trigger: Trigger, after: datetime, tz: ZoneInfo,
                    skip: Skip | None = None) -> datetime | None:
    """First firing strictly after `after` (aware), in UTC, on a day `skip` lets through;
    None when there is none."""
    require_aware(after, "after")
    return next(_iter_trigger(trigger, after, tz, skip), None)


def occurrences_between(
    trigger: Trigger, start: datetime, end: datetime, tz: ZoneInfo, limit: int = MAX_OCCURRENCES,
    skip: Skip | None = None,
) -> list[datetime]:
    """Firings in [start, end), in UTC, ascending, at most `limit` of them."""
    require_aware(start, "start")
    require_aware(end, "end")
    found: list[datetime] = []
    just_before = start.astimezone(UTC) - timedelta(microseconds=1)  # UTC: no wall-clock maths
    for moment in _iter_trigger(trigger, just_before, tz, skip):
        if moment >= end or len(found) >= limit:
            break
        found.append(moment)
    return found
