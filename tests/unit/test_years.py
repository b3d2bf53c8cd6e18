"""School years as pure rules: writing them, the current year, and which year a dated
update (or resource) of a project belongs to."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.years import (
    YearError,
    current_year,
    looks_like_year,
    parse_year,
    record_year,
    school_year_of,
    split_year,
    year_bounds,
    year_in_text,
    years_status,
)

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("text", "year"), [
    ("2024-2025", "2024-2025"), ("2024/2025", "2024-2025"), ("2024-25", "2024-2025"),
    (" 2024 – 2025 ", "2024-2025"), ("2099-2100", "2099-2100"), ("1999-00", "1999-2000"),
])
def test_a_school_year_may_be_written_several_ways(text: str, year: str) -> None:
    assert parse_year(text) == year


@pytest.mark.parametrize("text", ["2024", "2024-2026", "2025-2024", "2024-2024", "20242025",
                                  "année 2024", "2101-2102", ""])
def test_anything_else_is_refused_with_the_way_to_write_it(text: str) -> None:
    with pytest.raises(YearError) as info:
        parse_year(text)
    assert "écrivez-la comme 2025-2026 (de septembre à août)" in str(info.value)


@pytest.mark.parametrize(("day", "year"), [
    (date(2025, 8, 31), "2024-2025"), (date(2025, 9, 1), "2025-2026"),
    (date(2025, 12, 31), "2025-2026"), (date(2026, 1, 1), "2025-2026"),
    (date(2026, 6, 30), "2025-2026"),
])
def test_the_school_year_runs_from_september_to_august(day: date, year: str) -> None:
    assert school_year_of(day) == year


def test_year_bounds_are_local_midnights_of_1_september() -> None:
    start, end = year_bounds("2025-2026", PARIS)
    assert (start, end) == (datetime(2025, 9, 1, tzinfo=PARIS), datetime(2026, 9, 1, tzinfo=PARIS))
    assert start.astimezone(UTC) == datetime(2025, 8, 31, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(("years", "today", "current"), [
    (["2024-2025", "2025-2026"], date(2025, 12, 1), "2025-2026"),
    (["2024-2025", "2025-2026"], date(2025, 6, 1), "2024-2025"),  # next year prepared early
    (["2024-2025", "2025-2026"], date(2026, 12, 2), "2025-2026"),  # not renewed yet
    (["2025-2026", "2024-2025"], date(2020, 1, 1), "2025-2026"),  # none contains today
    (["2024-2025"], date(2025, 9, 1), "2024-2025"),
    ([], date(2025, 9, 1), None),
])
def test_the_current_year(years: list[str], today: date, current: str | None) -> None:
    assert current_year(years, today) == current


AT = datetime(2025, 8, 31, 21, 59, tzinfo=UTC)  # 23:59 in Paris, still 2024-2025


@pytest.mark.parametrize(("years", "moment", "year"), [
    (["2024-2025", "2025-2026"], datetime(2025, 3, 1, tzinfo=UTC), "2024-2025"),
    (["2024-2025", "2025-2026"], datetime(2025, 10, 1, tzinfo=UTC), "2025-2026"),
    (["2024-2025", "2025-2026"], AT, "2024-2025"),
    (["2024-2025", "2025-2026"], datetime(2025, 8, 31, 22, 0, tzinfo=UTC), "2025-2026"),
    (["2024-2025"], datetime(2025, 10, 1, tzinfo=UTC), "2024-2025"),  # after its last year
    (["2025-2026"], datetime(2025, 6, 1, tzinfo=UTC), "2025-2026"),  # before its first
    (["2023-2024", "2025-2026"], datetime(2025, 1, 1, tzinfo=UTC), "2023-2024"),  # a gap
    ([], datetime(2025, 1, 1, tzinfo=UTC), None),
])
def test_the_year_a_record_belongs_to(years: list[str], moment: datetime,
                                      year: str | None) -> None:
    assert record_year(years, moment, PARIS) == year


@pytest.mark.parametrize(("tokens", "year", "rest"), [
    (["lettres", "2024-2025"], "2024-2025", ["lettres"]),
    (["2024/25", "dijon", "2024-2025"], "2024-2025", ["dijon"]),
    (["nsi", "2025"], None, ["nsi", "2025"]),  # a lone number is a theme word
    ([], None, []),
])
def test_a_year_among_search_words(tokens: list[str], year: str | None,
                                   rest: list[str]) -> None:
    assert split_year(tokens) == (year, rest)


def test_two_years_or_a_malformed_one_among_search_words_are_refused() -> None:
    with pytest.raises(YearError, match="Une seule année scolaire à la fois"):
        split_year(["2024-2025", "2025-2026"])
    with pytest.raises(YearError, match="« 2024-2026 » invalide"):
        split_year(["nsi", "2024-2026"])
    assert looks_like_year("2024-2026") and not looks_like_year("nsi")


def test_the_years_an_import_leaves_are_told_with_their_status() -> None:
    assert years_status(["2025-2026", "2024-2025"], date(2025, 12, 1)) == (
        "2024-2025 (archivée), 2025-2026 (en cours)")
    assert years_status([], date(2025, 12, 1)) == "aucune"


@pytest.mark.parametrize(("question", "year", "rest"), [
    ("Quels projets en 2024-2025 ?", "2024-2025", "Quels projets en  ?"),
    ("projets 2025/26 à Dijon", "2025-2026", "projets  à Dijon"),
    ("2024-2026 puis 2024-2025", "2024-2025", "2024-2026 puis "),
    ("le 01/12/2025 à 9h", None, "le 01/12/2025 à 9h"),  # a date is no school year
    ("projets à Dijon", None, "projets à Dijon"),
])
def test_a_year_in_a_question(question: str, year: str | None, rest: str) -> None:
    assert year_in_text(question) == (year, rest)
