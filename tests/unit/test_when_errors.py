"""Refused `<quand>` and cron expressions: each error says what is wrong and ends with an
example that is itself accepted; the cron fields expand as cron does (lists, ranges,
steps, names, Sunday as 0 or 7), and a date that never exists is refused."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.unit.paris_time import NOW, TZ, paris
from traam_bot.domain.occurrences import HORIZON_DAYS
from traam_bot.domain.triggers import Trigger, WhenError, spec_of
from traam_bot.domain.when import parse_when

EXAMPLE = re.compile(r"\. Exemples? : (?P<example>.+)$")

REFUSED = [  # (<quand>, start of the problem)
    ("chaque lundi", "Heure manquante dans « chaque lundi »"),
    ("dans 3 siècles", "Délai non reconnu : « dans 3 siècles »"),
    ("dans 123456789 jours", "Délai trop long : 5 ans au plus"),
    ("dans 0 minute", "Le délai doit être d"),
    ("dans 4000 secondes", "Délai en secondes : entre 1 et 3600"),
    ("chaque 32 du mois à 8h", "Jour du mois impossible : 32"),
    ("le 31/02/2027 à 9h", "Date impossible : 31/02/2027"),
    ("le 30/02 à 9h", "Date impossible : 30/02"),
    ("le 15/12/2150 à 9h", "Année 2150"),
    ("le lundi 01/12/2026 à 9h", "Le 01/12/2026 est un mardi, pas un lundi"),
    ("le 01/01/2020 à 9h", "Cette date est déjà passée"),
    ("le 01/01/2035 à 9h", "Date trop lointaine : 5 ans au plus"),
    ("chaque jour à 25h", "Heure impossible : 25h"),
    ("cron \"0 9 * *\"", "Expression cron invalide : « 0 9 * * »"),
]


def refusal(text: str) -> str:
    with pytest.raises(WhenError) as refused:
        trigger = parse_when(text, NOW, TZ)
        if trigger.cron is not None:
            spec_of(trigger)
    return str(refused.value)


@pytest.mark.parametrize(("text", "problem"), REFUSED)
def test_each_refusal_says_why_and_gives_an_example_that_works(text: str, problem: str) -> None:
    message = refusal(text)
    assert message.startswith(problem), message
    found = EXAMPLE.search(message)
    assert found is not None, message
    for example in found["example"].split(", "):
        example = re.sub(r" \(.*\)$", "", example)  # cron "…" (chaque lundi à 9h)
        trigger = parse_when(example, NOW, TZ)  # raises if the example itself is refused
        if trigger.cron is not None:
            spec_of(trigger)


def test_the_named_weekday_is_checked_in_local_time() -> None:
    """0h30 on Monday in Paris is still Sunday in UTC: the check is on the local date."""
    assert parse_when("le lundi 30/11/2026 à 0h30", NOW, TZ) == Trigger(
        at=paris(2026, 11, 30, 0, 30))


def test_relative_days_count_from_the_local_date() -> None:
    just_after_midnight = paris(2026, 11, 26, 0, 30)  # still the 25th in UTC
    assert parse_when("demain à 10h", just_after_midnight, TZ) == Trigger(
        at=paris(2026, 11, 27, 10, 0))


def test_the_horizon_is_inclusive() -> None:
    last = (NOW + timedelta(days=HORIZON_DAYS)).astimezone(TZ)
    accepted = parse_when(f"le {last:%d/%m/%Y} à 19h", NOW, TZ)
    assert accepted.at == last
    after = last + timedelta(days=1)
    assert refusal(f"le {after:%d/%m/%Y} à 19h").startswith("Date trop lointaine")


@pytest.mark.parametrize(("text", "weekdays"), [
    ("chaque jour du lundi au vendredi à 9h", (0, 1, 2, 3, 4)),
    ("chaque semaine du vendredi au lundi à 9h", (0, 4, 5, 6)),  # across the weekend
    ("du samedi au dimanche à 9h", (5, 6)),
    ("chaque mardis et jeudis à 9h", (1, 3)),
])
def test_day_ranges_wrap_around_the_week(text: str, weekdays: tuple[int, ...]) -> None:
    assert parse_when(text, NOW, TZ).weekdays == weekdays


@pytest.mark.parametrize(("text", "day"), [
    ("chaque premier du mois à 8h", 1), ("chaque 1er du mois à 8h", 1),
    ("tous les mois, le 15 à 8h", 15)])
def test_monthly_days(text: str, day: int) -> None:
    assert parse_when(text, NOW, TZ).day == day


# ------------------------------------------------------------------------------ cron
@pytest.mark.parametrize(("cron", "field", "expected"), [
    ("5,35 9 * * *", "minutes", (5, 35)),
    ("*/20 9 * * *", "minutes", (0, 20, 40)),
    ("10/20 9 * * *", "minutes", (10, 30, 50)),  # from 10 to the end, every 20
    ("0 8-10 * * *", "hours", (8, 9, 10)),
    ("0 8-12/2 * * *", "hours", (8, 10, 12)),
    ("0 9 1-3,15 * *", "days", frozenset({1, 2, 3, 15})),
    ("0 9 * JAN,mar *", "months", frozenset({1, 3})),
    ("0 9 * 2-4 *", "months", frozenset({2, 3, 4})),
    ("0 9 * * mon-fri", "weekdays", frozenset({0, 1, 2, 3, 4})),
    ("0 9 * * 0,7", "weekdays", frozenset({6})),  # Sunday, either way
    ("0 9 * * SAT", "weekdays", frozenset({5})),
])
def test_cron_fields_expand_like_cron(cron: str, field: str, expected: object) -> None:
    assert getattr(spec_of(Trigger(cron=cron)), field) == expected


@pytest.mark.parametrize("cron", ["0 9 29 2 *", "0 9 31 12 *", "0 9 31 1,4 *",
                                  "0 9 30 4 *"])
def test_cron_dates_that_exist_in_some_year_are_accepted(cron: str) -> None:
    assert spec_of(Trigger(cron=cron)).days


@pytest.mark.parametrize(("cron", "detail"), [
    ("0 9 30 2 *", "cette date n"),
    ("0 9 31 4,6,9,11 *", "cette date n"),
    ("0 9 * * 8", "jour de la semaine 8 hors de 0-7"),
    ("0 24 * * *", "heure 24 hors de 0-23"),
    ("0 9 * * lun", "valeur « lun » non reconnue pour le champ jour de la semaine"),
    ("0 9 5-2 * *", "intervalle ou pas invalide « 5-2 » pour le champ jour du mois"),
    ("*/0 9 * * *", "intervalle ou pas invalide « */0 » pour le champ minute"),
    ("0 9 *-3 * *", "« *-3 » non reconnu pour le champ jour du mois"),
    ("0 9 1;2 * *", "« 1;2 » non reconnu pour le champ jour du mois"),
    ("0 9 * 13 *", "mois 13 hors de 1-12"),
])
def test_cron_refusals_name_the_expression_and_the_field(cron: str, detail: str) -> None:
    message = refusal(f'cron "{cron}"')
    assert message.startswith(f"Expression cron invalide : « {cron} » ("), message
    assert detail in message
    assert message.endswith('Exemple : cron "0 9 * * 1" (chaque lundi à 9h)')
