"""Holiday calendar (offline tables), holiday skipping of recurring triggers, zones, the
`calendrier:` and `zones:` keys of traam.yaml, over the 2025-2026 and 2026-2027 years."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traam_bot.config import ConfigError, parse_directory
from traam_bot.config.holidays import FrenchHolidays
from traam_bot.domain.calendar import (
    HolidayPeriod,
    Milestone,
    NoHolidays,
    Programme,
    skip_note,
    split_opt_out,
)
from traam_bot.domain.digest import compose_digest
from traam_bot.domain.occurrences import next_occurrence, occurrences_between
from traam_bot.domain.triggers import Trigger
from traam_bot.domain.when import parse_when

TZ = ZoneInfo("Europe/Paris")
CAL = FrenchHolidays()
ZONE_A = Programme(CAL).skipper("A")
NO_ZONE = Programme(CAL).skipper(None)
MONDAY_9 = Trigger(weekdays=(0,), hour=9, minute=0)


def paris(y: int, m: int, d: int, h: int = 12, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


# --------------------------------------------------------------------- the tables


@pytest.mark.parametrize(("day", "zone", "expected"), [
    (date(2025, 12, 19), "A", False),  # last day of class before Christmas
    (date(2025, 12, 20), "A", True),
    (date(2026, 1, 4), "A", True),
    (date(2026, 1, 5), "A", False),  # first day back
    (date(2026, 2, 9), "A", True),  # winter, zone A: 7-22 February 2026
    (date(2026, 2, 23), "A", False),
    (date(2026, 2, 23), "C", True),  # zone C is still on holiday
    (date(2026, 11, 2), "A", False),  # back after Toussaint 2026
    (date(2027, 1, 4), "A", False),  # back after Christmas 2026
    (date(2026, 12, 21), "A", True),
    (date(2040, 1, 1), "A", False),  # beyond the tables: an ordinary day
])
def test_school_holidays_of_zone(day: date, zone: str, expected: bool) -> None:
    assert CAL.school_holiday(day, zone) is expected


@pytest.mark.parametrize(("day", "name"), [
    (date(2026, 4, 6), "Lundi de Pâques"),
    (date(2026, 5, 1), "Fête du Travail"),
    (date(2026, 11, 11), "Armistice"),
    (date(2027, 5, 6), "Ascension"),
    (date(2026, 4, 7), None),
])
def test_public_holidays(day: date, name: str | None) -> None:
    assert CAL.public_holiday(day) == name


def test_school_periods_overlapping_a_span_include_one_under_way() -> None:
    periods = CAL.school_periods(date(2025, 12, 25), date(2026, 2, 10), "A")
    assert periods == [
        HolidayPeriod("Vacances de Noël", date(2025, 12, 20), date(2026, 1, 4), "A"),
        HolidayPeriod("Vacances d’hiver", date(2026, 2, 7), date(2026, 2, 22), "A"),
    ]
    assert CAL.school_periods(date(2026, 1, 5), date(2026, 2, 6), "A") == []


# ------------------------------------------------------------------ skipping


@pytest.mark.parametrize(("after", "expected"), [
    # weekly Monday prompt during Christmas: resumes on the first Monday back
    (paris(2025, 12, 19), paris(2026, 1, 5, 9)),
    (paris(2026, 12, 18), paris(2027, 1, 4, 9)),
    # Monday 6 April 2026 (Easter Monday) is also in the spring holidays of zone A
    (paris(2026, 4, 3), paris(2026, 4, 20, 9)),
    # Lundi de Pentecôte 25 May 2026: a public holiday outside school holidays
    (paris(2026, 5, 20), paris(2026, 6, 1, 9)),
    (paris(2026, 10, 16), paris(2026, 11, 2, 9)),  # Toussaint 2026
])
def test_a_weekly_prompt_resumes_on_the_first_monday_back(after: datetime,
                                                          expected: datetime) -> None:
    assert next_occurrence(MONDAY_9, after, TZ, ZONE_A) == expected


def test_without_skipping_the_holiday_monday_is_kept() -> None:
    assert next_occurrence(MONDAY_9, paris(2025, 12, 19), TZ) == paris(2025, 12, 22, 9)


def test_public_holidays_only_when_no_zone_applies() -> None:
    # no zone: Easter Monday 2026 is skipped, the school holiday around it is not
    assert next_occurrence(MONDAY_9, paris(2026, 4, 3), TZ, NO_ZONE) == paris(2026, 4, 13, 9)
    wednesday = Trigger(weekdays=(2,), hour=14, minute=0)
    assert next_occurrence(wednesday, paris(2026, 11, 5), TZ, NO_ZONE) == paris(2026, 11, 18, 14)


def test_two_public_holidays_in_a_row_are_both_skipped() -> None:
    friday = Trigger(weekdays=(4,), hour=16, minute=0)  # 1 and 8 May 2026 are Fridays
    assert next_occurrence(friday, paris(2026, 4, 25), TZ, ZONE_A) == paris(2026, 5, 15, 16)


def test_daily_occurrences_over_christmas_never_fall_in_holidays_nor_double() -> None:
    daily = Trigger(hour=17, minute=30)
    found = occurrences_between(daily, paris(2025, 12, 15), paris(2026, 1, 10), TZ,
                                skip=ZONE_A)
    days = [f.astimezone(TZ).date() for f in found]
    assert days == [date(2025, 12, d) for d in range(15, 20)] + [
        date(2026, 1, d) for d in range(5, 10)]
    assert len(set(found)) == len(found)


def test_a_one_off_date_in_the_holidays_is_kept() -> None:
    trigger = parse_when("le 24/12/2025 à 10h", paris(2025, 12, 1), TZ)
    assert next_occurrence(trigger, paris(2025, 12, 1), TZ, ZONE_A) == paris(2025, 12, 24, 10)


def test_holiday_skipping_turned_off() -> None:
    assert Programme(CAL, skip=False).skipper("A") is None


# ----------------------------------------------------------------------- zones


def test_zones_default_to_the_official_ones_and_may_be_overridden() -> None:
    programme = Programme(NoHolidays(), zones={"Besançon": "B"})
    assert Programme(NoHolidays()).zone_of("Besançon") == "A"
    assert Programme(NoHolidays()).zone_of("DIJON") == "A"
    assert programme.zone_of("besancon") == "B"
    assert Programme(NoHolidays()).common_zone(["Besançon", "Dijon"]) == "A"
    assert Programme(NoHolidays()).common_zone(["Besançon", "Paris"]) is None
    assert Programme(NoHolidays()).common_zone([]) is None


def test_skip_note_names_the_zone() -> None:
    assert skip_note("A") == "hors vacances scolaires, zone A, et jours fériés"
    assert skip_note(None) == "hors jours fériés"


@pytest.mark.parametrize(("text", "expected"), [
    ("chaque lundi à 9h même pendant les vacances", ("chaque lundi à 9h", True)),
    ("chaque lundi à 9h, MEME pendant les vacances scolaires.", ("chaque lundi à 9h", True)),
    ("chaque lundi à 9h", ("chaque lundi à 9h", False)),
    ("pendant les vacances", ("pendant les vacances", False)),
])
def test_opt_out_phrase(text: str, expected: tuple[str, bool]) -> None:
    assert split_opt_out(text) == expected


# -------------------------------------------------------------------- traam.yaml


def _raw(**extra: object) -> dict[str, object]:
    return {"region": "R", "year": "2025-2026",
            "projects": [{"id": "p", "academie": "Besançon", "discipline": "NSI",
                          "theme": "t"}], **extra}


def test_calendrier_and_zones_are_read() -> None:
    directory = parse_directory(_raw(
        zones={"Besançon": "A"},
        calendrier=[{"date": "29/05/2026", "titre": "Ressources sur Édubase", "indicatif": True},
                    {"date": date(2026, 1, 30), "titre": "Point", "academies": ["Dijon"]}]))
    assert directory.zones == (("Besançon", "A"),)
    assert directory.milestones == (
        Milestone(date(2026, 1, 30), "Point", ("Dijon",)),
        Milestone(date(2026, 5, 29), "Ressources sur Édubase", (), True),
    )


@pytest.mark.parametrize(("extra", "message"), [
    ({"zones": {"Besançon": "D"}}, "zones : zone « D » de Besançon : attendu A, B ou C"),
    ({"calendrier": [{"date": "31/02/2026", "titre": "x"}]},
     "calendrier.0.date : date « 31/02/2026 » : attendu JJ/MM/AAAA ou AAAA-MM-JJ"),
    ({"calendrier": [{"date": "01/02/2026"}]}, "calendrier.0.titre"),
])
def test_bad_calendar_keys_are_refused_with_their_path(extra: dict[str, object],
                                                       message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_directory(_raw(**extra))
    assert message in str(err.value)


def test_the_shipped_directory_carries_indicative_milestones() -> None:
    from tests.unit.harness import REPO
    from traam_bot.config import load_directory

    shipped = load_directory(REPO / "config" / "traam.yaml")
    titles = " ".join(m.title for m in shipped.milestones)
    assert "Édubase" in titles and "Bilan national" in titles
    assert all(m.indicative for m in shipped.milestones)
    # the 2025-2026 milestones the issue asks for, and the coming year's
    assert {m.day.year for m in shipped.milestones} == {2026, 2027}
    assert sum(date(2026, 1, 1) <= m.day <= date(2026, 8, 31) for m in shipped.milestones) == 5


# ---------------------------------------------------------------------- digest text


def test_digest_calendar_section() -> None:
    now = datetime(2025, 12, 22, 7, 0, tzinfo=UTC)
    doc = compose_digest(
        projects=[], updates=[], last_update={}, upcoming=[], since=None, now=now, tz=TZ,
        milestones=[(Milestone(date(2026, 1, 5), "Rentrée des équipes", (), True), 14)],
        holidays=[HolidayPeriod("Vacances de Noël", date(2025, 12, 20), date(2026, 1, 4),
                                "A")])
    plain = doc.plain()
    assert "Vacances scolaires (zone A) jusqu’au dimanche 4 janvier 2026" in plain
    assert ("Jalon dans 14 jours — lundi 5 janvier 2026 : Rentrée des équipes "
            "(date indicative)") in plain


def test_bot_yaml_holidays_skip() -> None:
    from tests.unit.harness import settings_for

    assert settings_for(Path("."), extra=None).holidays.skip is True
    assert settings_for(Path("."), extra={"holidays": {"skip": False}}).holidays.skip is False
    with pytest.raises(ConfigError) as err:
        settings_for(Path("."), extra={"holidays": {"skip": "oui", "zone": "A"}})
    assert "holidays" in str(err.value)


@pytest.mark.parametrize("today", [date(2025, 12, 2), date(2026, 9, 5), date(2026, 11, 20),
                                   date(2026, 12, 2), date(2027, 6, 20), date(2027, 3, 1)])
def test_the_demo_prompt_would_fall_in_the_holidays_and_is_moved(today: date) -> None:
    from traam_bot.devtools.demo_script import holiday_prompt_when

    now = datetime(today.year, today.month, today.day, 8, 0, tzinfo=TZ)
    trigger = parse_when(holiday_prompt_when(today), now, TZ)
    natural = next_occurrence(trigger, now, TZ)
    skipped = next_occurrence(trigger, now, TZ, ZONE_A)
    assert natural is not None and skipped is not None
    assert CAL.school_holiday(natural.astimezone(TZ).date(), "A")
    assert skipped > natural
    assert not CAL.school_holiday(skipped.astimezone(TZ).date(), "A")


@given(start=st.datetimes(min_value=datetime(2025, 8, 25), max_value=datetime(2027, 8, 1),
                          timezones=st.just(TZ)),
       weekday=st.integers(0, 6), hour=st.integers(0, 23), zone=st.sampled_from("ABC"))
@settings(max_examples=150, deadline=None)
def test_skipping_yields_the_first_natural_occurrence_on_an_ordinary_day(
        start: datetime, weekday: int, hour: int, zone: str) -> None:
    trigger = Trigger(weekdays=(weekday,), hour=hour, minute=0)
    skip = Programme(CAL).skipper(zone)
    assert skip is not None
    found = next_occurrence(trigger, start, TZ, skip)
    assert found is not None
    natural = occurrences_between(trigger, start + timedelta(microseconds=1),
                                  found + timedelta(seconds=1), TZ)  # strictly after start
    assert natural[-1] == found  # an occurrence of the rule itself
    assert not skip(found.astimezone(TZ).date())
    assert all(skip(n.astimezone(TZ).date()) for n in natural[:-1])  # all before: holidays
