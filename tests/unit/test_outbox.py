"""The outbox on a real SQLite database with a fake transport: delivered once after an
outage, resent with the same transaction id after a crash, refused rows ended with their
reason, order kept per room, old rows expired."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.unit.harness import NOW, Bot, Clock, make_bot
from traam_bot.domain.model import Incoming, Reply
from traam_bot.domain.outbox import EXPIRED, FAILED, PENDING, SENT, Outgoing
from traam_bot.domain.records import PAUSED
from traam_bot.domain.triggers import Trigger
from traam_bot.matrix.calls import Backoff
from traam_bot.matrix.outbox_sender import OutboxSender
from traam_bot.matrix.send import Outcome
from traam_bot.services.delivery import Delivery
from traam_bot.store.models import OutboxRow
from traam_bot.store.outbox_repo import txn_id

ROOM, OTHER = "!equipe:localhost", "!autre:localhost"
CREATOR = "@coordinatrice:localhost"




class FakeTransport:
    """Stands for the homeserver: fails while `failing()` is true, refuses with `refuse`,
    and, like Synapse, answers a repeated transaction id with the same event."""

    def __init__(self, clock: Clock, step: timedelta = timedelta(seconds=10)) -> None:
        self.clock = clock
        self.step = step  # each attempt moves time on (the outage is measured in time)
        self.failing: Callable[[], bool] = lambda: False
        self.refuse: dict[str, str] = {}  # room id -> errcode
        self.attempts: list[tuple[str, str, str]] = []  # (room, type, txn)
        self.events: dict[str, str] = {}  # txn -> event id
        self.files: list[tuple[str, Outgoing, str]] = []  # (room, row, txn) of file rows

    async def attempt(self, room_id: str, event_type: str, content: dict[str, Any],
                      txn: str) -> Outcome:
        self.attempts.append((room_id, event_type, txn))
        self.clock.now += self.step
        await asyncio.sleep(0)
        if room_id in self.refuse:
            return Outcome(refused=self.refuse[room_id], error="refusé")
        if self.failing():
            return Outcome(error="502 Bad Gateway")
        event_id = self.events.setdefault(txn, f"$e{len(self.events) + 1}")
        return Outcome(event_id=event_id)

    async def attempt_file(self, room_id: str, out: Outgoing, txn: str) -> Outcome:
        """Upload then send, as one attempt (what the sender's upload path returns)."""
        self.files.append((room_id, out, txn))
        return await self.attempt(room_id, "m.file", {}, txn)

    def delivered(self) -> list[tuple[str, str, str]]:
        """(room, type, txn) of what reached the server, each transaction once."""
        seen, out = set(), []
        for room, kind, txn in self.attempts:
            if txn in self.events and txn not in seen:
                seen.add(txn)
                out.append((room, kind, txn))
        return out


@pytest.fixture
async def bot(tmp_path: Path, template: Path) -> AsyncIterator[Bot]:
    async with make_bot(tmp_path, template, clock=Clock(NOW)) as bot:
        yield bot


def delivery_of(bot: Bot, max_age: timedelta = timedelta(hours=24)) -> Delivery:
    return Delivery(bot.units, bot.services.outbox, bot.services.clock, bot.services.settings.tz,
                    room_lost=bot.services.schedules.pause_room, max_age=max_age)


def sender_of(bot: Bot, transport: FakeTransport, delivery: Delivery | None = None,
              ) -> OutboxSender:
    async def direct_room(user_id: str) -> str:
        return f"!dm-{user_id.strip('@').split(':')[0]}:localhost"

    return OutboxSender(delivery or delivery_of(bot), bot.services.outbox, transport,  # type: ignore[arg-type]
                        direct_room, backoff=lambda: Backoff(base=0.001, cap=0.01))


async def owe_answer(bot: Bot, event_id: str, text: str, room: str = ROOM,
                     reaction: str | None = "✅") -> None:
    question = Incoming(room_id=room, event_id=event_id, sender="@alice:localhost",
                        body="!point", timestamp=NOW)
    async with bot.units() as uow:
        await bot.services.outbox.reply(uow, room, Reply(plain=text, html=text,
                                                         reaction=reaction),
                                        question, key=f"event:{event_id}", now=NOW)


async def rows(bot: Bot) -> list[OutboxRow]:
    from sqlalchemy import select

    async with bot.units() as uow:
        return list((await uow.session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def run_until(sender: OutboxSender, done: Callable[[], Any], timeout: float = 10) -> None:
    ready = asyncio.Event()
    ready.set()
    task = asyncio.create_task(sender.run(ready))
    try:
        async with asyncio.timeout(timeout):
            while not await done():  # noqa: ASYNC110 - polls the database: nothing to await
                await asyncio.sleep(0.01)
    finally:
        await sender.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def all_done(bot: Bot) -> bool:
    return all(r.status != PENDING for r in await rows(bot))


async def test_a_reply_owes_its_reaction_then_its_parts_with_stable_ids(bot: Bot) -> None:
    long = Reply(plain="un", html="un", reaction="✅", extra=(Reply(plain="deux", html="deux"),))
    question = Incoming(room_id=ROOM, event_id="$q", sender="@a:localhost", body="!x",
                        timestamp=NOW)
    for _replay in range(2):  # the same cause twice is owed once
        async with bot.units() as uow:
            await bot.services.outbox.reply(uow, ROOM, long, question, key="event:$q", now=NOW)
    owed = await bot.owed()
    assert [(o.kind, o.body, o.reaction_key) for o in owed] == [
        ("reaction", "", "✅"), ("message", "un", ""), ("message", "deux", "")]
    assert all(o.in_reply_to == "$q" for o in owed)
    assert len({r.txn_id for r in await rows(bot)}) == 3


async def test_a_file_is_owed_once_and_sent_by_the_upload_path(bot: Bot) -> None:
    """Outbox.attach, as `!mesdonnees` uses it: a file for a user's direct chat, answering
    the command; the sender resolves the chat and takes the upload path (attempt_file)."""
    for _replay in range(2):  # the same cause twice is owed once
        async with bot.units() as uow:
            await bot.services.outbox.attach(
                uow, "event:$q", NOW, filename="mes-donnees.json",
                mimetype="application/json", data='{"projet": "égalité"}',
                user_id="@alice:localhost", in_reply_to="$q", thread_root="$root")
    file = Outgoing(kind="file", user_id="@alice:localhost", filename="mes-donnees.json",
                    mimetype="application/json", data='{"projet": "égalité"}',
                    in_reply_to="$q", thread_root="$root")
    assert await bot.owed() == [file]
    [row] = await rows(bot)
    assert row.txn_id == txn_id("event:$q:file")  # apart from the answer's own messages
    transport = FakeTransport(bot.services.clock)  # type: ignore[arg-type]
    fails = iter([True])
    transport.failing = lambda: next(fails, False)  # a first attempt fails: retried
    await run_until(sender_of(bot, transport), lambda: all_done(bot))
    assert transport.files == [("!dm-alice:localhost", file, row.txn_id)] * 2
    assert transport.delivered() == [("!dm-alice:localhost", "m.file", row.txn_id)]
    [row] = await rows(bot)
    assert (row.status, row.queue, row.event_id) == (SENT, "!dm-alice:localhost", "$e1")


async def test_a_file_goes_to_a_room_or_a_user(bot: Bot) -> None:
    async with bot.units() as uow:
        with pytest.raises(ValueError, match="room or to a user"):
            await bot.services.outbox.attach(uow, "k", NOW, filename="a.json",
                                             mimetype="application/json", data="{}")
        await bot.services.outbox.attach(uow, "k", NOW, filename="a.json",
                                         mimetype="application/json", data="{}", room_id=ROOM)
    [owed] = await bot.owed()
    assert (owed.kind, owed.room_id, owed.user_id, owed.in_reply_to) == ("file", ROOM, None,
                                                                         None)


async def test_a_send_failing_for_two_minutes_is_delivered_once_afterwards(bot: Bot) -> None:
    clock: Clock = bot.services.clock  # type: ignore[assignment]
    transport = FakeTransport(clock)
    outage_ends = NOW + timedelta(minutes=2)
    transport.failing = lambda: clock.now < outage_ends
    await owe_answer(bot, "$q1", "Mise à jour n° 1 enregistrée")
    await run_until(sender_of(bot, transport), lambda: all_done(bot))
    assert len(transport.attempts) > 10  # it kept trying through the outage
    assert [kind for _r, kind, _t in transport.delivered()] == ["m.reaction", "m.room.message"]
    assert [r.status for r in await rows(bot)] == [SENT, SENT]
    head, waiting = await rows(bot)
    assert head.attempts > 10 and waiting.attempts == 0  # the reply waited behind it


async def test_a_crash_between_commit_and_send_resends_once_with_the_same_txn(bot: Bot) -> None:
    transport = FakeTransport(bot.services.clock)  # type: ignore[arg-type]
    await owe_answer(bot, "$q1", "Réponse")
    txns = [r.txn_id for r in await rows(bot)]
    # first run: sent, then "killed" before it could record it (delivery reports fail)
    crashing = delivery_of(bot)

    async def crash(*_a: Any, **_kw: Any) -> None:
        raise ConnectionError("killed before recording")
    crashing.sent = crash  # type: ignore[method-assign]
    await run_until(sender_of(bot, transport, crashing),
                    lambda: _count(transport, 2), timeout=5)
    # after the restart: the same rows, the same transaction ids, one event each
    await run_until(sender_of(bot, transport), lambda: all_done(bot))
    assert sorted({t for _r, _k, t in transport.attempts}) == sorted(txns)
    assert len(transport.events) == 2  # the server saw each transaction once
    assert [r.event_id for r in await rows(bot)] == ["$e1", "$e2"]


async def _count(transport: FakeTransport, n: int) -> bool:
    return len(transport.attempts) >= n


async def test_a_permanent_error_ends_the_row_and_tells_the_creator(bot: Bot) -> None:
    services = bot.services
    async with bot.units() as uow:
        schedule = await services.schedules.add(
            uow, kind="reminder", room_id=ROOM, owner=CREATOR, message="Réunion",
            trigger=Trigger(hour=11, minute=0), now=NOW)  # 10h00 UTC, daily
    assert await services.schedules.run_due(NOW + timedelta(hours=1)) == 1
    transport = FakeTransport(bot.services.clock)  # type: ignore[arg-type]
    transport.refuse[ROOM] = "M_FORBIDDEN"
    await run_until(sender_of(bot, transport), lambda: all_done(bot))
    reminder, notice = await rows(bot)
    assert reminder.status == FAILED and reminder.error.startswith("M_FORBIDDEN")
    assert notice.status == SENT and notice.queue.startswith("!dm-coordinatrice")
    assert "n’a pas pu être publié" in notice.payload and "Réunion" in notice.payload
    async with bot.units() as uow:
        assert (await uow.schedules.get(schedule.id)).status == PAUSED  # type: ignore[union-attr]
    assert len([a for a in transport.attempts if a[0] == ROOM]) == 1  # never retried


async def test_order_is_kept_per_room_and_rooms_do_not_wait_for_each_other(bot: Bot) -> None:
    clock: Clock = bot.services.clock  # type: ignore[assignment]
    transport = FakeTransport(clock, step=timedelta(seconds=1))
    down_until = NOW + timedelta(seconds=5)
    transport.failing = lambda: clock.now < down_until
    for i in range(4):
        await owe_answer(bot, f"$a{i}", f"A{i}", reaction=None)
        await owe_answer(bot, f"$b{i}", f"B{i}", room=OTHER, reaction=None)
    await run_until(sender_of(bot, transport), lambda: all_done(bot))
    by_id = {r.txn_id: r for r in await rows(bot)}
    for room, prefix in ((ROOM, "A"), (OTHER, "B")):
        sent = [by_id[t].payload for r, _k, t in transport.delivered() if r == room]
        assert [f'"{prefix}{i}"' in p for i, p in enumerate(sent)] == [True] * 4


async def test_a_row_older_than_the_maximum_age_expires_and_its_creator_is_told(
        bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    services = bot.services
    async with bot.units() as uow:
        await services.schedules.add(uow, kind="reminder", room_id=ROOM, owner=CREATOR,
                                     message="Dépôt", now=NOW,
                                     trigger=Trigger(at=NOW + timedelta(minutes=1)))
    await services.schedules.run_due(NOW + timedelta(minutes=1))
    clock: Clock = services.clock  # type: ignore[assignment]
    clock.now = NOW + timedelta(hours=25)
    transport = FakeTransport(clock)
    transport.failing = lambda: True  # the homeserver never came back for the room...
    delivery = delivery_of(bot)
    transport.refuse = {}
    with caplog.at_level("WARNING"):
        await run_until(sender_of(bot, transport, delivery),
                        lambda: _expired_and_told(bot), timeout=5)
    reminder = (await rows(bot))[0]
    assert reminder.status == EXPIRED
    assert "expired unsent" in caplog.text
    assert transport.attempts == [] or all(a[0] != ROOM for a in transport.attempts)


async def _expired_and_told(bot: Bot) -> bool:
    found = await rows(bot)
    return (len(found) == 2 and found[0].status == EXPIRED
            and "n’a pas pu être publié" in found[1].payload)


async def test_a_kick_retries_at_once_instead_of_at_the_end_of_the_backoff(bot: Bot) -> None:
    """When a sync goes through again, waiting rows do not sit out their backoff."""
    clock: Clock = bot.services.clock  # type: ignore[assignment]
    transport = FakeTransport(clock, step=timedelta(0))
    down = True
    transport.failing = lambda: down
    await owe_answer(bot, "$k", "Réponse", reaction=None)
    sender = OutboxSender(delivery_of(bot), bot.services.outbox, transport,  # type: ignore[arg-type]
                          lambda user: asyncio.sleep(0, result="!dm:localhost"),
                          backoff=lambda: Backoff(base=3600, cap=3600))
    ready = asyncio.Event()
    ready.set()
    task = asyncio.create_task(sender.run(ready))
    try:
        async with asyncio.timeout(5):
            while not transport.attempts:  # noqa: ASYNC110 - the fake records attempts
                await asyncio.sleep(0.01)
            down = False
            sender.kick()  # an hour of backoff left: only the kick can make it in time
            while not await all_done(bot):  # noqa: ASYNC110 - polls the database
                await asyncio.sleep(0.01)
    finally:
        await sender.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(transport.attempts) == 2


async def test_the_sender_counts_sends_and_errors(bot: Bot) -> None:
    """traam_bot_messages_sent_total and traam_bot_send_errors_total{code}: a 502 twice,
    then the reaction and the reply go through; a refusal is counted by its code."""
    from traam_bot.ops.metrics import PrometheusMetrics

    metrics = PrometheusMetrics()
    await owe_answer(bot, "$q1", "Mise à jour n° 1 enregistrée")
    transport = FakeTransport(bot.services.clock)  # type: ignore[arg-type]
    fails = iter([True, True])
    transport.failing = lambda: next(fails, False)
    sender = sender_of(bot, transport)
    sender.metrics = metrics
    await run_until(sender, lambda: all_done(bot))
    text = metrics.exposition().decode()
    assert "traam_bot_messages_sent_total 2.0" in text
    assert 'traam_bot_send_errors_total{code="network"} 2.0' in text
    await owe_answer(bot, "$q2", "autre", room="!interdit:localhost", reaction=None)
    transport.refuse["!interdit:localhost"] = "M_FORBIDDEN"
    sender = sender_of(bot, transport)
    sender.metrics = metrics
    await run_until(sender, lambda: all_done(bot))
    assert 'traam_bot_send_errors_total{code="M_FORBIDDEN"} 1.0' in metrics.exposition().decode()
