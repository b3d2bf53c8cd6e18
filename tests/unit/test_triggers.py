"""Tests for traam_bot.domain.triggers and .occurrences: describe, JSON, cron, DST."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.unit.paris_time import NOW, TZ, paris, rule, utc
from traam_bot.domain.occurrences import MAX_OCCURRENCES, next_occurrence, occurrences_between
from traam_bot.domain.text import format_datetime
from traam_bot.domain.triggers import Trigger
from traam_bot.domain.when import parse_when

# --------------------------------------------------------------------------- describe / json

DESCRIBE_CASES = [
    (rule(9, weekdays=(0,)), "chaque lundi à 9h00"),
    (rule(17, 30), "chaque jour à 17h30"),
    (rule(8, 15, weekdays=(1, 3)), "les mardis et jeudis à 8h15"),
    (rule(8, weekdays=(0, 2, 4)), "les lundis, mercredis et vendredis à 8h00"),
    (rule(7, 45, weekdays=(0, 1, 2, 3, 4)), "du lundi au vendredi à 7h45"),
    (rule(8, day=1), "le 1er de chaque mois à 8h00"),
    (rule(10, day=15), "le 15 de chaque mois à 10h00"),
    (Trigger(at=utc(2026, 12, 15, 13)), "le mardi 15 décembre 2026 à 14h00"),
    (Trigger(cron="0 9 * * 1"), "cron « 0 9 * * 1 »"),
]


@pytest.mark.parametrize(("trigger", "expected"), DESCRIBE_CASES)
def test_describe(trigger: Trigger, expected: str) -> None:
    assert trigger.describe(TZ) == expected


@pytest.mark.parametrize(("trigger", "text"), DESCRIBE_CASES[:-1])
def test_describe_reads_back(trigger: Trigger, text: str) -> None:
    assert parse_when(text, NOW, TZ) == trigger


JSON_CASES = [
    (rule(9, weekdays=(0,)), '{"hour":9,"minute":0,"weekdays":[0]}'),
    (rule(17, 30), '{"hour":17,"minute":30}'),
    (rule(8, day=1), '{"day":1,"hour":8,"minute":0}'),
    (Trigger(at=paris(2026, 12, 15, 14)), '{"at":"2026-12-15T13:00:00+00:00"}'),
    (Trigger(cron="*/15 8-18 * * 1-5"), '{"cron":"*/15 8-18 * * 1-5"}'),
]


@pytest.mark.parametrize(("trigger", "stored"), JSON_CASES)
def test_json_round_trip(trigger: Trigger, stored: str) -> None:
    assert trigger.to_json() == stored
    assert Trigger.from_json(stored) == trigger
    assert Trigger.from_json(stored).is_one_off == (trigger.at is not None)


@pytest.mark.parametrize(
    "stored", ["[]", '{"when":"demain"}', '{"hour":9}', '{"cron":"0 9 * *"}', '{"at":"2026-12-15"}']
)
def test_from_json_rejects_garbage(stored: str) -> None:
    with pytest.raises(ValueError):
        Trigger.from_json(stored)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"at": datetime(2026, 12, 15, 14)},
        {"at": utc(2026, 12, 15), "hour": 9, "minute": 0},
        {"hour": 24, "minute": 0},
        {"hour": 9, "minute": 0, "weekdays": (7,)},
        {"hour": 9, "minute": 0, "day": 1, "weekdays": (0,)},
    ],
)
def test_trigger_rejects_inconsistent_fields(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Trigger(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- occurrences

WEEK = (paris(2026, 11, 30), paris(2026, 12, 7))  # Monday to Monday

CRON_WEEK_COUNTS = [
    ("0 9 * * *", 7),
    ("0 9 * * 1,3,5", 3),
    ("0 9 * * 6-7", 2),
    ("0 9 * * 0,7", 1),
    ("0 */6 * * *", 28),
    ("5-10/5 9 * * 1", 2),
    ("*/15 8-17 * * 1-5", 200),
    ("0 9 1,15 * 6", 2),  # Tuesday 1st and Saturday 5th
    ("0 9 * 12 *", 6),  # December only
    ("* * * * *", MAX_OCCURRENCES),  # capped
]


@pytest.mark.parametrize(("cron", "count"), CRON_WEEK_COUNTS)
def test_cron_occurrences_in_a_week(cron: str, count: int) -> None:
    found = occurrences_between(Trigger(cron=cron), *WEEK, TZ)
    assert len(found) == count
    assert found == sorted(set(found))
    assert all(WEEK[0] <= moment < WEEK[1] for moment in found)


def test_one_off_occurrences() -> None:
    trigger = Trigger(at=paris(2026, 12, 1, 10))
    assert next_occurrence(trigger, NOW, TZ) == utc(2026, 12, 1, 9)
    assert next_occurrence(trigger, paris(2026, 12, 1, 10), TZ) is None
    assert occurrences_between(trigger, *WEEK, TZ) == [utc(2026, 12, 1, 9)]
    assert occurrences_between(trigger, paris(2026, 12, 2), paris(2026, 12, 9), TZ) == []


def test_interval_starting_at_the_end_of_the_spring_gap() -> None:
    start = paris(2026, 3, 29, 3)  # first valid instant after the gap, 01:00 UTC
    assert occurrences_between(rule(2, 30), start, start + timedelta(hours=1), TZ) == [start]


def test_interval_is_half_open() -> None:
    daily = rule(0)
    found = occurrences_between(daily, paris(2026, 11, 30), paris(2026, 12, 2), TZ)
    assert found == [utc(2026, 11, 29, 23), utc(2026, 11, 30, 23)]


def test_sparse_cron_gives_up_after_five_years() -> None:
    leap_day = Trigger(cron="0 12 29 2 *")
    assert next_occurrence(leap_day, paris(2096, 3, 1), TZ) is None  # 2100 is not leap
    assert next_occurrence(leap_day, paris(2095, 3, 1), TZ) == utc(2096, 2, 29, 11)


def test_every_minute_over_a_week() -> None:
    found = occurrences_between(Trigger(cron="* * * * *"), *WEEK, TZ, limit=20_000)
    assert len(found) == 7 * 24 * 60


# --------------------------------------------------------------------------- DST

DAILY_NINE_DST = [
    # spring forward on Sunday 29/03/2026: 9h00 local is 08:00 UTC, then 07:00 UTC
    ((2026, 3, 28), [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]),
    # fall back on Sunday 25/10/2026: 07:00 UTC, then 08:00 UTC
    ((2026, 10, 24), [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]),
]


@pytest.mark.parametrize(("first_day", "expected"), DAILY_NINE_DST)
def test_daily_reminder_keeps_local_time_across_dst(
    first_day: tuple[int, int, int], expected: list[datetime]
) -> None:
    start = paris(*first_day)
    found = occurrences_between(rule(9), start, start + timedelta(days=3), TZ)
    assert found == expected
    assert [format_datetime(moment, TZ)[-6:] for moment in found] == ["à 9h00"] * 3


def _day_bounds(day: tuple[int, int, int]) -> tuple[datetime, datetime]:
    start = paris(*day)
    following = (start + timedelta(days=1)).date()
    return start, datetime(following.year, following.month, following.day, tzinfo=TZ)


HALF_PAST_TWO = [
    ((2026, 3, 28), utc(2026, 3, 28, 1, 30)),
    ((2026, 3, 29), utc(2026, 3, 29, 1, 0)),  # 2h30 does not exist: fires at 3h00 local
    ((2026, 3, 30), utc(2026, 3, 30, 0, 30)),
    ((2026, 10, 24), utc(2026, 10, 24, 0, 30)),
    ((2026, 10, 25), utc(2026, 10, 25, 0, 30)),  # 2h30 happens twice: first one only
    ((2026, 10, 26), utc(2026, 10, 26, 1, 30)),
]


@pytest.mark.parametrize(("day", "expected"), HALF_PAST_TWO)
def test_half_past_two_fires_exactly_once_a_day(
    day: tuple[int, int, int], expected: datetime
) -> None:
    assert occurrences_between(rule(2, 30), *_day_bounds(day), TZ) == [expected]


def test_half_past_two_chain_never_skips_nor_doubles() -> None:
    moment = paris(2026, 3, 27, 12)
    seen = []
    for _ in range(4):
        moment = next_occurrence(rule(2, 30), moment, TZ)
        assert moment is not None
        seen.append(moment)
    assert seen == [
        utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30),
        utc(2026, 3, 31, 0, 30),
    ]
    inside_repeated_hour = utc(2026, 10, 25, 0, 45)  # 2h45 CEST, before the second 2h30
    assert next_occurrence(rule(2, 30), inside_repeated_hour, TZ) == utc(2026, 10, 26, 1, 30)


CRON_DST = [
    ((2026, 3, 29), [utc(2026, 3, 29, 1)]),  # 2h00 and 2h30 both collapse into 3h00
    ((2026, 10, 25), [utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)]),
]


@pytest.mark.parametrize(("day", "expected"), CRON_DST)
def test_cron_in_the_dst_hour(day: tuple[int, int, int], expected: list[datetime]) -> None:
    assert occurrences_between(Trigger(cron="*/30 2 * * *"), *_day_bounds(day), TZ) == expected


def test_daily_reminder_over_a_whole_year_is_always_nine_local() -> None:
    found = occurrences_between(rule(9), paris(2026, 1, 1), paris(2027, 1, 1), TZ)
    assert len(found) == 365
    assert {moment.astimezone(TZ).strftime("%H:%M") for moment in found} == {"09:00"}
