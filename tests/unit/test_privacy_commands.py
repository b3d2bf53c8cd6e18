"""!mesdonnees and !oublier through the dispatcher (one unit of work per event, what is owed
read back from the outbox): the export is exact and only the requester's; forgetting
needs its explicit confirmation, and then leaves the bilan anonymised."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.harness import ALICE, NOW, REPO, Bot, Clock, FakeRoom, make_bot
from traam_bot.config import load_directory
from traam_bot.domain.model import Edit, Incoming
from traam_bot.domain.outbox import Outgoing
from traam_bot.domain.privacy import FORGOTTEN
from traam_bot.domain.typography import typeset

NSI = "besancon-nsi-egalite"
BOB = "@bob:localhost"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice Martin", BOB: "Bob Durand"},
                levels={ALICE: 50})
DM = FakeRoom(room_id="!dm-alice:localhost", is_direct=True,
              members={ALICE: "Alice Martin", "@traam-bot:localhost": "TraAM"})
FICHE = "https://exemple.fr/fiche-seance-1"




@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def bot(tmp_path: Path, template: Path, clock: Clock) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, clock=clock,
                        settings={"referents": [ALICE]}) as bot:
        await bot.link(TEAM.room_id, NSI, by=ALICE)
        yield bot


_events = iter(range(1, 10_000))


async def send(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE,
               event_id: str | None = None) -> str:
    event_id = event_id or f"$e{next(_events)}"
    bot.rooms[room.room_id] = room
    await bot.dispatcher.on_event(Incoming(room_id=room.room_id, event_id=event_id,
                                           sender=sender, body=body,
                                           timestamp=bot.services.clock()), room)
    return event_id


async def answers(bot: Bot, event_id: str) -> list[str]:
    """The plain text of every message owed in answer to `event_id`."""
    return [o.body for o in await bot.owed() if o.in_reply_to == event_id and o.kind == "message"]


async def populate(bot: Bot) -> None:
    await send(bot, "!point Fait : séance 1 avec la classe", event_id="$p1")
    await send(bot, f"!ressource ajouter {FICHE} Fiche séance 1", event_id="$r1")
    await send(bot, "!rappel ajouter chaque lundi à 9h : Réunion d’équipe")
    await send(bot, "!relance chaque vendredi à 16h")
    await send(bot, "!digest abonner hebdo", room=DM)
    await send(bot, "!point Fait : rien de spécial pour Bob", sender=BOB, event_id="$p2")


async def test_mydata_goes_to_the_direct_chat_exact_and_only_theirs(bot: Bot) -> None:
    await populate(bot)
    asked = await send(bot, "!mesdonnees")
    assert await answers(bot, asked) == [typeset(
        "Je vous envoie vos données en message direct (jamais dans un salon partagé).")]
    to_her = [o for o in await bot.owed() if o.user_id == ALICE]
    assert [o.kind for o in to_her] == ["message", "file"]
    assert all(o.room_id is None for o in to_her)  # nothing of it in the team room
    summary, attachment = to_her
    for fragment in ("Points d’étape (1)", "séance 1 avec la classe", "Fiche séance 1",
                     "Réunion d’équipe", "Abonnements au digest (1)", "« Alice Martin »"):
        assert typeset(fragment) in summary.body
    assert (attachment.filename, attachment.mimetype) == ("mes-donnees-traam.json",
                                                          "application/json")
    data = json.loads(attachment.data)
    assert data == expected_export()
    assert "Bob" not in attachment.data and BOB not in attachment.data


def expected_export() -> dict[str, Any]:
    created = "2025-12-01T10:00:00+01:00"  # NOW, in Paris
    label = "NSI (académie de Besançon)"
    return {
        "genere_le": created,
        "identifiant_matrix": ALICE,
        "noms_affiches": ["Alice Martin"],
        "conservation": {"points_et_ressources_annees": 3, "traces_techniques_jours": 30},
        "points_d_etape": [{
            "projet": NSI, "projet_libelle": label, "numero": 1, "nom_affiche": "Alice Martin",
            "salon": TEAM.room_id, "evenement": "$p1", "cree_le": created, "modifie_le": None,
            "texte": "Fait : séance 1 avec la classe",
            "sections": [["fait", "séance 1 avec la classe"]]}],
        "ressources": [{
            "projet": NSI, "projet_libelle": label, "titre": "Fiche séance 1", "lien": FICHE,
            "type": "autre", "nom_affiche": "Alice Martin", "salon": TEAM.room_id,
            "cree_le": created}],
        "rappels": [{
            "salon": TEAM.room_id, "message": "Réunion d’équipe", "quand": "chaque lundi à 9h00",
            "statut": "active", "prochain_envoi": "2025-12-08T09:00:00+01:00",
            "dernier_envoi": None, "cree_le": created}],
        "relances": [{
            "salon": TEAM.room_id, "message": "", "quand": "chaque vendredi à 16h00",
            "statut": "active", "prochain_envoi": "2025-12-05T16:00:00+01:00",
            "dernier_envoi": None, "cree_le": created}],
        "abonnements_digest": [{
            "salon": None, "message": "hebdo", "quand": "chaque lundi à 8h00",
            "statut": "active", "prochain_envoi": "2025-12-08T08:00:00+01:00",
            "dernier_envoi": None, "cree_le": created}],
        "salons_lies": [{"salon": TEAM.room_id, "nom_du_salon": None, "projet": NSI,
                         "lie_le": created}],
        "annuaire": [],
    }


async def test_mydata_in_the_direct_chat_answers_there_with_the_file_last(bot: Bot) -> None:
    await populate(bot)
    asked = await send(bot, "!mydata", room=DM)
    owed = [o for o in await bot.owed() if o.in_reply_to == asked]
    assert [o.kind for o in owed] == ["message", "file"]
    assert {o.room_id for o in owed} == {DM.room_id} and owed[1].thread_root is None
    assert json.loads(owed[1].data)["identifiant_matrix"] == ALICE


async def test_mydata_of_someone_with_nothing_stored(bot: Bot) -> None:
    asked = await send(bot, "!mesdonnees", room=DM, sender="@carole:localhost")
    [summary, attachment] = [o for o in await bot.owed() if o.in_reply_to == asked]
    assert typeset("Je ne conserve aucun point d’étape") in summary.body
    data = json.loads(attachment.data)
    assert data["points_d_etape"] == data["ressources"] == data["rappels"] == []


# ------------------------------------------------------------------------ !oublier
async def stored(bot: Bot) -> dict[str, Any]:
    async with bot.units() as uow:
        data = await bot.services.privacy.collect(uow, ALICE)
        updates = await uow.updates.list([NSI])
    return {"mine": (len(data.updates), len(data.resources), len(data.schedules)),
            "authors": [u.author_name for u in updates]}


@pytest.mark.parametrize("attempt", [
    "!oublier confirmer",  # never asked
    "!forget confirmer",
    "!oublier CONFIRMER",
])
async def test_the_confirmation_cannot_come_first(bot: Bot, attempt: str) -> None:
    await populate(bot)
    before = await stored(bot)
    asked = await send(bot, attempt)
    [answer] = await answers(bot, asked)
    assert typeset("Aucune demande d’effacement en attente") in answer
    assert await stored(bot) == before == {"mine": (1, 1, 3),
                                           "authors": ["Alice Martin", "Bob Durand"]}


async def test_asking_erases_nothing_and_states_the_word(bot: Bot) -> None:
    await populate(bot)
    asked = await send(bot, "!oublier")
    [question] = await answers(bot, asked)
    for fragment in ("supprimés : 1 rappel, 1 relance et 1 abonnement au digest",
                     f"attribués à « {FORGOTTEN} » : 1 point d’étape et 1 ressource",
                     "Pour confirmer, envoyez !oublier confirmer dans les 15 minutes",
                     "Sans confirmation, rien n’est effacé"):
        assert typeset(fragment) in question, fragment
    assert (await stored(bot))["mine"] == (1, 1, 3)


@pytest.mark.parametrize("word", ["oui", "confirme", "confirmer tout", "ok"])
async def test_another_word_does_not_confirm(bot: Bot, word: str) -> None:
    await populate(bot)
    await send(bot, "!oublier")
    asked = await send(bot, f"!oublier {word}")
    [answer] = await answers(bot, asked)
    assert typeset("écrivez exactement !oublier confirmer") in answer
    assert (await stored(bot))["mine"] == (1, 1, 3)
    confirmed = await send(bot, "!oublier confirmer")  # the question still waits
    assert typeset("C’est fait") in (await answers(bot, confirmed))[0]


async def test_a_late_or_foreign_confirmation_erases_nothing(bot: Bot, clock: Clock) -> None:
    await populate(bot)
    await send(bot, "!oublier")
    await send(bot, "!oublier confirmer", sender=BOB)  # Bob never asked
    assert (await stored(bot))["authors"] == ["Alice Martin", "Bob Durand"]
    clock.now = NOW + timedelta(minutes=16)
    late = await send(bot, "!oublier confirmer")
    assert typeset("Aucune demande d’effacement en attente") in (await answers(bot, late))[0]
    assert (await stored(bot))["mine"] == (1, 1, 3)


async def test_confirmed_forgetting_anonymises_and_stops_timers(bot: Bot) -> None:
    await populate(bot)
    async with bot.units() as uow:
        mine = [s.id for s in await uow.schedules.find(owner=ALICE)]
    await send(bot, "!oublier", room=DM)
    done = await send(bot, "!oublier confirmer", room=DM)
    [answer] = await answers(bot, done)
    assert typeset("C’est fait : vos données sont effacées.") in answer
    assert typeset("supprimés : 1 rappel, 1 relance et 1 abonnement au digest") in answer
    assert typeset("configuration du bot (référents)") in answer  # listed in bot.yaml
    assert await stored(bot) == {"mine": (0, 0, 0), "authors": [FORGOTTEN, "Bob Durand"]}
    assert all(bot.timers.armed[i] is None for i in mine)  # nothing left to fire
    bilan = await send(bot, "!bilan")
    text = "\n".join(await answers(bot, bilan))
    assert typeset(FORGOTTEN) in text and "séance 1 avec la classe" in text
    assert "Alice" not in text
    owed_after: list[Outgoing] = await bot.owed()
    assert not any(ALICE in json.dumps(o.to_json()) or "Alice Martin" in o.body
                   for o in owed_after)


async def test_help_lists_the_personal_data_commands(bot: Bot) -> None:
    asked = await send(bot, "!aide", room=DM)
    help_text = "\n".join(await answers(bot, asked))
    assert "!mesdonnees" in help_text and "!oublier [confirmer]" in help_text


async def test_the_export_follows_edits_renames_and_the_directory(bot: Bot,
                                                                 clock: Clock) -> None:
    await populate(bot)
    seed = load_directory(REPO / "config" / "traam.yaml")
    contacts = (replace(seed.contacts[0], matrix_id=ALICE), *seed.contacts[1:])
    async with bot.units() as uow:
        await bot.services.directory.import_directory(uow, replace(seed, contacts=contacts))
    clock.now = NOW + timedelta(hours=2)
    await bot.dispatcher.on_event(Edit(room_id=TEAM.room_id, event_id="$edit", sender=ALICE,
                                       target="$p1", body="!point Fait : séances 1 et 2",
                                       timestamp=clock.now), TEAM)
    renamed = replace(TEAM, members={**TEAM.members, ALICE: "Alice M."})
    await send(bot, "!mesdonnees", room=renamed)
    [summary, attachment] = [o for o in await bot.owed() if o.user_id == ALICE]
    assert summary.msgtype == "m.notice"  # the bot's answer, as every answer
    data = json.loads(attachment.data)
    assert data["noms_affiches"] == ["Alice M.", "Alice Martin"]  # now, then as stored
    [point] = data["points_d_etape"]
    assert (point["texte"], point["modifie_le"]) == ("Fait : séances 1 et 2",
                                                     "2025-12-01T12:00:00+01:00")
    contact = seed.contacts[0]
    assert data["annuaire"] == [{"nom": contact.name, "role": contact.role,
                                 "courriel": contact.email, "identifiant_matrix": ALICE}]
    assert "\n  \"identifiant_matrix\": " in attachment.data  # indented, for people too
    assert "é" in attachment.data and "\\u00e9" not in attachment.data  # accents as such

    await send(bot, "!point Fait : réunion avec Alice M.", sender=BOB)  # her name of now
    await send(bot, "!oublier", room=renamed)
    done = await send(bot, "!oublier confirmer", room=renamed)
    [answer] = await answers(bot, done)
    assert typeset("configuration du bot (référents, annuaire des contacts)") in answer
    async with bot.units() as uow:
        assert await uow.privacy.contacts_of(ALICE) == []
        texts = [u.text for u in await uow.updates.list([NSI])]
    assert texts[-1] == f"Fait : réunion avec {FORGOTTEN}"


async def test_the_daily_purge_removes_what_is_older_than_the_retention(bot: Bot) -> None:
    await populate(bot)  # at NOW: two points, one resource, and their ledger marks
    privacy = bot.services.privacy
    async with bot.units() as uow:
        early = await privacy.purge(uow, NOW.replace(year=NOW.year + 3) - timedelta(seconds=1))
    assert (early.updates, early.resources, early.ledger) == (0, 0, 6)  # only the ledger
    async with bot.units() as uow:
        late = await privacy.purge(uow, NOW.replace(year=NOW.year + 3) + timedelta(seconds=1))
        left = await uow.updates.list([NSI])
    assert (late.updates, late.resources, late.total) == (2, 1, late.messages + 3)
    assert left == []
