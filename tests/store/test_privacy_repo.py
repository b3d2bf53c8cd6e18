"""Personal data on SQLite and (when TRAAM_TEST_DATABASE_URL is set) PostgreSQL: after
forgetting someone no text column of any table holds their Matrix id or display name; the
retention purge goes by age; a confirmation is needed, once, in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import String, Text, select

from tests.store_units import each
from traam_bot.config import load_directory
from traam_bot.domain.model import Section
from traam_bot.domain.outbox import SENT, Outgoing
from traam_bot.domain.privacy import FORGET, FORGOTTEN
from traam_bot.domain.records import NewUpdate
from traam_bot.domain.resources import OTHER, NewResource
from traam_bot.domain.triggers import Trigger
from traam_bot.services.privacy import PrivacyService, no_timers
from traam_bot.store.database import Database
from traam_bot.store.models import Base
from traam_bot.store.unit_of_work import UnitsOfWork

SEED = load_directory(Path(__file__).resolve().parents[2] / "config" / "traam.yaml")
NSI = "besancon-nsi-egalite"
ALICE, ALICE_NAME = "@alice.martin:localhost", "Alice Martin-Ferrand"
BOB, BOB_NAME = "@bob:localhost", "Bob Durand"
ROOM, DM = "!equipe:localhost", "!dm-alice:localhost"
NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)


def update(author: str, name: str, text: str, n: int, at: datetime = NOW) -> NewUpdate:
    return NewUpdate(project_id=NSI, author=author, author_name=name, room_id=ROOM,
                     event_id=f"$u{n}", text=text,
                     sections=(Section("fait", text),), created_at=at)


def resource(author: str, name: str, n: int, at: datetime = NOW) -> NewResource:
    return NewResource(project_id=NSI, url=f"https://exemple.fr/{n}", title=f"Fiche {n}",
                       kind=OTHER, author=author, author_name=name, room_id=ROOM,
                       event_id=f"$r{n}", created_at=at)


async def fill(db: Database) -> None:
    """Alice and Bob, everything the bot stores about people, and Bob naming Alice."""
    await each(db, "directory").import_directory(SEED)
    await each(db, "updates").record(update(ALICE, ALICE_NAME, "Séance 1 faite", 1))
    await each(db, "updates").record(update(
        BOB, BOB_NAME, f"Merci à {ALICE_NAME} ({ALICE}) pour la séance", 2))
    await each(db, "resources").add(resource(ALICE, ALICE_NAME, 1))
    await each(db, "resources").add(resource(BOB, BOB_NAME, 2))
    schedules = each(db, "schedules")
    for kind, room, owner in (("reminder", ROOM, ALICE), ("prompt", ROOM, ALICE),
                              ("digest", DM, ALICE), ("reminder", ROOM, BOB)):
        await schedules.add(kind=kind, room_id=room, owner=owner,
                            message=f"Réunion avec {ALICE_NAME}" if owner == BOB else "Point",
                            trigger=Trigger(hour=9, minute=0), next_run=NOW, now=NOW)
    await each(db, "directory").link_room(ROOM, NSI, ALICE, NOW, "TraAM NSI")
    outbox = each(db, "outbox")
    await outbox.add(Outgoing(kind="message", user_id=ALICE, body=f"Résumé pour {ALICE_NAME}"),
                     "digest-alice", NOW)  # pending, to her
    sent = await outbox.add(Outgoing(kind="message", room_id=ROOM, body="Point n° 1 enregistré",
                                     notify=ALICE), "sent", NOW)
    await outbox.finish(sent.id, SENT, NOW, event_id="$sent")
    await outbox.add(Outgoing(kind="message", room_id=ROOM, body=f"Rappel : {ALICE_NAME} anime",
                              notify=ALICE), "pending-room", NOW)
    await outbox.add(Outgoing(kind="message", room_id=ROOM, body="Rappel de Bob",
                              notify=BOB), "bob", NOW)
    await each(db, "state").mark_handled("$u1", ROOM, "done", NOW)
    await each(db, "privacy").ask(ALICE, FORGET, NOW, NOW + timedelta(minutes=15))


async def traces(db: Database, *needles: str) -> list[tuple[str, str, Any]]:
    """(table, column, value) of every text column of every table holding one of `needles`
    (any case)."""
    found = []
    async with UnitsOfWork(db)() as uow:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (String, Text)) and not isinstance(
                        getattr(column.type, "impl", None), (String, Text)):
                    continue
                for value in (await uow.session.scalars(select(column))).all():
                    if value and any(n.lower() in value.lower() for n in needles):
                        found.append((table.name, column.name, value))
    return found


async def forget(db: Database, user: str, names: tuple[str, ...] = ()) -> Any:
    async with UnitsOfWork(db)() as uow:
        return await PrivacyService(3, no_timers).forget(uow, user, names)


async def test_the_scan_finds_what_is_stored(db: Database) -> None:
    await fill(db)
    tables = {t for t, _c, _v in await traces(db, ALICE, ALICE_NAME)}
    assert {"updates", "resources", "schedules", "room_links", "outbox",
            "confirmations"} <= tables


async def test_after_forgetting_no_table_holds_their_id_or_name(db: Database) -> None:
    await fill(db)
    erasure = await forget(db, ALICE)  # the display name is found in her stored rows
    assert await traces(db, ALICE, ALICE_NAME) == []
    assert (erasure.updates, erasure.resources, erasure.reminders, erasure.prompts,
            erasure.digests, erasure.links) == (1, 1, 1, 1, 1, 1)

    async with UnitsOfWork(db)() as uow:
        updates = await uow.updates.list([NSI])
        resources = await uow.resources.list([NSI])
        schedules = await uow.schedules.find(statuses=("active",))
        pending = await uow.outbox.pending()
    # her update stays in the bilan, anonymised; Bob's stays his, her name rubbed out
    assert [(u.author, u.author_name, u.text) for u in updates] == [
        ("", FORGOTTEN, "Séance 1 faite"),
        (BOB, BOB_NAME, f"Merci à {FORGOTTEN} ({FORGOTTEN}) pour la séance")]
    assert updates[1].sections[0].text == f"Merci à {FORGOTTEN} ({FORGOTTEN}) pour la séance"
    assert [(r.author, r.author_name) for r in resources] == [("", FORGOTTEN),
                                                              (BOB, BOB_NAME)]
    assert [(s.owner, s.message) for s in schedules] == [(BOB, f"Réunion avec {FORGOTTEN}")]
    # what was owed to her is gone; what is owed to the room stays, without her name
    assert [(p.outgoing.body, p.outgoing.notify) for p in pending] == [
        (f"Rappel : {FORGOTTEN} anime", None), ("Rappel de Bob", BOB)]


async def test_forgetting_also_finds_a_name_given_by_the_caller(db: Database) -> None:
    await fill(db)
    async with UnitsOfWork(db)() as uow:
        await uow.updates.record(update(BOB, BOB_NAME, "Réunion avec Alice M. demain", 3))
    await forget(db, ALICE, ("Alice M.",))
    assert await traces(db, ALICE, ALICE_NAME, "Alice M.") == []


async def test_forgetting_someone_unknown_changes_nothing(db: Database) -> None:
    await fill(db)
    before = await traces(db, ALICE, BOB)
    erasure = await forget(db, "@personne:localhost")
    assert erasure.updates == erasure.messages == erasure.mentions == 0
    assert await traces(db, ALICE, BOB) == before


async def test_a_confirmation_is_needed_once_and_in_time(db: Database) -> None:
    await each(db, "directory").import_directory(SEED)
    privacy = each(db, "privacy")
    assert await privacy.take(ALICE, FORGET, NOW) is False  # never asked
    await privacy.ask(ALICE, FORGET, NOW, NOW + timedelta(minutes=15))
    await privacy.ask(ALICE, FORGET, NOW, NOW + timedelta(minutes=15))  # asked twice: one
    assert await privacy.take(BOB, FORGET, NOW) is False  # someone else's
    assert await privacy.take(ALICE, FORGET, NOW + timedelta(minutes=14)) is True
    assert await privacy.take(ALICE, FORGET, NOW + timedelta(minutes=14)) is False  # used
    await privacy.ask(ALICE, FORGET, NOW, NOW + timedelta(minutes=15))
    assert await privacy.take(ALICE, FORGET, NOW + timedelta(minutes=16)) is False  # expired
    assert await traces(db, ALICE) == []  # an expired one is gone too


async def test_the_purge_goes_by_age(db: Database) -> None:
    await each(db, "directory").import_directory(SEED)
    three_years = datetime(2023, 11, 25, 18, 0, tzinfo=UTC)
    updates, resources = each(db, "updates"), each(db, "resources")
    await updates.record(update(ALICE, ALICE_NAME, "trop vieux", 1, three_years
                                - timedelta(seconds=1)))
    await updates.record(update(ALICE, ALICE_NAME, "juste assez récent", 2, three_years))
    await resources.add(resource(ALICE, ALICE_NAME, 1, three_years - timedelta(days=1)))
    await resources.add(resource(ALICE, ALICE_NAME, 2, three_years + timedelta(days=1)))
    state, outbox, privacy = each(db, "state"), each(db, "outbox"), each(db, "privacy")
    await state.mark_handled("$old", ROOM, "done", NOW - timedelta(days=31))
    await state.mark_handled("$recent", ROOM, "done", NOW - timedelta(days=29))
    for name, age, finished in (("old-sent", 31, True), ("recent-sent", 29, True),
                                ("old-pending", 31, False)):
        item = await outbox.add(Outgoing(kind="message", room_id=ROOM, body=name), name,
                                NOW - timedelta(days=age))
        if finished:
            await outbox.finish(item.id, SENT, NOW - timedelta(days=age), event_id=f"${name}")
    await privacy.ask(ALICE, FORGET, NOW - timedelta(hours=1), NOW - timedelta(minutes=45))
    await privacy.ask(BOB, FORGET, NOW, NOW + timedelta(minutes=15))

    async with UnitsOfWork(db)() as uow:
        purge = await PrivacyService(3, no_timers).purge(uow, NOW)
    assert (purge.updates, purge.resources, purge.ledger, purge.messages,
            purge.confirmations) == (1, 1, 1, 1, 1)
    async with UnitsOfWork(db)() as uow:
        assert [u.text for u in await uow.updates.list()] == ["juste assez récent"]
        assert [r.title for r in await uow.resources.list()] == ["Fiche 2"]
        assert await uow.state.handled(["$old", "$recent"]) == {"$recent"}
        assert [p.outgoing.body for p in await uow.outbox.pending()] == ["old-pending"]
    assert await traces(db, "old-sent") == []  # a message sent 31 days ago is gone
    assert {t for t, _c, _v in await traces(db, "recent-sent")} == {"outbox"}
    assert await each(db, "privacy").take(BOB, FORGET, NOW) is True

    async with UnitsOfWork(db)() as uow:  # a second run the same day finds nothing
        assert (await PrivacyService(3, no_timers).purge(uow, NOW)).total == 0
    async with UnitsOfWork(db)() as uow:  # one year of retention takes the rest
        assert (await PrivacyService(1, no_timers).purge(uow, NOW)).updates == 1
