"""The log at INFO and above holds ids, never what people wrote (SPEC §9, docs/rgpd.md): a
conversation covering every kind of user text (updates, resource titles, reminder
messages, questions, edits, failing commands, a handler crash, a database error quoting
its parameters, invalid events nio quotes whole) runs with the root logger and nio
captured at INFO under the bot's logging setup; no marker may reach a record's message
or exception text, nor the formatted log. A `log.info("… %s", body)` anywhere on these
paths makes this test fail."""

from __future__ import annotations

import io
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text as sql

from tests.unit.harness import ALICE, COORD, NOW, REFERENT, Bot, FakeRoom, make_bot, say
from traam_bot.domain.model import Edit, Incoming, Redaction
from traam_bot.ops.logs import NOISY, configure_logging

NSI = "besancon-nsi-egalite"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice Marqueur-Nom-Affiche"},
                levels={ALICE: 50})
DM = FakeRoom(room_id="!dm-alice:localhost", is_direct=True, members={ALICE: "Alice"})
DM_COORD = FakeRoom(room_id="!dm-coord:localhost", is_direct=True, members={COORD: "C"})
DM_REFERENT = FakeRoom(room_id="!dm-ref:localhost", is_direct=True, members={REFERENT: "R"})
FICHE = "https://edubase.eduscol.education.fr/fiche/12345"

# One distinct marker per kind of text, so a failure names what leaked.
M = {kind: f"Zq{kind}Xv" for kind in (
    "point", "dmpoint", "edit", "titre", "rappel", "question", "projets", "contacts",
    "usage", "inconnue", "crash", "sql", "reponse", "nio", "nom")}
M["nom"] = "Marqueur-Nom-Affiche"

_ids = itertools.count(1)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[pytest.LogCaptureFixture,
                                                                 io.StringIO]]:
    """The bot's own logging setup (JSON to a stream), then every record kept from INFO."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level,
             {name: logging.getLogger(name).level for name in NOISY})
    stream = io.StringIO()
    configure_logging("INFO", "json", stream=stream)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="nio")
    yield caplog, stream
    for handler in list(root.handlers):
        if getattr(handler, "traam_bot", False):
            root.removeHandler(handler)
    for handler in saved[0]:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    logging.captureWarnings(False)


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template) as bot:
        await bot.link(TEAM.room_id, NSI)
        yield bot


async def event(bot: Bot, body: str, room: FakeRoom = TEAM, sender: str = ALICE) -> str:
    """Through the dispatcher, as the Matrix runtime delivers it (it logs every event)."""
    bot.rooms[room.room_id] = room
    event_id = f"$ev{next(_ids)}"
    await bot.dispatcher.on_event(Incoming(room_id=room.room_id, event_id=event_id,
                                           sender=sender, body=body, timestamp=NOW), room)
    return event_id


def leaks(records: list[logging.LogRecord], formatted: str) -> list[str]:
    formatter = logging.Formatter()
    found = []
    for record in records:
        said = [record.getMessage(), record.exc_text or "", record.stack_info or ""]
        if record.exc_info:
            said.append(formatter.formatException(record.exc_info))
        found += [f"{record.name}: {kind}" for kind, marker in M.items()
                  if any(marker in s for s in said)]
    found += [f"formatted log: {kind}" for kind, marker in M.items() if marker in formatted]
    return found


async def test_no_message_text_in_the_log(bot: Bot, captured, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    caplog, stream = captured
    # updates, in the room and by direct message, then edited and deleted
    point = await event(bot, f"!point séance 1 {M['point']}")
    await say(bot, f"!point séance 2 {M['point']}", TEAM)
    await event(bot, f"!point nsi : {M['dmpoint']}", DM)
    await bot.dispatcher.on_event(Edit(room_id=TEAM.room_id, event_id=f"$ed{next(_ids)}",
                                       sender=ALICE, target=point,
                                       body=f"!point séance 1 {M['edit']}", timestamp=NOW),
                                  TEAM)
    # a resource, a reminder that fires, a digest that quotes the updates
    resource = await event(bot, f"!ressource ajouter {FICHE} {M['titre']}")
    await say(bot, f"!ressource liste {NSI}", DM)
    await event(bot, f"!rappel ajouter chaque lundi à 9h : {M['rappel']}")
    await say(bot, "!rappel liste", TEAM)
    await bot.services.schedules.run_due(NOW + timedelta(days=8))
    await event(bot, "!digest maintenant", DM_COORD, sender=COORD)
    await event(bot, "!bilan", DM_REFERENT, sender=REFERENT)
    # questions and searches that echo the words back
    await event(bot, f"{M['question']} projets à Dijon ?", DM)
    await event(bot, f"que faites-vous de mes données {M['question']} ?", DM)
    await say(bot, f"!projets {M['projets']}", DM)
    await say(bot, f"!contacts {M['contacts']}", DM)
    # failing commands: a usage error, an unknown command, a crash quoting the text, a
    # database error whose parameters are the text
    await event(bot, f"!rappel ajouter n’importe quand : {M['usage']}")
    await event(bot, f"!{M['inconnue']} bonjour")
    handle = bot.router.handle

    async def crashing(uow, incoming, room):  # type: ignore[no-untyped-def]
        if M["crash"] in incoming.body:
            raise ValueError(f"impossible de traiter « {incoming.body} »")
        if M["sql"] in incoming.body:
            await uow.session.execute(sql("INSERT INTO no_such_table (t) VALUES (:t)"),
                                      {"t": incoming.body})
        return await handle(uow, incoming, room)

    monkeypatch.setattr(bot.router, "handle", crashing)
    await event(bot, f"!point {M['crash']}")
    await event(bot, f"!point {M['sql']}")
    monkeypatch.undo()
    await bot.dispatcher.on_event(Redaction(room_id=TEAM.room_id, event_id="$red",
                                            sender=ALICE, target=resource, timestamp=NOW),
                                  TEAM)
    # invalid events nio quotes whole when it logs that they fail validation
    from nio import Event

    Event.parse_event({"type": "m.room.message", "event_id": "$bad", "sender": ALICE,
                       "origin_server_ts": 1, "content": {"body": M["nio"], "msgtype": 5}})

    records = caplog.records
    assert leaks(records, stream.getvalue()) == []
    messages = [r.getMessage() for r in records]
    # the capture worked: the events, the two failures and nio's line are there, by id
    assert sum("handled in" in m for m in messages) >= 12
    assert sum(m.startswith("handling failed for event") for m in messages) == 2
    assert any("ValueError (message masqué)" in m for m in messages)
    assert any("Error validating event: détail masqué" in m for m in messages)
    assert await bot.updates(NSI)  # and the texts did reach the database
