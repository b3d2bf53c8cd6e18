"""« le JJ/MM » without a year: the next time that day comes round, strictly after now, in
Paris time; 29/02 waits for a leap year; impossible days refused with the exact French."""

from __future__ import annotations

import pytest

from tests.unit.paris_time import NOW, TZ, paris
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.when import parse_when

# NOW: mercredi 25 novembre 2026, 19h00 à Paris


@pytest.mark.parametrize(("text", "expected"), [
    ("le 25/11 à 20h", paris(2026, 11, 25, 20)),   # later today
    ("le 25/11 à 19h", paris(2027, 11, 25, 19)),   # exactly now: next year
    ("le 25/11 à 18h", paris(2027, 11, 25, 18)),
    ("le 26/11 à 9h", paris(2026, 11, 26, 9)),
    ("le 01/01 à 0h", paris(2027, 1, 1, 0)),
    ("le 29/02 à 10h", paris(2028, 2, 29, 10)),    # the next leap year
    ("le 15/07 à 14h", paris(2027, 7, 15, 14)),    # summer time: 12h00 UTC
])
def test_the_next_time_the_day_comes_round(text: str, expected: object) -> None:
    assert parse_when(text, NOW, TZ) == Trigger(at=expected)  # type: ignore[arg-type]


def test_from_a_leap_day_the_next_one_is_four_years_on() -> None:
    after_leap_day = paris(2028, 2, 29, 12)
    assert parse_when("le 29/02 à 10h", after_leap_day, TZ) == Trigger(at=paris(2032, 2, 29, 10))


@pytest.mark.parametrize(("text", "message"), [
    ("le 31/04 à 10h", "Date impossible : 31/04. Exemple : le 15/12 à 14h"),
    ("le 30/02 à 10h", "Date impossible : 30/02. Exemple : le 15/12 à 14h"),
    ("le 00/05 à 10h", "Date impossible : 00/05. Exemple : le 15/12 à 14h"),
])
def test_impossible_days_are_refused(text: str, message: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, TZ)
    assert str(caught.value) == message
