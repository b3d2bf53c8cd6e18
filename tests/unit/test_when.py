"""Tests for traam_bot.domain.when: French `<quand>` parsing, errors, "<quand> : <message>"."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.unit.paris_time import NOW, TZ, paris, rule, utc
from traam_bot.domain.occurrences import next_occurrence
from traam_bot.domain.text import format_datetime
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.when import parse_when, split_when_message

# --------------------------------------------------------------------------- parsing

PARSE_CASES = [
    ("chaque lundi à 9h", rule(9, weekdays=(0,))),
    ("Chaque LUNDI A 9H00", rule(9, weekdays=(0,))),
    ("tous les lundis à 09:00", rule(9, weekdays=(0,))),
    ("  chaque   lundi  à  9 h  ", rule(9, weekdays=(0,))),
    ("chaque lundi 9h", rule(9, weekdays=(0,))),
    ("chaque jour à 17h30", rule(17, 30)),
    ("tous les jours à 17:30", rule(17, 30)),
    ("chaque jour à midi", rule(12)),
    ("chaque semaine le vendredi à 16h", rule(16, weekdays=(4,))),
    ("tous les mardis et jeudis à 8h15", rule(8, 15, weekdays=(1, 3))),
    ("chaque lundi, mercredi et vendredi à 8h", rule(8, weekdays=(0, 2, 4))),
    ("tous les jours du lundi au vendredi à 7h45", rule(7, 45, weekdays=(0, 1, 2, 3, 4))),
    ("chaque jour en semaine à 8h", rule(8, weekdays=(0, 1, 2, 3, 4))),
    ("tous les samedis et dimanches à 10 heures", rule(10, weekdays=(5, 6))),
    ("chaque 1er du mois à 8h", rule(8, day=1)),
    ("chaque 15 du mois à 10h", rule(10, day=15)),
    ("le 1er de chaque mois à 8h00", rule(8, day=1)),
    ("chaque mois le 20 à 18h", rule(18, day=20)),
    ("le 15/12/2026 à 14h", Trigger(at=utc(2026, 12, 15, 13))),
    ("le 15/12/26 à 14:00", Trigger(at=utc(2026, 12, 15, 13))),
    ("le 15/12 à 14h", Trigger(at=utc(2026, 12, 15, 13))),
    ("le 20/11 à 14h", Trigger(at=utc(2027, 11, 20, 13))),  # already past this year
    ("le 15 décembre 2026 à 14h", Trigger(at=utc(2026, 12, 15, 13))),
    ("le mardi 15 décembre 2026 à 14h00", Trigger(at=utc(2026, 12, 15, 13))),
    ("le 1er janvier à minuit", Trigger(at=utc(2026, 12, 31, 23))),
    ("demain à 10h", Trigger(at=utc(2026, 11, 26, 9))),
    ("aujourd'hui à 21h", Trigger(at=utc(2026, 11, 25, 20))),
    ("Aujourd’hui à 21h30", Trigger(at=utc(2026, 11, 25, 20, 30))),
    ("après-demain à 8h", Trigger(at=utc(2026, 11, 27, 7))),
    ("dans 2 heures", Trigger(at=utc(2026, 11, 25, 20))),
    ("dans 1 heure", Trigger(at=utc(2026, 11, 25, 19))),
    ("dans 2h", Trigger(at=utc(2026, 11, 25, 20))),
    ("dans 30 minutes", Trigger(at=utc(2026, 11, 25, 18, 30))),
    ("dans 3 jours", Trigger(at=utc(2026, 11, 28, 18))),
    ("dans une semaine", Trigger(at=utc(2026, 12, 2, 18))),
    ('cron "0 9 * * 1"', Trigger(cron="0 9 * * 1")),
    ("cron « */15 8-18 * * 1-5 »", Trigger(cron="*/15 8-18 * * 1-5")),
    ("cron “0  9 1,15 * *”", Trigger(cron="0 9 1,15 * *")),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_when(text: str, expected: Trigger) -> None:
    assert parse_when(text, NOW, TZ) == expected


NEXT_CASES = [
    ("chaque lundi à 9h", "lundi 30 novembre 2026 à 9h00"),
    ("chaque jour à 17h30", "jeudi 26 novembre 2026 à 17h30"),
    ("chaque jour à 20h", "mercredi 25 novembre 2026 à 20h00"),
    ("chaque mercredi à 19h", "mercredi 2 décembre 2026 à 19h00"),  # strictly after now
    ("chaque semaine le vendredi à 16h", "vendredi 27 novembre 2026 à 16h00"),
    ("tous les mardis et jeudis à 8h15", "jeudi 26 novembre 2026 à 8h15"),
    ("chaque 1er du mois à 8h", "mardi 1er décembre 2026 à 8h00"),
    ("chaque 31 du mois à 10h", "jeudi 31 décembre 2026 à 10h00"),
    ("le 15/12 à 14h", "mardi 15 décembre 2026 à 14h00"),
    ("demain à 10h", "jeudi 26 novembre 2026 à 10h00"),
    ("dans 2 heures", "mercredi 25 novembre 2026 à 21h00"),
    ('cron "0 9 * * 1"', "lundi 30 novembre 2026 à 9h00"),
    ('cron "0 9 * * 0"', "dimanche 29 novembre 2026 à 9h00"),
    ('cron "0 9 * * 7"', "dimanche 29 novembre 2026 à 9h00"),
    ('cron "0 9 * * sun"', "dimanche 29 novembre 2026 à 9h00"),
    ('cron "30 8 1,15 * *"', "mardi 1er décembre 2026 à 8h30"),
    ('cron "0 9 1 * 1"', "lundi 30 novembre 2026 à 9h00"),  # day OR weekday, as in cron
    ('cron "*/15 * * * *"', "mercredi 25 novembre 2026 à 19h15"),
    ('cron "0 0 * 1 *"', "vendredi 1er janvier 2027 à 0h00"),
    ('cron "0 12 29 2 *"', "mardi 29 février 2028 à 12h00"),
    ('cron "0 8-18/5 * * mon-fri"', "jeudi 26 novembre 2026 à 8h00"),
]


@pytest.mark.parametrize(("text", "expected"), NEXT_CASES)
def test_next_occurrence_in_french(text: str, expected: str) -> None:
    moment = next_occurrence(parse_when(text, NOW, TZ), NOW, TZ)
    assert moment is not None and moment.tzinfo == UTC
    assert format_datetime(moment, TZ) == expected


# --------------------------------------------------------------------------- errors

ERROR_CASES = [
    ("le 31/02/2026 à 10h", ["Date impossible", "31/02/2026"]),
    ("le 31/02 à 10h", ["Date impossible", "31/02"]),
    ("le 15/13/2026 à 10h", ["Date impossible", "15/13/2026"]),
    ("chaque jour à 25h", ["Heure impossible", "25h"]),
    ("chaque jour à 9h75", ["Heure impossible", "9h75"]),
    ("demain à 24:00", ["Heure impossible", "24:00"]),
    ("le 01/01/2026 à 10h", ["déjà passée", "jeudi 1er janvier 2026 à 10h00"]),
    ("aujourd'hui à 8h", ["déjà passée"]),
    ("le 25/11/2026 à 19h", ["déjà passée"]),
    ("le lundi 15/12/2026 à 9h", ["15/12/2026", "mardi", "pas un lundi"]),
    ("le 15/12/2040 à 9h", ["trop lointaine"]),
    ("chaque 32 du mois à 8h", ["Jour du mois impossible", "32"]),
    ("bonjour", ["pas compris", "bonjour"]),
    ("lundi prochain à 9h", ["pas compris"]),
    ("chaque lundi", ["Heure manquante"]),
    ("demain", ["Heure manquante"]),
    ("", ["Précisez quand"]),
    ("dans 0 minutes", ["au moins une minute"]),
    ("dans 2 mois", ["Délai non reconnu"]),
    ("dans 999999 jours", ["trop long"]),
    ('cron "0 9 * *"', ["cron", "5 champs"]),
    ('cron "60 9 * * 1"', ["cron", "minute 60", "0-59"]),
    ('cron "0 24 * * *"', ["cron", "heure 24"]),
    ('cron "0 9 0 * *"', ["cron", "jour du mois 0"]),
    ('cron "0 9 * 13 *"', ["cron", "mois 13"]),
    ('cron "0 9 * * 8"', ["cron", "jour de la semaine 8"]),
    ('cron "*/0 9 * * *"', ["cron", "pas invalide"]),
    ('cron "0 9 5-1 * *"', ["cron", "intervalle"]),
    ('cron "a b c d e"', ["cron", "non reconnu"]),
    ('cron "0 9 *-2 * *"', ["cron", "non reconnu"]),
    ('cron "0 0 31 2 *"', ["cron", "jamais"]),
    ("cron", ["cron", "5 champs"]),
]


@pytest.mark.parametrize(("text", "words"), ERROR_CASES)
def test_parse_when_errors_explain_and_give_an_example(text: str, words: list[str]) -> None:
    with pytest.raises(WhenError) as caught:
        parse_when(text, NOW, TZ)
    message = str(caught.value)
    assert "Exemple" in message
    for word in words:
        assert word in message


def test_when_error_is_a_value_error() -> None:
    assert issubclass(WhenError, ValueError)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_when("demain à 10h", datetime(2026, 11, 25, 19), TZ)


# --------------------------------------------------------------------------- split

SPLIT_CASES = [
    ("chaque lundi à 9h : Réunion", ("chaque lundi à 9h", "Réunion")),
    ("chaque lundi à 8:15 : Réunion", ("chaque lundi à 8:15", "Réunion")),
    ("demain à 10h:Appeler la DRANE", ("demain à 10h", "Appeler la DRANE")),
    ("le 15/12/2025 à 14:00: Bilan à 16:30", ("le 15/12/2025 à 14:00", "Bilan à 16:30")),
    ('cron "0 9 * * 1" : Point : ordre du jour', ('cron "0 9 * * 1"', "Point : ordre du jour")),
]


@pytest.mark.parametrize(("text", "expected"), SPLIT_CASES)
def test_split_when_message(text: str, expected: tuple[str, str]) -> None:
    assert split_when_message(text) == expected


SPLIT_ERRORS = [
    ("chaque lundi à 9h Réunion", "Séparez"),
    ("chaque lundi à 8:15", "Séparez"),
    ("chaque lundi à 9h :   ", "Message manquant"),
    (" : Réunion", "Précisez quand"),
]


@pytest.mark.parametrize(("text", "word"), SPLIT_ERRORS)
def test_split_when_message_errors(text: str, word: str) -> None:
    with pytest.raises(WhenError, match=word) as caught:
        split_when_message(text)
    assert "Exemple" in str(caught.value)


# --------------------------------------------------------------------------- DST


def test_one_off_in_the_spring_gap_moves_to_three() -> None:
    trigger = parse_when("le 29/03/2026 à 2h30", paris(2026, 3, 1), TZ)
    assert trigger.at == utc(2026, 3, 29, 1)
    assert format_datetime(trigger.at, TZ) == "dimanche 29 mars 2026 à 3h00"


def test_one_off_in_the_repeated_hour_takes_the_first() -> None:
    trigger = parse_when("le 25/10/2026 à 2h30", paris(2026, 10, 1), TZ)
    assert trigger.at == utc(2026, 10, 25, 0, 30)


def test_days_delay_keeps_wall_time_across_dst() -> None:
    trigger = parse_when("dans 1 jour", paris(2026, 3, 28, 9), TZ)
    assert trigger.at == utc(2026, 3, 29, 7)  # 9h00 local, only 23 hours later
    trigger = parse_when("dans 24 heures", paris(2026, 3, 28, 9), TZ)
    assert trigger.at == utc(2026, 3, 29, 8)  # an absolute duration: 10h00 local
