"""Team commands without Matrix: !lier, !point (in the team room and by direct message) and
!bilan, through the real router and services on in-memory SQLite (tests/unit/harness.py).
Every reply is read whole: its words are what a teacher sees."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit import harness
from tests.unit.harness import ALICE, COORD, NOW, Bot, FakeRoom, text
from traam_bot.domain.model import Reply

NSI = "besancon-nsi-egalite"
LETTRES = "besancon-lettres-ia"
NSI_LABEL = "NSI (académie de Besançon)"
LETTRES_LABEL = "Lettres (académie de Besançon)"
BOB = "@bob:localhost"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice", BOB: "Bob"},
                levels={ALICE: 50})
DM = FakeRoom(room_id="!dm-alice:localhost", is_direct=True, members={ALICE: "Alice"},
              levels={ALICE: 100})


async def say(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE,
              days: int = 0) -> Reply:
    return await harness.say(bot, body, room, sender, NOW + timedelta(days=days))


def project_of(bot: Bot, room: FakeRoom = TEAM) -> str | None:
    project = bot.services.directory.project_for_room(room.room_id)
    return project.id if project else None


# ------------------------------------------------------------------------ !lier


async def test_a_moderator_links_the_room_and_is_told_how_members_post(bot: Bot) -> None:
    reply = await say(bot, f"!lier {NSI}")
    assert text(reply) == ("Ce salon est maintenant lié au projet NSI (académie de Besançon, "
                           f"{NSI}). "
                           "Les membres peuvent y écrire !point <texte>.")
    assert reply.reaction == "✅"
    assert project_of(bot) == NSI
    assert bot.services.directory.rooms_of(NSI) == [TEAM.room_id]
    async with bot.units() as uow:
        [link] = await uow.directory.links()
    assert (link.room_id, link.project_id, link.linked_by, link.linked_at, link.label) == (
        TEAM.room_id, NSI, ALICE, NOW, None)  # the harness names rooms by their id


async def test_linking_again_to_the_same_project_says_so_without_a_tick(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    reply = await say(bot, "!lier nsi")
    assert text(reply) == f"Ce salon est déjà lié au projet {NSI_LABEL}."
    assert reply.reaction is None
    assert project_of(bot) == NSI


async def test_relinking_names_the_project_it_replaces(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    reply = await say(bot, f"!lier {LETTRES}")
    assert text(reply) == (
        f"Ce salon était lié au projet {NSI_LABEL}.\n"
        f"Ce salon est maintenant lié au projet Lettres (académie de Besançon, {LETTRES}). "
        "Les membres peuvent y écrire !point <texte>.")
    assert reply.reaction == "✅"
    assert project_of(bot) == LETTRES
    assert bot.services.directory.rooms_of(NSI) == []


@pytest.mark.parametrize(("body", "sender", "expected", "reaction"), [
    ("!lier", ALICE, "Précisez le projet à lier à ce salon.\nUsage : !lier <projet>", None),
    ("!lier pas-un-projet", ALICE, "Aucun projet ne correspond à « pas-un-projet ».", None),
    (f"!lier {NSI}", BOB,
     "Désolé, !lier est réservé aux modérateurs du salon et aux administrateurs.", "❌"),
])
async def test_lier_refusals(bot: Bot, body: str, sender: str, expected: str,
                             reaction: str | None) -> None:
    reply = await say(bot, body, TEAM, sender=sender)
    assert text(reply).startswith(expected)
    assert reply.reaction == reaction
    assert project_of(bot) is None
    assert project_of(bot) is None


async def test_lier_in_a_direct_chat_is_refused(bot: Bot) -> None:
    reply = await say(bot, f"!lier {NSI}", DM)
    assert "salon" in text(reply) and "message direct" in text(reply)
    assert project_of(bot, DM) is None


async def test_an_admin_may_link_without_being_moderator(bot: Bot) -> None:
    room = FakeRoom(room_id="!autre:localhost", members={COORD: "Coordinatrice"})
    reply = await say(bot, f"!lier {NSI}", room, sender=COORD)
    assert reply.reaction == "✅"
    assert project_of(bot, room) == NSI


# ------------------------------------------------------------------------ !point


async def test_point_in_an_unlinked_room_says_how_to_link_or_write_directly(bot: Bot) -> None:
    reply = await say(bot, "!point séance 1")
    assert text(reply) == ("Ce salon n’est lié à aucun projet. Un modérateur peut le lier avec "
                           "!lier <projet>, ou écrivez-moi en message direct : "
                           "!point <projet> : <texte>.")
    assert reply.reaction is None
    assert await bot.updates(NSI) == []


async def test_points_are_numbered_and_blockers_announced(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    first = await say(bot, "!point Fait : séance 1")
    assert text(first) == f"Mise à jour n° 1 enregistrée pour {NSI_LABEL}. Merci !"
    assert first.reaction == "✅"
    second = await say(bot, "!point Blocage : pas de salle", sender=BOB)
    assert text(second) == (f"Mise à jour n° 2 enregistrée pour {NSI_LABEL}. Merci !\n"
                            "Le blocage ou besoin signalé sera mis en avant dans le prochain "
                            "digest.")
    assert [t for _e, t in await bot.updates(NSI)] == ["Fait : séance 1",
                                                      "Blocage : pas de salle"]


async def test_an_empty_point_is_refused_and_nothing_stored(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    reply = await say(bot, "!point   ")
    assert reply.reaction is None and "!point" in text(reply)
    assert await bot.updates(NSI) == []


async def test_a_member_posts_by_direct_message_to_a_named_project(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    reply = await say(bot, "!point nsi : séance 2 réalisée", DM)
    assert text(reply) == f"Mise à jour n° 1 enregistrée pour {NSI_LABEL}. Merci !"
    assert [t for _e, t in await bot.updates(NSI)] == ["séance 2 réalisée"]


@pytest.mark.parametrize(("body", "expected"), [
    ("!point séance 2", "En message direct, indiquez le projet puis « : » et le texte."),
    ("!point xyzzy : séance 2", "Aucun projet ne correspond à « xyzzy »."),
])
async def test_direct_message_forms_that_cannot_be_placed(bot: Bot, body: str,
                                                          expected: str) -> None:
    await say(bot, f"!lier {NSI}")
    reply = await say(bot, body, DM)
    assert expected in text(reply)
    assert await bot.updates(NSI) == []


async def test_by_direct_message_only_members_of_the_projects_room_may_post(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    stranger = FakeRoom(room_id="!dm-carol:localhost", is_direct=True,
                        members={"@carol:localhost": "Carol"})
    reply = await say(bot, "!point nsi : séance 2", stranger, sender="@carol:localhost")
    assert text(reply) == (f"Seuls les membres du salon du projet {NSI_LABEL} peuvent y "
                           "ajouter un point.")
    assert await bot.updates(NSI) == []
    # a coordinator (admin) may, without being in the room
    admin_dm = FakeRoom(room_id="!dm-coord:localhost", is_direct=True,
                        members={COORD: "Coordinatrice"})
    reply = await say(bot, "!point nsi : visite faite", admin_dm, sender=COORD)
    assert reply.reaction == "✅"
    assert [t for _e, t in await bot.updates(NSI)] == ["visite faite"]


async def test_a_project_with_no_room_takes_no_point_by_direct_message(bot: Bot) -> None:
    reply = await say(bot, "!point nsi : séance 2", DM)
    assert "Seuls les membres du salon du projet" in text(reply)
    assert await bot.updates(NSI) == []


# ------------------------------------------------------------------------ !bilan


async def test_bilan_in_a_team_room_covers_its_project_since_a_date(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    await say(bot, "!point ancienne séance")
    await say(bot, "!point séance récente", days=10)
    everything = text(await say(bot, "!bilan"))
    assert "ancienne séance" in everything and "séance récente" in everything
    later = (NOW + timedelta(days=5)).strftime("%d/%m/%Y")
    recent = text(await say(bot, f"!bilan depuis {later}"))
    assert "séance récente" in recent and "ancienne séance" not in recent


async def test_bilan_names_another_project_or_refuses_an_unknown_one(bot: Bot) -> None:
    await say(bot, f"!lier {NSI}")
    await say(bot, "!point séance NSI")
    other = text(await say(bot, f"!bilan {LETTRES}"))
    assert "séance NSI" not in other and "Lettres" in other
    assert "Aucun projet ne correspond à « xyzzy »." in text(await say(bot, "!bilan xyzzy"))


async def test_bilan_with_a_malformed_date_explains_the_form(bot: Bot) -> None:
    reply = await say(bot, "!bilan depuis hier-soir")
    assert "JJ/MM/AAAA" in text(reply)


# ------------------------------------------------------------- !projet: latest updates


async def test_the_project_card_shows_the_three_latest_updates_newest_first(bot: Bot) -> None:
    card = text(await say(bot, f"!projet {NSI}"))
    assert card.endswith("Dernières mises à jour :\nAucune mise à jour pour l’instant.")
    await say(bot, f"!lier {NSI}")
    for day, what in enumerate(["un", "deux", "trois", "quatre"]):
        await say(bot, f"!point Fait : séance {what}", days=day, sender=BOB)
    lines = text(await say(bot, f"!projet {NSI}")).split("\n")
    latest = lines[lines.index("Dernières mises à jour :") + 1:]
    assert latest == [
        "• n° 4 — Bob — jeudi 4 décembre 2025", "  Fait : séance quatre",
        "• n° 3 — Bob — mercredi 3 décembre 2025", "  Fait : séance trois",
        "• n° 2 — Bob — mardi 2 décembre 2025", "  Fait : séance deux",
    ]
