"""The chat surface end to end without Matrix: Router + real services on a migrated SQLite."""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.unit.conftest import SEED_IDS
from tests.unit.harness import ALICE, NOW, Bot, FakeRoom, make_bot, migrated_template
from traam_bot.commands.registry import CommandSpec, Permission
from traam_bot.commands.router import build_registry
from traam_bot.domain.model import Incoming, Reply

ALL_IDS = list(SEED_IDS)
BESANCON = [p for p in ALL_IDS if p.startswith("besancon")]
FLORIA = "Floria DUFOUX"
JULIE = "Julie MARCHALAND"


@pytest.fixture(scope="session")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return await migrated_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
async def router(tmp_path: Path, migrated: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, migrated, "!") as bot:
        yield bot


def incoming(body: str, room: FakeRoom, *, mentioned: bool = False) -> Incoming:
    return Incoming(room_id=room.room_id, event_id="$ev", sender=ALICE, body=body,
                    timestamp=NOW, is_direct=room.is_direct, mentions_bot=mentioned)


async def ask(router: Bot, body: str, room: FakeRoom | None = None, *,
              mentioned: bool = False) -> Reply | None:
    room = room or FakeRoom()
    return await router.ask(incoming(body, room, mentioned=mentioned), room)


async def answer(router: Bot, body: str, room: FakeRoom | None = None, *,
                 mentioned: bool = False) -> Reply:
    reply = await ask(router, body, room, mentioned=mentioned)
    assert reply is not None, body
    assert_well_formed(reply)
    return reply


def assert_well_formed(reply: Reply) -> None:
    for message in reply.messages():
        assert message.plain.strip()
        # nothing but our own tags survive in the HTML
        tags = set(re.findall(r"</?([a-z]+)", message.html))
        assert tags <= {"p", "ul", "li", "strong", "em", "code", "blockquote", "br"}, tags


def text(reply: Reply) -> str:
    return "\n".join(m.plain for m in reply.messages())


def listed_ids(reply: Reply) -> list[str]:
    return sorted(set(re.findall(r"<code>([a-z0-9-]+)</code>", reply.html)) & set(ALL_IDS))


# ------------------------------------------------------------------ help


def specs(*permissions: Permission) -> list[CommandSpec]:
    """Single-handler commands; groups are checked subcommand by subcommand in
    test_subcommands.py."""
    return [spec for spec in build_registry().specs
            if spec.subcommands is None and spec.permission in permissions]


@pytest.mark.parametrize("body", ["!aide", "!help", "!AIDE", "!Aide", "!HELP"])
async def test_help_lists_the_commands(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    assert reply.plain.startswith("Commandes disponibles ici :")
    for name in ["aide", "projets", "projet", "contacts"]:
        assert f"<code>!{name}" in reply.html
    for spec in specs(Permission.ALL):
        assert f"• {spec.usage_line('!')}" in reply.plain
        assert spec.help in reply.plain
    assert "(ou !help)" in reply.plain
    assert "(ou !projects)" in reply.plain


async def test_help_shows_only_what_this_user_may_run_here(router: Bot) -> None:
    restricted = specs(Permission.MODERATOR, Permission.REFERENT)
    assert restricted, "the registry declares restricted commands"
    member = await answer(router, "!aide")
    moderator = await answer(router, "!aide", FakeRoom(levels={ALICE: 50}))
    for spec in restricted:
        assert f"• {spec.usage_line('!')}" not in member.plain
    for spec in specs(Permission.MODERATOR):
        assert f"• {spec.usage_line('!')}" in moderator.plain
    for spec in specs(Permission.REFERENT):
        assert f"• {spec.usage_line('!')}" not in moderator.plain


# ------------------------------------------------------------------ command names


@pytest.mark.parametrize("body", ["!projetsx", "!proj", "!aides", "!contactsx dijon", "!xyz"])
async def test_unknown_command_points_to_help(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    name = body.split()[0]
    assert reply.plain == (f"Commande inconnue : {name}. "
                           "Tapez !aide pour voir les commandes disponibles.")
    assert f"<code>{name}</code>" in reply.html


@pytest.mark.parametrize("body", ["!Projets", "!PROJETS", "!projects", "!Projects"])
async def test_command_names_are_case_insensitive(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    assert reply.plain.startswith("6 projets :")
    assert listed_ids(reply) == ALL_IDS


@pytest.mark.parametrize("body", ["! aide", "!", "aide", "?aide"])
async def test_not_a_command_in_a_team_room_is_left_alone(router: Bot, body: str) -> None:
    assert await ask(router, body) is None


# ------------------------------------------------------------------ !projets


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", ALL_IDS),
        ("dijon technologie", ["dijon-technologie-projet"]),
        ("Dijon Technologie", ["dijon-technologie-projet"]),
        ("besancon", BESANCON),
        ("Besançon", BESANCON),
        ("dijon", ["dijon-eps-explicite", "dijon-technologie-projet"]),
        ("2025-2026", ALL_IDS),
        ("nsi", ["besancon-nsi-egalite"]),
    ],
)
async def test_projets_filters(router: Bot, args: str, expected: list[str]) -> None:
    reply = await answer(router, f"!projets {args}".strip())
    assert listed_ids(reply) == expected
    n = len(expected)
    assert reply.plain.startswith(f"{n} projet{'s' if n > 1 else ''} ")


@pytest.mark.parametrize("separator", ["\t", "\u00a0", "\u202f", "\n", "\u3000"])
async def test_any_space_after_the_command_name_separates_it(router: Bot, separator: str) -> None:
    reply = await answer(router, f"!projets{separator}dijon")
    assert listed_ids(reply) == ["dijon-eps-explicite", "dijon-technologie-projet"]


async def test_projets_besancon_lists_four(router: Bot) -> None:
    reply = await answer(router, "!projets besancon")
    assert reply.plain.startswith("4 projets pour « besancon » :")
    assert reply.plain.count("\n• ") == 4
    assert "académie de Besançon" in reply.plain
    assert "Dijon" not in reply.plain


async def test_projets_nothing_matches(router: Bot) -> None:
    reply = await answer(router, "!projets xyzzy")
    assert reply.plain == ("Aucun projet ne correspond à « xyzzy ».\n"
                           "Tapez !projets pour voir la liste complète.")


# ------------------------------------------------------------------ !projet


async def test_projet_without_argument_gives_usage(router: Bot) -> None:
    reply = await answer(router, "!projet")
    assert "Précisez le projet voulu." in reply.plain
    assert "Usage : !projet <id ou mots>" in reply.plain
    assert "<code>!projet &lt;id ou mots&gt; [année]</code>" in reply.html
    assert "!projet besancon-nsi-egalite" in reply.plain  # an example


async def test_projet_nothing_matches(router: Bot) -> None:
    reply = await answer(router, "!projet xyzzy")
    assert reply.plain.startswith("Aucun projet ne correspond à « xyzzy ».")
    assert "Tapez !projets pour voir la liste complète." in reply.plain


@pytest.mark.parametrize("body", ["!projet tecnologie", "!projets tecnologie"])
async def test_typo_gets_a_suggestion_or_the_project(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    # tolerant search may find it directly; otherwise it must suggest it
    assert "Technologie" in reply.plain
    assert "dijon-technologie-projet" in reply.plain
    if "Aucun projet" in reply.plain:
        assert "Vouliez-vous dire Technologie (Dijon) ?" in reply.plain


@pytest.mark.parametrize("body", ["!projet teknolojie", "!projets teknolojie"])
async def test_no_match_but_close_gets_a_suggestion(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    assert reply.plain == ("Aucun projet ne correspond à « teknolojie ».\n"
                           "Vouliez-vous dire Technologie (Dijon) ? "
                           "!projet dijon-technologie-projet")
    assert "<code>!projet dijon-technologie-projet</code>" in reply.html


@pytest.mark.parametrize(("body", "room"), [
    ("!bilan teknolojie", FakeRoom()),
    ("!lier teknolojie", FakeRoom(levels={ALICE: 50})),
    ("!point teknolojie : séance 2 réalisée", FakeRoom(is_direct=True)),
])
async def test_every_command_answers_an_unknown_project_alike(
        router: Bot, body: str, room: FakeRoom) -> None:
    reply = await answer(router, body, room)
    assert reply.plain == ("Aucun projet ne correspond à « teknolojie ».\n"
                           "Vouliez-vous dire Technologie (Dijon) ? "
                           "!projet dijon-technologie-projet")
    assert "<code>!projet dijon-technologie-projet</code>" in reply.html


@pytest.mark.parametrize(
    ("args", "project_id", "discipline", "theme"),
    [
        ("besancon-nsi-egalite", "besancon-nsi-egalite", "NSI", "L’égalité filles garçons"),
        ("BESANCON-NSI-EGALITE", "besancon-nsi-egalite", "NSI", "L’égalité filles garçons"),
        ("eps", "dijon-eps-explicite", "EPS",
         "Rendre les apprentissages plus explicites avec les outils numériques"),
        ("lettres", "besancon-lettres-ia", "Lettres",
         "Les intelligences artificielles en lettres : quels usages ? Quelles plus-values "
         "pédagogiques ? Quels points de vigilance ?"),
    ],
)
async def test_projet_card(router: Bot, args: str, project_id: str, discipline: str,
                           theme: str) -> None:
    reply = await answer(router, f"!projet {args}")
    assert reply.plain.startswith(f"{discipline} — académie de ")
    assert project_id in reply.plain
    assert f"Thème : {theme}" in reply.plain
    assert f"<em>{htmllib.escape(theme)}</em>" in reply.html
    assert "Phase : " in reply.plain and "(2025-2026)" in reply.plain
    assert "Salon : aucun salon lié" in reply.plain


async def test_projet_card_shows_a_linked_room(router: Bot) -> None:
    await router.link("!lettres:localhost", "besancon-lettres-ia", "@coordinatrice:localhost")
    reply = await answer(router, "!projet besancon-lettres-ia")
    assert "Salon : !lettres:localhost" in reply.plain


# ------------------------------------------------------------------ !contacts


async def test_contacts_lists_both(router: Bot) -> None:
    reply = await answer(router, "!contacts")
    assert reply.plain == (
        "Vos contacts à la DRANE :\n"
        "• Floria DUFOUX — Chargée d’animation du réseau des IAN — "
        "floria.dufoux@region-academique-bourgogne-franche-comte.fr\n"
        "• Julie MARCHALAND — Référente TraAM — "
        "julie.marchaland@region-academique-bourgogne-franche-comte.fr"
    )
    assert "<strong>Floria DUFOUX</strong>" in reply.html


@pytest.mark.parametrize("body", ["!contacts référente", "!contacts referente", "!contact Julie"])
async def test_contacts_filtered(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    assert JULIE in reply.plain
    assert FLORIA not in reply.plain


async def test_contacts_nothing_matches(router: Bot) -> None:
    reply = await answer(router, "!contacts xyzzy")
    assert reply.plain == ("Aucun contact ne correspond à « xyzzy ». "
                           "Tapez !contacts pour les voir tous.")


# ------------------------------------------------------------------ free text


async def test_question_in_a_direct_room_is_answered(router: Bot) -> None:
    reply = await answer(router, "Qui est la référente TraAM ?", FakeRoom(is_direct=True))
    assert JULIE in reply.plain
    assert "julie.marchaland@region-academique-bourgogne-franche-comte.fr" in reply.plain
    assert FLORIA not in reply.plain


async def test_question_in_a_team_room_without_mention_is_left_alone(router: Bot) -> None:
    assert await ask(router, "Qui est la référente TraAM ?", FakeRoom()) is None


async def test_question_with_a_mention_is_answered(router: Bot) -> None:
    reply = await answer(router, "Qui est la référente TraAM ?", FakeRoom(), mentioned=True)
    assert JULIE in reply.plain
    assert FLORIA not in reply.plain


async def test_question_about_projects_in_a_direct_room(router: Bot) -> None:
    reply = await answer(router, "Quels sont les projets à Besançon ?", FakeRoom(is_direct=True))
    assert listed_ids(reply) == BESANCON


async def test_what_are_traam(router: Bot) -> None:
    reply = await answer(router, "c'est quoi les TraAM ?", FakeRoom(is_direct=True))
    assert "travaux académiques mutualisés" in reply.plain
    assert "!projets" in reply.plain


@pytest.mark.parametrize("body", ["Quel temps fera-t-il demain ?", ""])
async def test_off_topic_question_gets_the_capabilities(router: Bot, body: str) -> None:
    reply = await answer(router, body, FakeRoom(is_direct=True))
    assert reply.plain.startswith("Je n’ai pas compris votre question.")
    assert "!aide" in reply.plain


async def test_direct_room_linked_to_a_project_is_treated_like_a_team_room(
    router: Bot,
) -> None:
    room = FakeRoom(room_id="!dm-lie:localhost", is_direct=True)
    await router.link(room.room_id, "dijon-eps-explicite")
    assert await ask(router, "on avance bien", room) is None


async def test_commands_work_in_a_direct_room(router: Bot) -> None:
    reply = await answer(router, "!projets dijon", FakeRoom(is_direct=True))
    assert listed_ids(reply) == ["dijon-eps-explicite", "dijon-technologie-projet"]


# ------------------------------------------------------------------ escaping


@pytest.mark.parametrize(
    "body",
    [
        "!projet <b>x</b>",
        "!projets <b>x</b>",
        "!contacts <b>x</b>",
        "!<b>x</b>",
    ],
)
async def test_user_input_is_escaped_in_html(router: Bot, body: str) -> None:
    reply = await answer(router, body)
    assert "<b>" not in reply.html
    assert "&lt;b&gt;" in reply.html
    assert "<b>x</b>" in reply.plain


async def test_question_with_markup_is_escaped(router: Bot) -> None:
    reply = await answer(router, "projets <img src=x onerror=alert(1)> à Dijon",
                         FakeRoom(is_direct=True))
    assert "<img" not in reply.html


async def test_room_ping_in_arguments_is_defused(router: Bot) -> None:
    reply = await answer(router, "!projet @room")
    assert "@room" not in reply.plain
    assert "@room" not in reply.html


# ------------------------------------------------------------------ another prefix


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("?aide", "?projets"),
        ("?projets xyzzy", "Tapez ?projets pour voir la liste complète."),
        ("?projets teknolojie", "?projet dijon-technologie-projet"),
        ("?projet xyzzy", "Tapez ?projets pour voir la liste complète."),
        ("?projet", "Usage : ?projet <id ou mots>"),
        ("?inconnue", "Tapez ?aide pour voir les commandes disponibles."),
        ("?contacts xyzzy", "Tapez ?contacts pour les voir tous."),
    ],
)
async def test_replies_use_the_configured_prefix(tmp_path: Path, migrated: Path, body: str,
                                                 expected: str) -> None:
    async with make_bot(tmp_path, migrated, "?") as r:
        reply = await answer(r, body)
        assert expected in text(reply)
        assert "!" + expected[expected.index("?") + 1:] not in text(reply)
        assert await ask(r, "!aide") is None  # "!" is just text now, in a team room


# ------------------------------------------------------------------ prompt answers

async def test_prompt_answers_from_members_only_become_updates(router: Bot) -> None:
    room = FakeRoom(levels={ALICE: 50})
    await router.link(room.room_id, "besancon-nsi-egalite")
    async with router.units() as uow:
        await uow.schedules.add_prompt("$prompt", room.room_id, "besancon-nsi-egalite", NOW)
    member = Incoming(room_id=room.room_id, event_id="$a1", sender=ALICE, body="Séance faite",
                      timestamp=NOW, thread_root="$prompt")
    reply = await router.ask(member, room)
    assert reply is not None and reply.reaction == "✅" and reply.messages() == []
    stranger = Incoming(room_id=room.room_id, event_id="$a2", sender="@intrus:ailleurs",
                        body="je ne suis pas membre", timestamp=NOW, reply_to="$prompt")
    assert await router.ask(stranger, room) is None
    assert await router.updates("besancon-nsi-egalite") == [("$a1", "Séance faite")]
    chatter = Incoming(room_id=room.room_id, event_id="$a3", sender=ALICE,
                       body="réponse à autre chose", timestamp=NOW, reply_to="$other")
    assert await router.ask(chatter, room) is None
