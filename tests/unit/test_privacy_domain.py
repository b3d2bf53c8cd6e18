"""Pure personal-data rules: which names are searched for, how a forgotten person is rubbed
out of free text and JSON, and the retention limits."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.model import Contact, Update
from traam_bot.domain.privacy import (
    FORGOTTEN,
    PersonalData,
    retention_cutoff,
    scrub_json,
    scrubber,
    searchable_names,
    technical_cutoff,
)
from traam_bot.domain.privacy_replies import deleted_phrase, kept_phrase, mydata_summary
from traam_bot.domain.records import RoomLink, Schedule
from traam_bot.domain.resources import Resource
from traam_bot.domain.triggers import Trigger

ALICE = "@alice:localhost"
PARIS = ZoneInfo("Europe/Paris")
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


# ------------------------------------------------------------------ what is said
LATE = datetime(2025, 12, 1, 23, 30, tzinfo=UTC)  # already 2 December in Paris


@pytest.mark.parametrize(("counts", "phrase"), [
    ((0, 0, 0), ""),
    ((1, 0, 0), "1 rappel"),
    ((2, 0, 0), "2 rappels"),
    ((0, 2, 1), "2 relances et 1 abonnement au digest"),
    ((3, 2, 2), "3 rappels, 2 relances et 2 abonnements au digest"),
])
def test_what_is_deleted_is_counted_in_french(counts: tuple[int, int, int],
                                              phrase: str) -> None:
    assert deleted_phrase(*counts) == phrase


@pytest.mark.parametrize(("counts", "phrase"), [
    ((1, 0), "1 point d’étape"), ((2, 2), "2 points d’étape et 2 ressources"),
    ((0, 1), "1 ressource"),
])
def test_what_is_kept_is_counted_in_french(counts: tuple[int, int], phrase: str) -> None:
    assert kept_phrase(*counts) == phrase


def schedule(kind: str, message: str, trigger: Trigger, status: str = "active") -> Schedule:
    return Schedule(id=1, kind=kind, room_id="!r:localhost", owner=ALICE, message=message,
                    trigger=trigger, may_ping_room=False, status=status, next_run=None,
                    last_run=None, created_at=LATE)


def test_the_summary_lists_everything_in_local_time() -> None:
    data = PersonalData(
        user_id=ALICE, names=("Alice", "Alice M."),
        updates=(Update(id=1, project_id="nsi", number=4, author=ALICE, author_name="Alice",
                        room_id="!r:localhost", event_id="$u", text="Séance faite",
                        created_at=LATE),),
        resources=(Resource(id=1, project_id="nsi", url="https://exemple.fr/f", title="Fiche",
                            kind="autre", author=ALICE, author_name="Alice",
                            room_id="!r:localhost", created_at=LATE),),
        schedules=(schedule("reminder", "Réunion", Trigger(hour=9, minute=0, weekdays=(0,))),
                   schedule("prompt", "", Trigger(hour=16, minute=0, weekdays=(4,)), "paused"),
                   schedule("digest", "", Trigger(hour=8, minute=0, weekdays=(0,)),
                            "cancelled")),
        links=(RoomLink(room_id="!r:localhost", project_id="nsi", linked_by=ALICE,
                        linked_at=LATE, label=None),),
        contacts=(Contact(id="c", name="Alice MARTIN", role="IAN", email="a@exemple.fr",
                          matrix_id=ALICE),))
    text = mydata_summary(data, PARIS, lambda p: p.upper(), "?").plain
    for line in ("Points d’étape (1)", "• NSI, n° 4, mardi 2 décembre 2025 :",
                 "• NSI, mardi 2 décembre 2025 : Fiche — https://exemple.fr/f",
                 "Rappels créés (1)", "• chaque lundi à 9h00 : « Réunion » (actif)",
                 "Relances créées (1)",
                 "• chaque vendredi à 16h00 (en pause : le bot a perdu le salon)",
                 "Abonnements au digest (1)", "• digest hebdo, chaque lundi à 8h00 (annulé)",
                 "Salons liés à un projet par vous (1)",
                 "• !r:localhost → NSI, le mardi 2 décembre 2025",
                 "Annuaire des contacts", "• Alice MARTIN, IAN, a@exemple.fr",
                 "Nom d’affichage enregistré : « Alice » ; « Alice M. ».",
                 "Pour tout effacer : ?oublier. Pour en savoir plus : ?confidentialite."):
        assert line in text.splitlines() or line in text, line
    assert "Je ne conserve aucun" not in text


def test_the_summary_of_someone_with_nothing_stored() -> None:
    text = mydata_summary(PersonalData(user_id=ALICE, names=()), PARIS, str, "!").plain
    assert ("Je ne conserve aucun point d’étape, ressource, rappel, relance ou abonnement à "
            "votre nom.") in text
    assert "Nom d’affichage" not in text
