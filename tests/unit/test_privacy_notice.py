"""!confidentialite (!privacy) and the free-text questions about personal data (SPEC §9):
what the notice says, whom it names as contact, the help listing, and the phrasings that
get it (as tables, like tests/unit/test_questions_phrasings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.harness import ALICE, COORD, NOW, Bot, FakeRoom, make_bot, say, text
from traam_bot.domain.model import Incoming
from traam_bot.domain.privacy_notice import GENERIC_CONTACT, contact_line, privacy_notice
from traam_bot.domain.questions import CONTACTS, PRIVACY, PROJECTS, classify

DM = FakeRoom(room_id="!dm:localhost", is_direct=True, members={ALICE: "Alice"})
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice"})

# Free text that asks about personal data, as people type it (accents or not, SMS).
PRIVACY_QUESTIONS = [
    "que faites-vous de mes données ?",
    "Que faites vous de mes donnees",
    "ke faites vs de mes données",
    "RGPD",
    "rgpd ?",
    "c'est quoi le RGPD ?",
    "et le rgpd dans tout ça ?",
    "données personnelles",
    "donnees perso",
    "mes données",
    "vie privée",
    "et la vie privee ?",
    "qui voit mes messages ?",
    "ki voit mes msg",
    "qui a accès à mes messages ?",
    "qui peut lire mes messages",
    "qui lisent mes infos ?",
    "effacer mes traces",
    "combien de temps gardez-vous mes données",
    "cb de tps vs gardez mes donnees ?",
    "combien de temps conservez-vous les données ?",
    "supprimer mes données",
    "suppr mes donnees stp",
    "je veux effacer mes données",
    "comment effacer mes messages ?",
    "où vont mes données ?",
    "quelles données stockez-vous ?",
    "confidentialité",
    "politique de confidentialite",
    "qui est le DPO ?",
    "vous êtes conformes CNIL ?",
    "les projets stockent mes données ?",  # « projets » does not make it a search
    "Bonjour, que faites-vous de mes données ? merci",
]

# Still what they were: « données » alone or « messages » are search or chatter words.
NOT_PRIVACY = [
    ("projets sur les données", PROJECTS),
    ("qui contacter pour les TraAM ?", CONTACTS),
    ("projets en NSI", PROJECTS),
    ("je voudrais voir les informations du projet NSI", PROJECTS),
    ("la liste des projets sur les données", PROJECTS),
]


@pytest.mark.parametrize("question", PRIVACY_QUESTIONS)
def test_questions_about_personal_data(projects, contacts, question):
    assert classify(question, projects, contacts).kind == PRIVACY


@pytest.mark.parametrize(("question", "kind"), NOT_PRIVACY)
def test_other_questions_keep_their_kind(projects, contacts, question, kind):
    assert classify(question, projects, contacts).kind == kind


def test_the_notice_says_what_why_how_long_who_and_rights() -> None:
    notice = privacy_notice("dpo@ac-besancon.fr", 3, ["@coordinatrice:localhost"], "!").plain()
    for said in ("identifiant Matrix", "nom d’affichage", "points d’étape",
                 "réponses aux relances", "ressources partagées (lien et titre)",
                 "rappels, les relances et les abonnements aux digests, avec leur auteur",
                 "quel salon est lié à quel projet, et par qui",
                 "identifiants des messages traités", "messages envoyés par le bot (30 jours)",
                 "clés publiques des appareils",
                 "suivi des projets TraAM par l’académie", "DNE",
                 "mission d’intérêt public", "article 6.1.e du RGPD",
                 "points d’étape et ressources : 3 ans, puis suppression automatique",
                 "traces techniques : 30 jours", "désabonnement",
                 "membres des salons des projets", "coordinateurs", "référents", "DRANE",
                 "!mesdonnees", "!oublier", "« un membre de l’équipe »",
                 "modifiez votre message", "supprimez-le",
                 "écrivez à dpo@ac-besancon.fr", "données personnelles d’élèves"):
        assert said in notice, said
    assert "@coordinatrice:localhost" not in notice  # the contact is enough


def test_the_contact_is_the_dpo_else_the_admins_else_generic() -> None:
    assert contact_line("dpo@ac-dijon.fr", ["@a:x"]).endswith("écrivez à dpo@ac-dijon.fr.")
    assert contact_line(None, ["@a:x", "@b:x"]) == (
        "Pour toute question sur vos données, écrivez aux administrateurs du bot : "
        "@a:x, @b:x.")
    assert contact_line(None, []) == GENERIC_CONTACT
    assert "1 an," in privacy_notice(None, 1, [], "?").plain()
    assert "?mesdonnees" in privacy_notice(None, 1, [], "?").plain()


async def test_the_command_and_its_alias(bot: Bot) -> None:
    answer = text(await say(bot, "!confidentialite", DM))
    assert "Vos données et le bot TraAM" in answer
    assert "écrivez aux administrateurs du bot : @coordinatrice:localhost." in answer
    assert "3 ans" in answer
    assert text(await say(bot, "!privacy", TEAM)) == answer  # anywhere, for everyone
    assert text(await say(bot, "!Confidentialité", TEAM)) == answer


async def test_the_configured_contact_and_retention(tmp_path: Path, template: Path) -> None:
    settings = {"privacy": {"contact": "dpo@region-academique-bfc.fr"},
                "retention": {"years": 5}}
    async with make_bot(tmp_path, template, settings=settings) as bot:
        answer = text(await say(bot, "!confidentialite", DM))
    assert "écrivez à dpo@region-academique-bfc.fr." in answer
    assert "points d’étape et ressources : 5 ans" in answer
    assert "administrateurs" not in answer


async def test_the_help_lists_it(bot: Bot) -> None:
    for room in (DM, TEAM):
        help_text = text(await say(bot, "!aide", room))
        assert ("!confidentialite (ou !privacy) — ce que le bot garde de vos données, "
                "pourquoi, combien de temps, et vos droits") in help_text


@pytest.mark.parametrize("question", ["que faites-vous de mes données ?", "RGPD",
                                      "qui voit mes messages ?", "ki voit mes msg"])
async def test_free_text_in_a_direct_chat_or_with_a_mention(bot: Bot, question: str) -> None:
    notice = text(await say(bot, "!confidentialite", DM))
    assert text(await say(bot, question, DM)) == notice
    mention = Incoming(room_id=TEAM.room_id, event_id="$mention", sender=ALICE,
                       body=question, timestamp=NOW, mentions_bot=True)
    bot.rooms[TEAM.room_id] = TEAM
    reply = await bot.ask(mention, TEAM)
    assert reply is not None and text(reply) == notice
    chatter = Incoming(room_id=TEAM.room_id, event_id="$chatter", sender=COORD,
                       body=question, timestamp=NOW)
    assert await bot.ask(chatter, TEAM) is None  # team-room chatter is left alone
