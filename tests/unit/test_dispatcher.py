"""The dispatcher without Matrix: each event is one unit of work — what it writes, what it
owes (outbox) and its ledger mark are committed together, or not at all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.harness import ALICE, NOW, REPO, Bot, FakeRoom, make_bot
from traam_bot.config import load_directory
from traam_bot.domain.model import Edit, Incoming, Redaction
from traam_bot.domain.notices import APOLOGY, withheld_notice
from traam_bot.domain.typography import typeset
from traam_bot.services.units import StoreUnavailable

PROJECT = "besancon-nsi-egalite"
TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice", "@bob:localhost": "Bob"},
                levels={ALICE: 50})


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template) as bot:
        await bot.link(TEAM.room_id, PROJECT)
        yield bot


def message(event_id: str, body: str, sender: str = ALICE, room: FakeRoom = TEAM) -> Incoming:
    return Incoming(room_id=room.room_id, event_id=event_id, sender=sender, body=body,
                    timestamp=NOW)


async def handled(bot: Bot, *event_ids: str) -> set[str]:
    return await bot.dispatcher.handled(list(event_ids))


async def test_a_point_is_stored_acknowledged_and_marked_in_one_go(bot: Bot) -> None:
    await bot.dispatcher.on_event(message("$p1", "!point Fait : séance 1"), TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "Fait : séance 1")]
    owed = await bot.owed()
    assert [(o.kind, o.reaction_key or o.body[:24]) for o in owed] == [
        ("reaction", "✅"), ("message", "Mise à jour n° 1 enregis")]
    assert all(o.room_id == TEAM.room_id and o.in_reply_to == "$p1" for o in owed)
    assert await handled(bot, "$p1") == {"$p1"}


async def test_a_replayed_event_is_owed_and_stored_once(bot: Bot) -> None:
    for _ in range(2):  # e.g. the first batch after a restart, before the ledger check
        await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1")]
    assert len(await bot.owed()) == 2  # one ✅, one reply


async def test_a_database_outage_leaves_nothing_behind(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection lost in the middle (here, at the ledger mark): StoreUnavailable for
    the caller to retry; no update, no message owed, not marked handled — so the event is
    handled again, whole, later."""
    async def broken(*_a: object, **_kw: object) -> None:
        raise ConnectionResetError("database gone")

    from traam_bot.store.state_repo import StateRepo
    monkeypatch.setattr(StateRepo, "mark_handled", broken)
    with pytest.raises(StoreUnavailable) as raised:
        await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    monkeypatch.undo()
    assert raised.value.reason == "ConnectionResetError"
    assert await bot.updates(PROJECT) == []
    assert await bot.owed() == []
    assert await handled(bot, "$p1") == set()
    await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1")]


@pytest.mark.parametrize(("body", "apologised"), [
    ("!point séance 1", True),  # a command: its author waits for an answer
    ("on avance bien", False),  # team-room chatter: a bug is no reason to speak up
])
async def test_a_handler_bug_apologises_and_lets_the_next_events_flow(
        bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        body: str, apologised: bool) -> None:
    """A bug is not an outage: the event is not retried (it would fail again, and hold
    every event after it), it is logged with its id, marked handled as failed, and its
    author is told; nothing of the failed unit of work is kept."""
    async def bug(*_a: object, **_kw: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(bot.router, "handle", bug)
    await bot.dispatcher.on_event(message("$bug", body), TEAM)
    monkeypatch.undo()
    assert "$bug" in caplog.text and "KeyError" in caplog.text
    assert await handled(bot, "$bug") == {"$bug"}  # never handled again (a restart)
    owed = await bot.owed()
    assert [(o.body, o.in_reply_to) for o in owed] == (
        [(typeset(APOLOGY), "$bug")] if apologised else [])
    await bot.dispatcher.on_event(message("$p2", "!point séance 2"), TEAM)
    assert await bot.updates(PROJECT) == [("$p2", "séance 2")]


async def test_only_the_authors_edit_counts_and_is_acknowledged_quietly(bot: Bot) -> None:
    await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    before = len(await bot.owed())
    intruder = Edit(room_id=TEAM.room_id, event_id="$e1", sender="@bob:localhost",
                    target="$p1", body="!point piraté", timestamp=NOW)
    await bot.dispatcher.on_event(intruder, TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1")]
    assert len(await bot.owed()) == before
    author = Edit(room_id=TEAM.room_id, event_id="$e2", sender=ALICE, target="$p1",
                  body="!point séance 1 et 2", timestamp=NOW + timedelta(minutes=1))
    await bot.dispatcher.on_event(author, TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1 et 2")]
    ack = (await bot.owed())[-1]
    assert (ack.kind, ack.reaction_key, ack.in_reply_to) == ("reaction", "✏️", "$p1")
    assert await handled(bot, "$e1", "$e2") == {"$e1", "$e2"}


async def test_a_redaction_deletes_the_update(bot: Bot) -> None:
    await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    await bot.dispatcher.on_event(Redaction(room_id=TEAM.room_id, event_id="$r1",
                                            sender=ALICE, target="$p1", timestamp=NOW), TEAM)
    assert await bot.updates(PROJECT) == []
    assert await handled(bot, "$r1") == {"$r1"}


async def test_chatter_is_marked_handled_and_owes_nothing(bot: Bot) -> None:
    await bot.dispatcher.on_event(message("$c1", "on avance bien"), TEAM)
    assert await bot.owed() == []
    assert await handled(bot, "$c1") == {"$c1"}


async def test_joining_a_room_named_in_the_directory_links_it(bot: Bot) -> None:
    directory = load_directory(REPO / "config" / "traam.yaml")
    named = replace(directory.projects[0], room="#traam-arts:localhost")
    async with bot.units() as uow:
        await bot.services.directory.import_directory(
            uow, replace(directory, projects=(named, *directory.projects[1:])))
    await bot.dispatcher.on_joined("!nouveau:localhost", ("!nouveau:localhost",
                                                          "#TraAM-arts:localhost"),
                                   1_700_000_000_000)
    assert bot.services.directory.project_for_room("!nouveau:localhost") == named
    assert await bot.dispatcher.joined_at("!nouveau:localhost") == 1_700_000_000_000


async def test_the_sync_token_is_kept(bot: Bot) -> None:
    assert await bot.dispatcher.load_token() is None
    await bot.dispatcher.save_token("s1_2_3")
    assert await bot.dispatcher.load_token() == "s1_2_3"


async def test_a_handler_that_raises_owes_an_apology_and_marks_the_event(
        bot: Bot, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A poison event: logged with its id, a short French apology owed, marked handled
    ("failed") so that a replay does not try it again; the next event flows."""
    handle = bot.dispatcher.router.handle

    async def poisoned(uow, incoming, room):  # type: ignore[no-untyped-def]
        if "💣" in incoming.body:
            await handle(uow, incoming, room)  # writes an update, then fails: rolled back
            raise RuntimeError("boom")
        return await handle(uow, incoming, room)

    monkeypatch.setattr(bot.dispatcher.router, "handle", poisoned)
    await bot.dispatcher.on_event(message("$p1", "!point 💣 séance 1"), TEAM)
    # the type and the frames, not the message: it may quote the event's text (test_logs_privacy)
    assert "$p1" in caplog.text and "RuntimeError (message masqué)" in caplog.text
    assert "boom" not in caplog.text and "dispatcher.py" in caplog.text
    assert await bot.updates(PROJECT) == []
    [apology] = await bot.owed()
    assert (apology.kind, apology.in_reply_to, apology.room_id) == ("message", "$p1",
                                                                  TEAM.room_id)
    assert apology.body.startswith("Désolé") and len(apology.body) < 200
    assert await handled(bot, "$p1") == {"$p1"}
    await bot.dispatcher.on_event(message("$p1", "!point 💣 séance 1"), TEAM)  # a replay
    assert len(await bot.owed()) == 1  # the same apology, owed once
    await bot.dispatcher.on_event(message("$p2", "!point séance 2"), TEAM)
    assert await bot.updates(PROJECT) == [("$p2", "séance 2")]


async def test_a_failing_edit_is_apologised_for_and_a_failing_redaction_is_marked(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_a: object, **_kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.updates, "apply_edit", broken)
    monkeypatch.setattr(bot.services.updates, "apply_redaction", broken)
    edit = Edit(room_id=TEAM.room_id, event_id="$e1", sender=ALICE, target="$p0",
                body="!point corrigé", timestamp=NOW)
    await bot.dispatcher.on_event(edit, TEAM)
    await bot.dispatcher.on_event(Redaction(room_id=TEAM.room_id, event_id="$r1",
                                            sender=ALICE, target="$p0", timestamp=NOW), TEAM)
    [apology] = await bot.owed()
    assert apology.in_reply_to == "$e1" and apology.body.startswith("Désolé")
    assert await handled(bot, "$e1", "$r1") == {"$e1", "$r1"}


async def test_a_message_edited_twice_is_acknowledged_once(bot: Bot) -> None:
    """One ✏️ per edited message, also for a replayed edit: a homeserver refuses the same
    reaction twice from one user."""
    await bot.dispatcher.on_event(message("$p1", "!point séance 1"), TEAM)
    for event_id, body in (("$e1", "séance 1 bis"), ("$e1", "séance 1 bis"),  # a replay
                           ("$e2", "séance 1 ter")):
        await bot.dispatcher.on_event(
            Edit(room_id=TEAM.room_id, event_id=event_id, sender=ALICE, target="$p1",
                 body=f"!point {body}", timestamp=NOW), TEAM)
    assert await bot.updates(PROJECT) == [("$p1", "séance 1 ter")]
    acks = [o for o in await bot.owed() if o.reaction_key == "✏️"]
    assert [(o.room_id, o.in_reply_to) for o in acks] == [(TEAM.room_id, "$p1")]


async def test_an_edit_in_a_direct_chat_keeps_the_project_form(bot: Bot) -> None:
    dm = FakeRoom(room_id="!dm:localhost", is_direct=True, members={ALICE: "Alice"})
    bot.rooms.update({TEAM.room_id: TEAM, dm.room_id: dm})  # Alice is in the team's room
    await bot.dispatcher.on_event(
        message("$d1", f"!point {PROJECT} : séance 1", room=dm), dm)
    await bot.dispatcher.on_event(
        Edit(room_id=dm.room_id, event_id="$e1", sender=ALICE, target="$d1",
             body=f"!point {PROJECT} : séance 1 corrigée", timestamp=NOW), dm)
    assert await bot.updates(PROJECT) == [("$d1", "séance 1 corrigée")]


async def test_each_failing_edit_is_apologised_for_once(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_a: object, **_kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(bot.services.updates, "apply_edit", broken)
    for event_id in ("$e1", "$e1", "$e2"):  # a replay, then another edit
        await bot.dispatcher.on_event(
            Edit(room_id=TEAM.room_id, event_id=event_id, sender=ALICE, target="$p0",
                 body="!point corrigé", timestamp=NOW), TEAM)
    assert [(o.room_id, o.in_reply_to) for o in await bot.owed()] == [
        (TEAM.room_id, "$e1"), (TEAM.room_id, "$e2")]


async def test_withheld_keys_are_told_once_per_room_naming_the_member(bot: Bot) -> None:
    other = FakeRoom(room_id="!autre:localhost", members={"@bob:localhost": "Bob"})
    await bot.dispatcher.on_key_withheld(TEAM, "@bob:localhost", "m.unverified")
    await bot.dispatcher.on_key_withheld(TEAM, ALICE, "m.blacklisted")  # told already
    await bot.dispatcher.on_key_withheld(other, "@bob:localhost", "m.unverified")
    told = await bot.owed()
    assert [o.room_id for o in told] == [TEAM.room_id, other.room_id]
    expected = typeset(withheld_notice("Bob", "m.unverified").plain)
    assert [o.body for o in told] == [expected, expected]
    assert expected != withheld_notice("Bob", "m.blacklisted").plain
