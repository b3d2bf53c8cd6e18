"""Pure personal-data rules: which names are searched for, how a forgotten person is rubbed
out of free text and JSON, and the retention limits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from traam_bot.domain.privacy import (
    FORGOTTEN,
    retention_cutoff,
    scrub_json,
    scrubber,
    searchable_names,
    technical_cutoff,
)

ALICE = "@alice:localhost"
F = FORGOTTEN


@pytest.mark.parametrize(("names", "expected"), [
    (["Alice Martin", "Alice Martin", " Alice "], ("Alice Martin", "Alice")),  # distinct, trimmed
    (["Al", "", "   "], ()),  # too short to search others' texts for
    ([FORGOTTEN, ALICE, "Alice"], ("Alice",)),  # never the placeholder or the id itself
])
def test_searchable_names(names: list[str], expected: tuple[str, ...]) -> None:
    assert searchable_names(names, ALICE) == expected


@pytest.mark.parametrize(("text", "expected"), [
    (f"merci {ALICE} !", f"merci {F} !"),
    ("Merci à Alice Martin et à Alice", f"Merci à {F} et à {F}"),  # the longest name first
    ("ALICE MARTIN a écrit", f"{F} a écrit"),  # any case
    ("Alicette et Malice restent", "Alicette et Malice restent"),  # whole words only
    ("(Alice)", f"({F})"),
    ("rien à voir", "rien à voir"),
])
def test_the_scrubber_replaces_the_id_and_whole_names(text: str, expected: str) -> None:
    assert scrubber(ALICE, ("Alice", "Alice Martin"))(text) == expected


def test_without_names_only_the_id_is_replaced() -> None:
    scrub = scrubber(ALICE, ())
    assert scrub(f"Alice ({ALICE})") == f"Alice ({F})"


def test_names_with_regex_characters_are_taken_literally() -> None:
    scrub = scrubber(ALICE, ("A. (prof)",))
    assert scrub("merci A. (prof) !") == f"merci {F} !"
    assert scrub("merci Ax (prof) !") == "merci Ax (prof) !"


def test_scrub_json_reaches_every_string_and_leaves_the_rest() -> None:
    scrub = scrubber(ALICE, ("Alice",))
    value = {"body": "pour Alice", "parts": [["fait", f"avec {ALICE}"], 3, None, True],
             ALICE: {"nested": ["Alice"]}}
    assert scrub_json(value, scrub) == {"body": f"pour {F}",
                                        "parts": [["fait", f"avec {F}"], 3, None, True],
                                        F: {"nested": [F]}}


@pytest.mark.parametrize(("now", "years", "cutoff"), [
    (datetime(2026, 12, 2, 3, 30, tzinfo=UTC), 3, datetime(2023, 12, 2, 3, 30, tzinfo=UTC)),
    (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 3, datetime(2025, 2, 28, 12, 0, tzinfo=UTC)),
    (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 4, datetime(2024, 2, 29, 12, 0, tzinfo=UTC)),
])
def test_retention_goes_back_whole_calendar_years(now: datetime, years: int,
                                                  cutoff: datetime) -> None:
    assert retention_cutoff(now, years) == cutoff


def test_technical_traces_are_kept_thirty_days() -> None:
    now = datetime(2026, 12, 2, 3, 30, tzinfo=UTC)
    assert technical_cutoff(now) == datetime(2026, 11, 2, 3, 30, tzinfo=UTC)
