"""Subcommands (!rappel ajouter|liste|suppr, !relance <quand>|stop, !digest …) are declared:
help lines, usage errors, aliases and permissions all come from the declarations."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit import test_commands as base
from tests.unit.harness import ALICE, Bot, FakeRoom, make_bot
from tests.unit.test_commands import NOW, assert_well_formed
from traam_bot.commands.context import Context, Permission
from traam_bot.commands.registry import CommandSpec, Registry
from traam_bot.commands.router import Router, build_registry
from traam_bot.commands.subcommands import Subcommands, SubcommandSpec
from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.render import text_reply

ADMIN = "@coordinatrice:localhost"
REFERENT = "@referente:localhost"
GROUPS = ("rappel", "relance", "digest")
MODERATOR_ONLY = ("Désolé, !{} est réservé aux modérateurs du salon et aux administrateurs.")

migrated = base.migrated  # the session-wide migrated template database


@pytest.fixture
async def router(tmp_path: Path, migrated: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, migrated, "!") as r:
        yield r


def group(name: str) -> tuple[CommandSpec, Subcommands]:
    spec = build_registry().find(name)
    assert spec is not None and spec.subcommands is not None, name
    return spec, spec.subcommands


def declared() -> list[tuple[CommandSpec, SubcommandSpec]]:
    pairs = []
    for name in GROUPS:
        spec, subs = group(name)
        pairs += [(spec, sub) for sub in subs.specs]
    return pairs


async def say(router: Bot, body: str, room: FakeRoom, sender: str = ALICE) -> Reply:
    message = Incoming(room_id=room.room_id, event_id="$ev", sender=sender, body=body,
                       timestamp=NOW, is_direct=room.is_direct)
    reply = await router.ask(message, room)
    assert reply is not None, body
    assert_well_formed(reply)
    return reply


def help_line(plain: str, sub: SubcommandSpec) -> str | None:
    """The help item of this subcommand, or None when it is not listed."""
    for line in plain.splitlines():
        if line.startswith(f"• {sub.usage_line('!')} ") and f" — {sub.help}" in line:
            return line
    return None


MEMBER_ROOM = FakeRoom()
MODERATOR_ROOM = FakeRoom(levels={ALICE: 50})
DIRECT = FakeRoom(room_id="!dm:localhost", is_direct=True)


# ------------------------------------------------------------------ declarations


def test_the_three_commands_are_groups_with_the_usage_they_always_had() -> None:
    assert group("rappel")[0].usage_line("!") == \
        "!rappel ajouter <quand> : <message> | liste | suppr <n>"
    assert group("relance")[0].usage_line("!") == "!relance <quand> | stop"
    assert group("digest")[0].usage_line("!") == \
        "!digest abonner [quotidien|hebdo] | désabonner | maintenant"
    assert [s.name for s in group("rappel")[1].named] == ["ajouter", "liste", "suppr"]
    assert [s.name for s in group("relance")[1].named] == ["stop"]
    assert group("relance")[1].argument_spec is not None
    assert [s.name for s in group("digest")[1].named] == ["abonner", "désabonner", "maintenant"]


def test_every_subcommand_is_fully_declared() -> None:
    for _spec, sub in declared():
        assert sub.help and sub.examples, sub.title
        for example in sub.examples:  # examples use the French name of the subcommand
            assert example.startswith(sub.title), example
    # English aliases where the command has an English alias (and for !digest)
    assert group("rappel")[0].aliases == ("remind",)
    assert group("relance")[0].aliases == ("prompt",)
    english = {sub.title: sub.aliases for _, sub in declared()}
    assert "add" in english["rappel ajouter"] and "list" in english["rappel liste"]
    assert "delete" in english["rappel suppr"]
    assert "subscribe" in english["digest abonner"]
    assert "unsubscribe" in english["digest désabonner"]
    assert "now" in english["digest maintenant"]


def test_declaring_twice_or_a_foreign_example_is_an_error() -> None:
    async def noop(ctx: Context) -> Reply:
        return text_reply("ok")

    subs = Registry().group("essai")
    subs.subcommand("un", aliases=("one",), help="h")(noop)
    with pytest.raises(ValueError, match="declared twice"):
        subs.subcommand("One", help="h")(noop)
    with pytest.raises(ValueError, match="does not use it"):
        subs.subcommand("deux", help="h", examples=("essai un",))(noop)
    subs.argument(usage="<x>", help="h")(noop)
    with pytest.raises(ValueError, match="argument declared twice"):
        subs.argument(usage="<y>", help="h")


# ------------------------------------------------------------------ help


@pytest.mark.parametrize(
    ("room", "sender", "visible"),
    [
        (MEMBER_ROOM, ALICE, set()),
        (MODERATOR_ROOM, ALICE, {"rappel ajouter", "rappel liste", "rappel suppr",
                                 "relance", "relance stop"}),
        (MEMBER_ROOM, ADMIN, {"rappel ajouter", "rappel liste", "rappel suppr", "relance",
                              "relance stop", "digest abonner", "digest désabonner",
                              "digest maintenant"}),
        (MEMBER_ROOM, REFERENT, {"digest abonner", "digest désabonner", "digest maintenant"}),
        (DIRECT, ALICE, {"rappel liste"}),
        (DIRECT, REFERENT, {"rappel liste", "digest abonner", "digest désabonner",
                            "digest maintenant"}),
        (DIRECT, ADMIN, {"rappel liste", "digest abonner", "digest désabonner",
                         "digest maintenant"}),
    ],
)
async def test_help_lists_each_subcommand_where_allowed(router: Bot, room: FakeRoom,
                                                        sender: str, visible: set[str]) -> None:
    plain = (await say(router, "!aide", room, sender)).plain
    shown = set()
    for spec, sub in declared():
        line = help_line(plain, sub)
        if line is None:
            assert f"• {sub.usage_line('!')} " not in plain
            continue
        shown.add(sub.title)
        for alias in (*(f"!{a}" for a in spec.aliases), *sub.aliases):
            assert alias in line.split(" — ")[0], (alias, line)
    assert shown == visible


async def test_help_line_format(router: Bot) -> None:
    plain = (await say(router, "!aide", MODERATOR_ROOM)).plain
    assert ("• !rappel suppr <n> (ou !remind ; supprimer, delete) — supprime le rappel n° <n> "
            "de la liste de ce salon") in plain.splitlines()
    assert "• !relance <quand> (ou !prompt) — programme la question" in plain


# ------------------------------------------------------------------ usage errors


def listed_names(plain: str, label: str) -> list[str]:
    match = re.search(re.escape(label) + r" (.+?)\.(\n|$)", plain)
    assert match, plain
    names = match.group(1)
    head, _, last = names.rpartition(" ou ")
    return [*head.split(", "), last] if head else [last]


@pytest.mark.parametrize(("name", "room", "sender"), [("rappel", MODERATOR_ROOM, ALICE),
                                                      ("remind", MEMBER_ROOM, ALICE),
                                                      ("digest", DIRECT, REFERENT),
                                                      ("digest", DIRECT, ALICE)])
async def test_missing_subcommand_lists_the_declared_ones(router: Bot, name: str,
                                                          room: FakeRoom, sender: str) -> None:
    spec = build_registry().find(name)
    assert spec is not None and spec.subcommands is not None
    plain = (await say(router, f"!{name}", room, sender)).plain
    assert listed_names(plain, "Sous-commande attendue :") == [
        s.name for s in spec.subcommands.named]
    assert f"Usage : {spec.usage_line('!')}" in plain
    for example in spec.subcommands.examples:
        assert f"• !{example}" in plain


async def test_missing_argument_of_relance(router: Bot) -> None:
    plain = (await say(router, "!relance", MODERATOR_ROOM)).plain
    assert plain.startswith("Indiquez <quand> ou stop.\nUsage : !relance <quand> | stop\n")
    assert "• !relance chaque vendredi à 16h" in plain


@pytest.mark.parametrize("body", ["!rappel supprime 1", "!remind xyz", "!digest maintenat",
                                  "!rappel <b>x</b>"])
async def test_unknown_subcommand_lists_the_declared_ones_and_examples(
        router: Bot, body: str) -> None:
    name, word = body[1:].split()[:2]
    spec, subs = group(name) if name != "remind" else group("rappel")
    reply = await say(router, body, MODERATOR_ROOM, ADMIN)
    assert reply.plain.startswith(f"Sous-commande inconnue : « {word} ». ")
    assert listed_names(reply.plain, "Sous-commandes possibles :") == [
        s.name for s in subs.named]
    assert f"Usage : {spec.usage_line('!')}" in reply.plain
    assert f"<code>!{subs.examples[0]}</code>" in reply.html  # at least an example
    assert "<b>" not in reply.html


async def test_missing_argument_comes_from_the_subcommand_usage(router: Bot) -> None:
    reply = await say(router, "!rappel suppr", MODERATOR_ROOM)
    assert reply.plain == ("Il manque <n> après !rappel suppr.\n"
                           "Usage : !rappel suppr <n>\n"
                           "• !rappel suppr 1")
    reply = await say(router, "!rappel ajouter", MODERATOR_ROOM)
    assert reply.plain.startswith("Il manque <quand> : <message> après !rappel ajouter.\n"
                                  "Usage : !rappel ajouter <quand> : <message>\n")


async def test_a_handler_usage_error_shows_its_subcommand_usage(router: Bot) -> None:
    reply = await say(router, "!digest abonner mensuel", DIRECT, REFERENT)
    assert reply.plain == ("Fréquence attendue : quotidien ou hebdo.\n"
                           "Usage : !digest abonner [quotidien|hebdo]\n"
                           "• !digest abonner hebdo")
    bad = await say(router, "!rappel ajouter le 31/02/2027 à 9h : impossible", MODERATOR_ROOM)
    assert "Exemple" in bad.plain and "Usage : !rappel ajouter <quand> : <message>" in bad.plain


async def test_usage_is_generated_for_any_declared_group(tmp_path: Path,
                                                         migrated: Path) -> None:
    async def noop(ctx: Context) -> Reply:
        return text_reply("ok")

    registry = Registry()
    essai = registry.group("essai", aliases=("trial",))
    essai.subcommand("premier", aliases=("first",), usage="<x>", help="le premier",
                     examples=("essai premier 1",))(noop)
    essai.subcommand("second", help="le second", permission=Permission.MODERATOR)(noop)
    essai.subcommand("troisième", help="le troisième")(noop)
    async with make_bot(tmp_path, migrated, "?") as r:
        custom = replace(r, router=Router(r.services, registry))
        plain = (await say(custom, "?essai", MEMBER_ROOM)).plain
        assert plain == ("Sous-commande attendue : premier, second ou troisième.\n"
                         "Usage : ?essai premier <x> | second | troisième\n"
                         "• ?essai premier 1")
        assert (await say(custom, "?trial troisieme", MEMBER_ROOM)).plain == "ok"
        assert (await say(custom, "?essai second", MEMBER_ROOM)).plain == \
            "Désolé, ?essai second est réservé aux modérateurs du salon et aux administrateurs."
        assert (await say(custom, "?essai first", MEMBER_ROOM)).plain.startswith(
            "Il manque <x> après ?essai premier.")


# ------------------------------------------------------------------ aliases


# every form that worked before subcommands were declared, and the new English ones
FORMS = {
    "rappel ajouter": ["rappel ajouter", "Rappel AJOUTER", "remind ajouter", "remind add",
                       "rappel add"],
    "rappel liste": ["rappel liste", "remind liste", "remind list", "rappel Liste"],
    "rappel suppr": ["rappel suppr", "rappel supprimer", "remind suppr", "remind delete"],
    "relance stop": ["relance stop", "relance arret", "relance arrêter", "relance Arrêt",
                     "prompt stop", "relance STOP"],
    "relance": ["relance chaque vendredi à 16h", "prompt dans 2 heures", "relance demain"],
    "digest abonner": ["digest abonner", "digest subscribe", "Digest Abonner"],
    "digest désabonner": ["digest desabonner", "digest désabonner", "digest desinscrire",
                          "digest désinscrire", "digest unsubscribe"],
    "digest maintenant": ["digest maintenant", "digest now", "digest MAINTENANT"],
}


@pytest.mark.parametrize(("title", "form"),
                         [(t, f) for t, forms in FORMS.items() for f in forms])
def test_aliases_route_to_the_same_handler(title: str, form: str) -> None:
    registry = build_registry()
    name, _, args = form.partition(" ")
    spec = registry.find(name)
    assert spec is not None and spec.subcommands is not None
    sub, _rest = spec.subcommands.resolve(args, is_direct=False)
    assert sub.title == title
    expected = {s.title: s for _, s in declared()}[title]
    assert sub.handler is expected.handler


async def test_aliases_reach_the_same_reminders(router: Bot) -> None:
    added = await say(router, "!remind add chaque lundi à 9h : Réunion d’équipe", MODERATOR_ROOM)
    assert added.plain.startswith("Rappel enregistré (chaque lundi à 9h00) : Réunion d’équipe")
    for body in ("!rappel liste", "!remind list", "!REMIND LIST"):
        listing = await say(router, body, MODERATOR_ROOM)
        assert listing.plain.startswith("Rappels de ce salon :\n• 1. Réunion d’équipe")
    deleted = await say(router, "!remind delete 1", MODERATOR_ROOM)
    assert deleted.plain == "Rappel n° 1 supprimé : Réunion d’équipe"
    assert (await say(router, "!rappel list", MODERATOR_ROOM)).plain.startswith("Aucun rappel.")


# ------------------------------------------------------------------ permissions


async def test_member_may_list_in_a_direct_chat_but_neither_add_nor_list_in_a_room(
        router: Bot) -> None:
    # the rule kept from before: in a room, reminders are the moderators' business (both
    # adding and listing); in a direct chat anyone lists their own reminders
    refused = await say(router, "!rappel ajouter chaque lundi à 9h : Réunion", MEMBER_ROOM)
    assert refused.plain == MODERATOR_ONLY.format("rappel ajouter")
    assert refused.reaction == "❌"
    assert (await say(router, "!rappel liste", MEMBER_ROOM)).plain == \
        MODERATOR_ONLY.format("rappel liste")
    assert (await say(router, "!rappel suppr 1", MEMBER_ROOM)).plain == \
        MODERATOR_ONLY.format("rappel suppr")
    for body in ("!rappel liste", "!rappel", "!remind list"):
        assert (await say(router, body, DIRECT)).plain.startswith("Aucun rappel.")
    added = await say(router, "!rappel ajouter chaque lundi à 9h : Réunion", MODERATOR_ROOM)
    assert added.reaction == "✅"
    mine = await say(router, "!rappel", DIRECT)
    assert mine.plain.startswith("Vos rappels :\n• 1. Réunion")


async def test_room_only_subcommands_are_refused_in_a_direct_chat(router: Bot) -> None:
    for body, title in [("!rappel ajouter dans 2 heures : x", "rappel ajouter"),
                        ("!rappel suppr 1", "rappel suppr"),
                        ("!relance chaque vendredi à 16h", "relance"),
                        ("!prompt stop", "relance stop")]:
        reply = await say(router, body, DIRECT, ADMIN)
        assert reply.plain == (f"!{title} s’utilise dans le salon concerné, pas en "
                               "message direct."), body


async def test_relance_needs_a_moderator_then_a_linked_room(router: Bot) -> None:
    assert (await say(router, "!relance chaque vendredi à 16h", MEMBER_ROOM)).plain == \
        MODERATOR_ONLY.format("relance")
    assert (await say(router, "!relance stop", MEMBER_ROOM)).plain == \
        MODERATOR_ONLY.format("relance stop")
    unlinked = await say(router, "!relance stop", MODERATOR_ROOM)
    assert unlinked.plain == ("Ce salon n’est lié à aucun projet : liez-le d’abord avec "
                              "!lier <projet>.")
    await router.link(MODERATOR_ROOM.room_id, "dijon-eps-explicite")
    done = await say(router, "!relance chaque vendredi à 16h", MODERATOR_ROOM)
    assert done.plain.startswith("Relance programmée (chaque vendredi à 16h00) pour EPS")
    assert (await say(router, "!prompt arrêter", MODERATOR_ROOM)).plain == \
        "Relances arrêtées dans ce salon."
    assert (await say(router, "!relance stop", MODERATOR_ROOM)).plain == \
        "Aucune relance n’était programmée ici."


@pytest.mark.parametrize("sub", ["abonner", "désabonner", "maintenant", "now"])
async def test_digest_is_for_referents(router: Bot, sub: str) -> None:
    title = group("digest")[1].find(sub)
    assert title is not None
    reply = await say(router, f"!digest {sub}", DIRECT, ALICE)
    assert reply.plain == (f"Désolé, !digest {title.name} est réservé aux référents et aux "
                           "administrateurs.")


@pytest.mark.parametrize(
    ("args", "label"),
    [("", "hebdomadaire (chaque lundi à 8h)"), ("hebdo", "hebdomadaire (chaque lundi à 8h)"),
     ("semaine", "hebdomadaire (chaque lundi à 8h)"),
     ("hebdomadaire", "hebdomadaire (chaque lundi à 8h)"),
     ("quotidien", "quotidien (chaque jour à 8h)"), ("Quotidienne", "quotidien (chaque jour à 8h)"),
     ("jour", "quotidien (chaque jour à 8h)")],
)
async def test_digest_frequencies(router: Bot, args: str, label: str) -> None:
    reply = await say(router, f"!digest abonner {args}".strip(), DIRECT, REFERENT)
    assert reply.plain.startswith(f"Abonnement au digest {label} enregistré ; prochain envoi : ")
    assert reply.reaction == "✅"


async def test_digest_unsubscribe_and_now(router: Bot) -> None:
    assert (await say(router, "!digest maintenant", DIRECT, REFERENT)).plain == \
        "Aucun référent abonné : aucun digest envoyé."
    assert (await say(router, "!digest unsubscribe", DIRECT, REFERENT)).plain == \
        "Vous n’étiez pas abonné(e) au digest."
    await say(router, "!digest subscribe", DIRECT, REFERENT)
    assert (await say(router, "!digest désinscrire", DIRECT, REFERENT)).plain == \
        "Vous ne recevrez plus de digest."
