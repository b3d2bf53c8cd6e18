"""« dans <n> <unité> »: every unit and spelling, the bounds of each, and the exact French
of each refusal (message, then an example to copy)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.paris_time import NOW, TZ, utc
from traam_bot.domain.occurrences import HORIZON_DAYS
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.when import parse_when

START = NOW.astimezone(TZ)  # mercredi 25 novembre 2026, 19h00 à Paris (18h00 UTC)


@pytest.mark.parametrize(("text", "after"), [
    ("dans 1 seconde", timedelta(seconds=1)),
    ("dans une seconde", timedelta(seconds=1)),
    ("dans 3600 secondes", timedelta(hours=1)),
    ("dans 45 sec", timedelta(seconds=45)),
    ("dans 10 secs", timedelta(seconds=10)),
    ("dans un mn", timedelta(minutes=1)),
    ("dans 1 min", timedelta(minutes=1)),
    ("dans 90 mins", timedelta(minutes=90)),
    ("dans une minute", timedelta(minutes=1)),
    ("dans une heure", timedelta(hours=1)),
    ("dans un jour", timedelta(days=1)),
    ("dans 2 semaines", timedelta(weeks=2)),
    ("dans 1 semaine", timedelta(weeks=1)),
])
def test_each_unit_and_spelling(text: str, after: timedelta) -> None:
    assert parse_when(text, NOW, TZ) == Trigger(at=NOW.astimezone(TZ) + after)


def test_seconds_are_counted_from_the_whole_second() -> None:
    now = NOW.replace(microsecond=900_000)
    assert parse_when("dans 5 secondes", now, TZ) == Trigger(at=utc(2026, 11, 25, 18, 0, 5))


def test_days_longer_than_the_horizon_are_refused_but_the_horizon_itself_is_not() -> None:
    assert parse_when(f"dans {HORIZON_DAYS} jours", NOW, TZ).at is not None
    with pytest.raises(WhenError) as caught:
        parse_when(f"dans {HORIZON_DAYS * 24 * 60 + 1} minutes", NOW, TZ)
    assert str(caught.value) == "Délai trop long : 5 ans au plus. Exemple : dans 2 heures"


@pytest.mark.parametrize(("text", "message"), [
    ("dans 0 seconde", "Délai en secondes : entre 1 et 3600. Exemple : dans 30 secondes"),
    ("dans 3601 secondes", "Délai en secondes : entre 1 et 3600. Exemple : dans 30 secondes"),
    ("dans 0 minute", "Le délai doit être d'au moins une minute. Exemple : dans 30 minutes"),
    ("dans 0 semaine", "Le délai doit être d'au moins une minute. Exemple : dans 30 minutes"),
    ("dans deux heures", "Délai non reconnu : « dans deux heures ». Exemple : dans 2 heures"),
    ("Dans 2 MOIS", "Délai non reconnu : « Dans 2 MOIS ». Exemple : dans 2 heures"),
])
def test_refusals_say_what_and_show_how(text: str, message: str) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, TZ)
    assert str(caught.value) == message


def test_an_unrecognised_delay_is_quoted_shortened() -> None:
    text = "dans " + "longtemps " * 14  # 145 characters: under the 200 a <quand> may take
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, TZ)
    quoted = str(caught.value).split("« ")[1].split(" »")[0]
    assert quoted.endswith("…") and len(quoted) <= 81
    assert quoted.startswith("dans longtemps")
