"""Every command's words, read whole: a scripted conversation through the real router and
services (in-memory SQLite, fixed clock) is rendered — plain text and HTML, reactions —
and compared with tests/unit/golden/conversation.txt.

That file is the French a coordinator, a teacher and a referent read; review its diff like
code. After a deliberate change of wording, regenerate it with
`TRAAM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/unit/test_conversation_golden.py`
(the run fails on purpose, so that a rewrite never passes unseen) and read the diff.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.harness import ALICE, COORD, NOW, REFERENT, FakeRoom, make_bot, migrated_template
from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.render import sendable
from traam_bot.domain.typography import violations

GOLDEN = Path(__file__).parent / "golden" / "conversation.txt"
BOB = "@bob:localhost"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice", BOB: "Bob",
                                                   COORD: "Coordinatrice"},
                levels={ALICE: 50, COORD: 100})
OTHER = FakeRoom(room_id="!autre:localhost", members={BOB: "Bob"})
DM_COORD = FakeRoom(room_id="!dm-coord:localhost", is_direct=True,
                    members={COORD: "Coordinatrice"}, levels={COORD: 100})
DM_REF = FakeRoom(room_id="!dm-ref:localhost", is_direct=True,
                  members={REFERENT: "Référente"}, levels={REFERENT: 100})
DM_BOB = FakeRoom(room_id="!dm-bob:localhost", is_direct=True, members={BOB: "Bob"},
                  levels={BOB: 100})

# (room, sender, message); "@bot" marks a mention of the bot.
SCRIPT: tuple[tuple[FakeRoom, str, str], ...] = (
    (DM_COORD, COORD, "!aide"),
    (DM_COORD, COORD, "!aide rappel"),
    (DM_COORD, COORD, "!aide xyzzy"),
    (DM_COORD, COORD, "!projets"),
    (DM_COORD, COORD, "!projets dijon"),
    (DM_COORD, COORD, "!projets dijon technologie"),
    (DM_COORD, COORD, "!projets chimie"),
    (DM_COORD, COORD, "!projet lettres"),
    (DM_COORD, COORD, "!projet xyzzy"),
    (DM_COORD, COORD, "!projet tecnologie"),
    (DM_COORD, COORD, "!projet"),
    (DM_COORD, COORD, "!contacts"),
    (DM_COORD, COORD, "!contacts julie"),
    (DM_COORD, COORD, "!contacts xyzzy"),
    (DM_COORD, COORD, "!foo"),
    (DM_COORD, COORD, "!PROJETS Dijon"),
    (DM_COORD, COORD, "Bonjour, quels sont les projets de l'académie de Dijon ?"),
    (DM_COORD, COORD, "Quels sont les projets en chimie ?"),
    (DM_COORD, COORD, "Qui est la référente TraAM ?"),
    (DM_COORD, COORD, "C'est quoi les TraAM ?"),
    (DM_COORD, COORD, "Quelle heure est-il ?"),
    (TEAM, ALICE, "bonjour tout le monde"),
    (TEAM, ALICE, "@bot quels sont les projets en NSI ?"),
    (TEAM, ALICE, "!point avant de lier"),
    (TEAM, BOB, "!lier nsi"),
    (TEAM, ALICE, "!lier nsi"),
    (TEAM, BOB, "!point Fait : séance 1 sur l’égalité filles-garçons en 1re\n"
                "Blocage : pas de salle informatique libre le jeudi"),
    (TEAM, BOB, "!point"),
    (TEAM, BOB, "!point <b>gras</b> & « guillemets » @room"),
    (TEAM, BOB, "!ressource ajouter https://edubase.eduscol.education.fr/fiche/12345 "
                "Séquence « égalité » en 1re"),
    (TEAM, BOB, "!ressource ajouter javascript:alert(1) Piège"),
    (TEAM, ALICE, "!ressource ajouter https://edubase.eduscol.education.fr/fiche/12345/ Doublon"),
    (TEAM, ALICE, "!ressource liste"),
    (TEAM, ALICE, "!bilan"),
    (TEAM, ALICE, "!bilan depuis 15/11/2025"),
    (TEAM, ALICE, "!bilan depuis hier"),
    (TEAM, ALICE, "!bilan lettres"),
    (TEAM, ALICE, "!rappel ajouter chaque lundi à 9h : Réunion d’équipe"),
    (TEAM, ALICE, "!rappel ajouter le 31/02/2027 à 9h : Date impossible"),
    (TEAM, ALICE, "!rappel ajouter demain 9h Réunion"),
    (TEAM, ALICE, "!rappel ajouter dans 2 heures : Déposer les séquences"),
    (TEAM, ALICE, "!rappel ajouter tous les jours ouvrés à 8h30 : Appel"),
    (TEAM, ALICE, "!rappel ajouter le 01/12/2024 à 9h : Passé"),
    (TEAM, BOB, "!rappel ajouter demain à 9h : Pas modérateur"),
    (TEAM, ALICE, "!rappel liste"),
    (TEAM, ALICE, "!rappel suppr 1"),
    (TEAM, ALICE, "!rappel suppr 99"),
    (TEAM, ALICE, "!rappel suppr abc"),
    (TEAM, ALICE, "!rappel liste"),
    (TEAM, ALICE, "!rappel"),
    (TEAM, ALICE, "!rappel supprime 2"),
    (TEAM, ALICE, "!relance chaque vendredi à 16h"),
    (TEAM, ALICE, "!relance"),
    (TEAM, ALICE, "!relance stop"),
    (TEAM, ALICE, "!relance stop"),
    (OTHER, BOB, "!point rien à lier"),
    (DM_BOB, BOB, "!point nsi : compte rendu envoyé à l’inspectrice"),
    (DM_BOB, BOB, "!point compte rendu sans projet"),
    (DM_BOB, BOB, "!lier nsi"),
    (DM_BOB, BOB, "!rappel liste"),
    (DM_COORD, COORD, "!projet nsi"),
    (DM_REF, REFERENT, "!digest"),
    (DM_REF, REFERENT, "!digest abonner mensuel"),
    (DM_REF, REFERENT, "!digest abonner quotidien"),
    (DM_REF, REFERENT, "!digest maintenant"),
    (DM_REF, REFERENT, "!digest désabonner"),
    (DM_REF, REFERENT, "!digest désabonner"),
    (DM_REF, REFERENT, "!digest maintenant"),
    (DM_BOB, BOB, "!digest abonner"),
    (DM_BOB, BOB, "!confidentialite"),
    (DM_BOB, BOB, "que faites-vous de mes données ?"),
    (TEAM, BOB, "!mesdonnees"),
    (DM_BOB, BOB, "!mesdonnees"),
    (DM_BOB, BOB, "!oublier confirmer"),
    (DM_BOB, BOB, "!oublier"),
    (DM_BOB, BOB, "!oublier oui"),
    (DM_BOB, BOB, "!oublier confirmer"),
    (TEAM, ALICE, "!bilan"),
    (DM_COORD, COORD, "!oublier"),
    (DM_COORD, COORD, "!oublier confirmer"),
)


def render(reply: Reply | None) -> list[str]:
    if reply is None:
        return ["  (pas de réponse)"]
    lines = [f"  réaction : {reply.reaction}"] if reply.reaction else []
    for i, message in enumerate(sendable(reply), 1):  # as the outbox writes them
        lines.append(f"  message {i} :")
        lines += ["    " + line for line in message.plain.split("\n")]
        lines.append("    html : " + message.html)
    for file in reply.attachments:  # sent after the messages, read whole too
        lines.append(f"  fichier : {file.filename} ({file.mimetype})")
        lines += ["    " + line for line in file.data.rstrip("\n").split("\n")]
    return lines


async def transcript(tmp_path: Path, sent: list[str] | None = None) -> str:
    """The conversation as the golden file shows it; every message the bot sends (plain
    bodies, digests included) is also appended to `sent` when given."""
    sent = [] if sent is None else sent
    template = await migrated_template(tmp_path)
    out: list[str] = []
    async with make_bot(tmp_path, template) as bot:
        async with bot.units() as uow:
            await bot.services.digests.ensure_defaults(uow, (REFERENT,), NOW)
        for n, (room, sender, body) in enumerate(SCRIPT, 1):
            bot.rooms[room.room_id] = room
            mention = body.startswith("@bot ")
            text = body.removeprefix("@bot ")
            incoming = Incoming(room_id=room.room_id, event_id=f"$e{n}", sender=sender,
                                body=text, timestamp=NOW - timedelta(minutes=len(SCRIPT) - n),
                                is_direct=room.is_direct,
                                mentions_bot=mention, sender_name=room.display_name(sender))
            reply = await bot.ask(incoming, room)
            out.append(f"[{n}] {room.room_id} {sender} : {body}")
            out += render(reply)
            sent += [m.plain for m in sendable(reply)] if reply else []
        owed = [o for o in await bot.owed() if o.label == "digest"]
        out.append("[digests dus]")
        for o in owed:
            sent.append(o.body)
            out.append(f"  à {o.user_id} :")
            out += ["    " + line for line in o.body.split("\n")]
    return "\n".join(out) + "\n"


async def test_the_conversation_reads_as_reviewed(tmp_path: Path) -> None:
    actual = await transcript(tmp_path)
    if os.environ.get("TRAAM_UPDATE_GOLDEN"):
        GOLDEN.write_text(actual, encoding="utf-8")
        pytest.fail(f"{GOLDEN.name} rewritten: read its diff, then run the test again")
    expected = GOLDEN.read_text(encoding="utf-8")
    assert actual.splitlines() == expected.splitlines()


async def test_every_message_of_the_conversation_follows_french_typography(
        tmp_path: Path) -> None:
    sent: list[str] = []
    await transcript(tmp_path, sent)
    assert len(sent) > len(SCRIPT) // 2  # the conversation did run
    broken = {text: violations(text) for text in sent if violations(text)}
    assert broken == {}
