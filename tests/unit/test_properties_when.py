"""Properties of the `<quand>` parser (domain.when), of cron expressions and of the
recurrence bound, over thousands of random and hostile inputs: the only error is WhenError
with a French message; what parses is a trigger that can be scheduled, within the bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.strategies import NUMBERS, french_or_hostile, hostile_text, phrase, sized
from traam_bot.domain.limits import MAX_YEAR, MIN_YEAR, minimum_gap
from traam_bot.domain.occurrences import HORIZON_DAYS, next_occurrence, occurrences_between
from traam_bot.domain.triggers import Trigger, WhenError
from traam_bot.domain.when import parse_when, split_when_message

# unidecode warns about the lone surrogates fed on purpose (the bot replaces them first)
pytestmark = pytest.mark.filterwarnings("ignore:Surrogate character:RuntimeWarning")

WHEN_WORDS = [
    "chaque", "tous", "les", "le", "la", "du", "au", "de", "et", "à", "a", "dans", "demain",
    "aujourd’hui", "après-demain", "ce soir", "midi", "minuit", "h", "heures", "heure",
    "minutes", "min", "secondes", "jours", "jour", "semaines", "semaine", "mois", "1er",
    "premier", "lundi", "mardis", "mercredi", "jeudis", "vendredi", "samedi", "dimanche",
    "en semaine", "ouvrés", "janvier", "février", "décembre", "août", "une", "un", "cron",
    '"', "*", "*/5", "1-5", ",", "/", ":", "9h", "17h30", "8:15", "24h", "23h59", "15/12/2027",
    "29/02", "31/04", "01/01/0001", "31/12/9999", "1/1/2101", "toutes", "mois,",
]
CRON_FIELD = st.one_of(
    st.sampled_from(["*", "*/1", "*/7", "0", "59", "60", "1-5", "5-1", "mon", "sun-sat", "jan",
                     "0,30", "1,15,31", "*/0", "7", "L", "?", "1/2", "-", ",", "", "02"]),
    st.sampled_from(NUMBERS), st.text(alphabet="0123456789*/,-abcdefghijklmnopqrstuvwxyz",
                                      max_size=6))
TIMEZONES = st.sampled_from(["Europe/Paris", "UTC", "America/Cayenne", "Pacific/Chatham",
                             "Australia/Lord_Howe", "Indian/Reunion", "America/Noronha"]).map(
    ZoneInfo)
NOWS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31),
                    timezones=st.just(UTC))


def assert_french_error(err: WhenError) -> None:
    message = str(err)
    assert message.strip() and message == message.strip()
    assert len(message) < 400, message  # the input is never echoed whole
    assert "Exemple" in message or "Exemples" in message, message


def assert_schedulable(trigger: Trigger, now: datetime, tz: ZoneInfo) -> None:
    nxt = next_occurrence(trigger, now, tz)
    if trigger.at is not None:
        assert now < trigger.at <= now + timedelta(days=HORIZON_DAYS)
        assert MIN_YEAR <= trigger.at.astimezone(tz).year <= MAX_YEAR
        assert nxt == trigger.at
    else:
        assert nxt is None or nxt > now
        minimum_gap(trigger, now, tz)
        occurrences_between(trigger, now, now + timedelta(days=3), tz, limit=50)
    assert trigger.describe(tz).strip()
    assert Trigger.from_json(trigger.to_json()) == trigger


@sized(700)
@given(text=french_or_hostile(WHEN_WORDS), now=NOWS, tz=TIMEZONES)
@example(text="le 01/01/0001 à 9h", now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
@example(text="le 31/12/9999 à 23h59", now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Pacific/Chatham"))
@example(text="dans " + "9" * 5000 + " jours", now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
@example(text="dans 999999999 jours", now=datetime(2095, 12, 31, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
@example(text="demain à 9h", now=datetime(2095, 12, 31, 23, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
@example(text="chaque " + "lundi et " * 40 + "mardi à 9h", now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
def test_parse_when_raises_only_when_error(text: str, now: datetime, tz: ZoneInfo) -> None:
    try:
        trigger = parse_when(text, now, tz)
    except WhenError as err:
        assert_french_error(err)
        return
    assert_schedulable(trigger, now, tz)


@sized(200)
@given(fields=st.lists(CRON_FIELD, min_size=0, max_size=7), quote=st.sampled_from(['"', "'", ""]),
       now=NOWS, tz=TIMEZONES)
@example(fields=["*", "*", "31", "2", "*"], quote='"', now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
@example(fields=["0", "9", "29", "2", "1"], quote='"', now=datetime(2025, 12, 1, tzinfo=UTC),
         tz=ZoneInfo("Europe/Paris"))
def test_cron_expressions_raise_only_when_error(fields: list[str], quote: str, now: datetime,
                                                tz: ZoneInfo) -> None:
    text = f"cron {quote}{' '.join(fields)}{quote}"
    try:
        trigger = parse_when(text, now, tz)
    except WhenError as err:
        assert_french_error(err)
        return
    assert trigger.cron is not None
    assert_schedulable(trigger, now, tz)


def _cron_field(low: int, high: int) -> st.SearchStrategy[str]:
    value = st.integers(low, high)
    return st.one_of(
        st.just("*"), st.integers(1, high).map(lambda k: f"*/{k}"), value.map(str),
        st.lists(value, min_size=1, max_size=3).map(lambda v: ",".join(map(str, v))),
        st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}"))


VALID_CRON = st.tuples(_cron_field(0, 59), _cron_field(0, 23), _cron_field(1, 31),
                       _cron_field(1, 12), _cron_field(0, 7)).map(" ".join)


@sized(120)
@given(expr=VALID_CRON, now=NOWS, tz=st.sampled_from([UTC, ZoneInfo("Europe/Paris")]))
@example(expr="0,59 0,23 1,31 * *", now=datetime(2025, 12, 1, tzinfo=UTC), tz=UTC)
@example(expr="0 0,23 * * 1", now=datetime(2025, 12, 1, tzinfo=UTC), tz=UTC)
def test_minimum_gap_never_overstates_the_gap_between_firings(expr: str, now: datetime,
                                                                tz: ZoneInfo) -> None:
    """What the recurrence bound relies on: no two firings are closer than `minimum_gap`
    (in wall time; a daylight-saving jump may bring two instants an hour closer)."""
    try:
        trigger = Trigger(cron=expr)
    except WhenError:
        return  # a date that never exists (31/02)
    gap = minimum_gap(trigger, now, tz)
    firings = occurrences_between(trigger, now, now + timedelta(days=20), tz, limit=200)
    closest = min((b - a for a, b in pairwise(firings)), default=None)
    if closest is None:
        return
    assert gap is not None
    slack = timedelta(0) if tz is UTC else timedelta(hours=1)
    assert closest >= gap - slack, (expr, closest, gap)


@sized(150)
@given(when=phrase(WHEN_WORDS), message=hostile_text(), sep=st.sampled_from([":", " : ", "::"]))
def test_split_when_message_raises_only_when_error(when: str, message: str, sep: str) -> None:
    text = when + sep + message
    try:
        parsed_when, parsed_message = split_when_message(text)
    except WhenError as err:
        assert_french_error(err)
        return
    assert parsed_when and parsed_message
    assert parsed_when == parsed_when.strip() and parsed_message == parsed_message.strip()
    assert parsed_when in text and parsed_message in text
