"""!ressource without Matrix: adding, listing and deleting a project's resources through
the real router and services on in-memory SQLite (tests/unit/harness.py), and the link
rules as a table."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit import harness
from tests.unit.harness import ALICE, COORD, NOW, Bot, FakeRoom, text
from traam_bot.domain.model import Incoming, Redaction, Reply
from traam_bot.domain.resources import (
    EDUBASE,
    MAGISTERE,
    OTHER,
    ResourceError,
    check_link,
    link_kind,
    parse_resource,
    same_link,
    split_dm_resource,
)

NSI = "besancon-nsi-egalite"
NSI_LABEL = "NSI (académie de Besançon)"
BOB = "@bob:localhost"
CAROL = "@carol:localhost"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice", BOB: "Bob", CAROL: "Carol"},
                levels={ALICE: 50})
OTHER_ROOM = FakeRoom(room_id="!autre:localhost", members={ALICE: "Alice"})
DM_BOB = FakeRoom(room_id="!dm-bob:localhost", is_direct=True, members={BOB: "Bob"})
DM_DAN = FakeRoom(room_id="!dm-dan:localhost", is_direct=True,
                  members={"@dan:localhost": "Dan"})
FICHE = "https://edubase.eduscol.education.fr/fiche/12345"
PARCOURS = "https://magistere.education.fr/ac-besancon/course/view.php?id=678"

async def say(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE,
              days: int = 0) -> Reply:
    return await harness.say(bot, body, room, sender, NOW + timedelta(days=days))


@pytest.fixture
async def linked(bot: Bot) -> Bot:
    await bot.link(TEAM.room_id, NSI)
    bot.rooms[TEAM.room_id] = TEAM
    return bot


async def stored(bot: Bot) -> list[tuple[str, str, str, str]]:
    async with bot.units() as uow:
        return [(r.url, r.title, r.kind, r.author) for r in await uow.resources.list()]


# ------------------------------------------------------------------ the link rules

@pytest.mark.parametrize(("link", "kind"), [
    (FICHE, EDUBASE),
    (FICHE + "/", EDUBASE),
    ("https://EDUBASE.eduscol.education.fr/fiche/7", EDUBASE),
    (PARCOURS, MAGISTERE),
    ("https://magistere.education.fr/ac-dijon/enrol/index.php?id=42", MAGISTERE),
    ("https://magistere.education.fr/ac-dijon/course/view.php?id=abc", OTHER),
    ("https://magistere.education.fr/ac-dijon/", OTHER),
    ("https://edubase.eduscol.education.fr/recherche?q=ia", OTHER),
    ("https://edubase.eduscol.education.fr.example.org/fiche/1", OTHER),
    ("https://peertube.example.org/w/abc", OTHER),
])
def test_the_kind_comes_from_the_link(link: str, kind: str) -> None:
    assert link_kind(check_link(link)) == kind


@pytest.mark.parametrize(("link", "words"), [
    ("http://edubase.eduscol.education.fr/fiche/1", "Seuls les liens https://"),
    ("javascript:alert(1)", "« javascript: » ne sont pas acceptés"),
    ("JavaScript:alert(1)", "« javascript: » ne sont pas acceptés"),
    ("data:text/html,<b>x</b>", "« data: » ne sont pas acceptés"),
    ("ftp://exemple.fr/x", "Seuls les liens https://"),
    ("https://", "Seuls les liens https://"),
    ("www.exemple.fr", "Seuls les liens https://"),
    ("https://exemple.fr/<script>", "caractères interdits"),
    ("https://exemple.fr:99999/", "Lien illisible"),
    ("https://exemple.fr/" + "a" * 1982, "Lien trop long : 2 001 caractères pour 2 000"),
])
def test_refused_links_say_why(link: str, words: str) -> None:
    with pytest.raises(ResourceError) as err:
        check_link(link)
    assert words in str(err.value)


def test_a_link_of_exactly_2000_characters_is_accepted() -> None:
    link = "https://exemple.fr/" + "a" * 1981
    assert len(link) == 2000
    assert check_link(link) == link


def test_arguments_are_the_link_then_the_title() -> None:
    assert parse_resource(f"  {FICHE}   Séquence   IA en 1re ") == (
        FICHE, "Séquence IA en 1re", EDUBASE)
    with pytest.raises(ResourceError, match="Il manque le titre"):
        parse_resource(FICHE)
    with pytest.raises(ResourceError, match="Le lien vient en premier"):
        parse_resource(f"Séquence IA {FICHE}")
    with pytest.raises(ResourceError, match="Titre trop long : 301 caractères pour 300"):
        parse_resource(f"{FICHE} {'t' * 301}")


def test_the_direct_form_names_the_project_before_a_spaced_colon() -> None:
    assert split_dm_resource(f"nsi : {FICHE} Séquence") == ("nsi", f"{FICHE} Séquence")
    assert split_dm_resource(f"nsi: {FICHE} Séquence") == ("nsi", f"{FICHE} Séquence")
    assert split_dm_resource(f"{FICHE} Séquence") is None  # "https:" is not a project


def test_two_spellings_of_a_link_are_the_same_link() -> None:
    assert same_link(FICHE, "https://Edubase.eduscol.education.fr/fiche/12345/")
    assert not same_link(FICHE, "https://edubase.eduscol.education.fr/fiche/123456")
    assert not same_link(PARCOURS, PARCOURS.replace("678", "679"))


# ------------------------------------------------------------------ !ressource ajouter

async def test_a_member_adds_a_resource_to_the_linked_project(linked: Bot) -> None:
    reply = await say(linked, f"!ressource ajouter {FICHE} Séquence IA en 1re", sender=BOB)
    assert text(reply) == (f"Ressource n° 1 enregistrée pour {NSI_LABEL} : "
                           "Séquence IA en 1re (fiche Édubase).")
    assert reply.reaction == "✅"
    reply = await say(linked, f"!resource add {PARCOURS} Parcours IA", sender=CAROL)
    assert text(reply) == (f"Ressource n° 2 enregistrée pour {NSI_LABEL} : "
                           "Parcours IA (parcours M@gistère).")
    assert await stored(linked) == [(FICHE, "Séquence IA en 1re", EDUBASE, BOB),
                                    (PARCOURS, "Parcours IA", MAGISTERE, CAROL)]
    async with linked.units() as uow:
        first = (await uow.resources.list())[0]
    assert (first.author_name, first.room_id, first.created_at) == ("Bob", TEAM.room_id, NOW)


async def test_a_duplicate_link_is_refused_and_nothing_is_stored(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    reply = await say(linked, f"!ressource ajouter {FICHE}/ Autre titre")
    assert text(reply) == (f"Ce lien est déjà enregistré pour le projet {NSI_LABEL} : "
                           "« Séquence IA », ajouté par Bob.")
    assert reply.reaction is None
    assert len(await stored(linked)) == 1


@pytest.mark.parametrize(("body", "words"), [
    ("!ressource ajouter javascript:alert(1) Titre", "« javascript: » ne sont pas acceptés"),
    ("!ressource ajouter http://exemple.fr/a Titre", "Seuls les liens https://"),
    (f"!ressource ajouter {FICHE}", "Il manque le titre après le lien"),
    ("!ressource ajouter", "Il manque <lien> <titre> après !ressource ajouter"),
])
async def test_bad_input_gets_a_french_usage_and_stores_nothing(linked: Bot, body: str,
                                                               words: str) -> None:
    reply = text(await say(linked, body))
    assert words in reply
    assert "Usage : !ressource ajouter <lien> <titre>" in reply
    assert await stored(linked) == []


async def test_an_unlinked_room_is_told_how_to_link_or_write_directly(bot: Bot) -> None:
    reply = await say(bot, f"!ressource ajouter {FICHE} Séquence", room=OTHER_ROOM)
    assert text(reply) == ("Ce salon n’est lié à aucun projet. Un modérateur peut le lier "
                           "avec !lier <projet>, ou écrivez-moi en message direct : "
                           "!ressource ajouter <projet> : <lien> <titre>.")
    assert await stored(bot) == []


async def test_in_a_direct_chat_a_member_names_the_project(linked: Bot) -> None:
    reply = await say(linked, f"!ressource ajouter nsi : {FICHE} Séquence IA", room=DM_BOB,
                      sender=BOB)
    assert text(reply) == (f"Ressource n° 1 enregistrée pour {NSI_LABEL} : "
                           "Séquence IA (fiche Édubase).")
    assert await stored(linked) == [(FICHE, "Séquence IA", EDUBASE, BOB)]


async def test_in_a_direct_chat_a_non_member_is_refused(linked: Bot) -> None:
    reply = await say(linked, f"!ressource ajouter nsi : {FICHE} Séquence", room=DM_DAN,
                      sender="@dan:localhost")
    assert text(reply) == (f"Seuls les membres du salon du projet {NSI_LABEL} peuvent y "
                           "ajouter une ressource.")
    reply = await say(linked, f"!ressource ajouter {FICHE} Séquence", room=DM_BOB, sender=BOB)
    assert "En message direct, indiquez le projet puis « : »" in text(reply)
    assert await stored(linked) == []


# ------------------------------------------------------------------ liste, suppr

async def test_the_list_is_numbered_per_project_for_everyone(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    await say(linked, f"!ressource ajouter {PARCOURS} Parcours IA", sender=CAROL, days=1)
    listing = ("Ressources du projet NSI (académie de Besançon) :\n"
               f"• 1. Séquence IA (fiche Édubase) — {FICHE} — Bob, lundi 1er décembre 2025\n"
               f"• 2. Parcours IA (parcours M@gistère) — {PARCOURS} — Carol, "
               "mardi 2 décembre 2025")
    assert text(await say(linked, "!ressource liste")) == listing
    assert text(await say(linked, "!ressource liste nsi", room=OTHER_ROOM)) == listing
    everything = text(await say(linked, "!ressource", room=DM_DAN, sender="@dan:localhost"))
    assert everything == listing.replace("Ressources du projet NSI (académie de Besançon) :",
                                         "Ressources des projets :\nNSI (académie de "
                                         "Besançon) :")
    assert text(await say(linked, "!ressource liste lettres")) == (
        "Aucune ressource pour le projet Lettres (académie de Besançon). Pour en ajouter "
        "une, dans le salon de l’équipe : !ressource ajouter <lien> <titre>")


async def test_the_author_deletes_by_number_and_others_are_refused(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    await say(linked, f"!ressource ajouter {PARCOURS} Parcours IA", sender=CAROL)
    reply = await say(linked, "!ressource suppr 2", sender=BOB)
    assert text(reply) == ("Seuls l’auteur de cette ressource (Carol) et les modérateurs "
                           "du salon peuvent la supprimer.")
    assert len(await stored(linked)) == 2
    reply = await say(linked, "!ressource suppr 2", sender=CAROL)
    assert (text(reply), reply.reaction) == (
        f"Ressource n° 2 du projet {NSI_LABEL} supprimée : Parcours IA.", "✅")
    assert [s[0] for s in await stored(linked)] == [FICHE]


async def test_a_moderator_deletes_anyone_s_resource(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    reply = await say(linked, "!ressource suppr 1", sender=ALICE)  # power level 50
    assert text(reply) == f"Ressource n° 1 du projet {NSI_LABEL} supprimée : Séquence IA."
    assert await stored(linked) == []


@pytest.mark.parametrize("arg", ["0", "3", "x", "1.5", "٣", "99999999"])
async def test_a_wrong_number_is_refused_with_the_range(linked: Bot, arg: str) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    await say(linked, f"!ressource ajouter {PARCOURS} Parcours IA", sender=BOB)
    reply = text(await say(linked, f"!ressource suppr {arg}", sender=BOB))
    assert reply.startswith("Numéro de ressource attendu, entre 1 et 2 (voir !ressource "
                            "liste).")
    assert len(await stored(linked)) == 2


async def test_in_a_direct_chat_the_author_deletes_by_project_and_number(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence IA", sender=BOB)
    await say(linked, f"!ressource ajouter {PARCOURS} Parcours IA", sender=CAROL)
    dm_carol = FakeRoom(room_id="!dm-carol:localhost", is_direct=True,
                        members={CAROL: "Carol"}, levels={CAROL: 100})
    reply = await say(linked, "!ressource suppr nsi 1", room=dm_carol, sender=CAROL)
    assert text(reply) == ("Seuls l’auteur de cette ressource (Bob) et les modérateurs "
                           "du salon peuvent la supprimer.")  # power in a DM counts for nothing
    reply = await say(linked, "!ressource suppr 1", room=dm_carol, sender=CAROL)
    assert text(reply).startswith("En message direct, indiquez le projet puis le numéro : "
                                  "!ressource suppr <projet> <n>.")
    reply = await say(linked, "!ressource suppr nsi 2", room=dm_carol, sender=CAROL)
    assert (text(reply), reply.reaction) == (
        f"Ressource n° 2 du projet {NSI_LABEL} supprimée : Parcours IA.", "✅")
    dm_coord = FakeRoom(room_id="!dm-coord:localhost", is_direct=True,
                        members={COORD: "Coordinatrice"})
    reply = await say(linked, "!ressource suppr besancon-nsi-egalite 1", room=dm_coord,
                      sender=COORD)  # an admin may
    assert text(reply) == f"Ressource n° 1 du projet {NSI_LABEL} supprimée : Séquence IA."
    assert await stored(linked) == []


async def test_delete_in_an_unlinked_room_says_where_it_works(bot: Bot) -> None:
    reply = await say(bot, "!ressource suppr 1", room=OTHER_ROOM)
    assert text(reply) == ("Ce salon n’est lié à aucun projet : !ressource suppr s’utilise "
                           "dans le salon de l’équipe, ou en message direct : "
                           "!ressource suppr <projet> <n>.")


# ------------------------------------------------------------------ !projet and !bilan

async def test_resources_show_in_projet_and_bilan(linked: Bot) -> None:
    await say(linked, f"!ressource ajouter {FICHE} Séquence <b>IA</b>", sender=BOB)
    card = await say(linked, "!projet nsi", room=DM_BOB, sender=BOB)
    assert ("Ressources (1) :\n"
            f"• Séquence <b>IA</b> (fiche Édubase) — {FICHE} — Bob, lundi 1er décembre 2025"
            ) in text(card)
    assert "Séquence &lt;b&gt;IA&lt;/b&gt;" in card.html
    bilan = text(await say(linked, "!bilan nsi", room=DM_BOB, sender=BOB))
    assert bilan.endswith("Ressources (1) :\n"
                          f"• Séquence <b>IA</b> (fiche Édubase) — {FICHE} — Bob, "
                          "lundi 1er décembre 2025")
    later = text(await say(linked, "!bilan nsi depuis 02/12/2025", room=DM_BOB, sender=BOB))
    assert "Ressources" not in later


async def test_projet_shows_the_five_latest_and_points_to_the_list(linked: Bot) -> None:
    for n in range(7):
        await say(linked, f"!ressource ajouter https://exemple.fr/{n} Ressource {n}",
                  sender=BOB, days=n)
    card = text(await say(linked, "!projet nsi", sender=COORD))
    assert "Ressources (7) :" in card
    assert "Ressource 1 " not in card and "Ressource 2 " in card and "Ressource 6 " in card
    assert card.endswith(f"Les 5 plus récentes ; toutes : !ressource liste {NSI}")


async def test_deleting_the_message_deletes_the_resource_it_added(linked: Bot) -> None:
    for event_id, link in (("$add1", FICHE), ("$add2", PARCOURS)):
        await linked.dispatcher.on_event(Incoming(
            room_id=TEAM.room_id, event_id=event_id, sender=BOB, timestamp=NOW,
            body=f"!ressource ajouter {link} Titre", sender_name="Bob"), TEAM)
    assert len(await stored(linked)) == 2

    def redaction(event_id: str, room: FakeRoom, target: str) -> Redaction:
        return Redaction(room_id=room.room_id, event_id=event_id, sender=BOB, target=target,
                         timestamp=NOW)

    # the same event id in another room is another message
    await linked.dispatcher.on_event(redaction("$x1", OTHER_ROOM, "$add1"), OTHER_ROOM)
    assert len(await stored(linked)) == 2
    await linked.dispatcher.on_event(redaction("$x2", TEAM, "$add1"), TEAM)
    assert [s[0] for s in await stored(linked)] == [PARCOURS]
