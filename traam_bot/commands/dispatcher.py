"""One path per event: what the Matrix runtime delivers is handled in ONE unit of work —
the writes it causes, the messages it owes (outbox) and its ledger mark, committed
together or not at all. The database out of reach is the caller's to wait out (the event
stays unmarked); a bug ends the event with an apology, so the events after it flow."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from traam_bot.commands.router import Router
from traam_bot.domain.failures import log_failure
from traam_bot.domain.metrics import NO_METRICS, Metrics
from traam_bot.domain.model import Edit, Incoming, Redaction, RoomView
from traam_bot.domain.notices import apology, notice_key, withheld_notice
from traam_bot.domain.text import storable
from traam_bot.services.container import Services
from traam_bot.services.units import StoreUnavailable, Units

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "sync_token"
EDIT_ACK = "✏️"
SETTLE_SECONDS = 10.0
DONE, FAILED = "done", "failed"  # ledger statuses: handled, or given up on a bug


class Dispatcher:
    """The runtime's event sink: routes each event and commits what follows from it."""

    def __init__(self, services: Services, router: Router, units: Units,
                 metrics: Metrics = NO_METRICS) -> None:
        self.services = services
        self.metrics = metrics
        self.router = router
        self.units = units
        self.outbox = services.outbox
        self._joined: dict[str, int] | None = None  # room id -> join time (ms), loaded once

    async def handled(self, event_ids: list[str]) -> set[str]:
        async with self.units() as uow:
            return await uow.state.handled(event_ids)

    async def on_event(self, event: Incoming | Edit | Redaction, room: RoomView) -> None:
        """Handle one event, whole. The database out of reach (StoreUnavailable) leaves it
        unhandled and unmarked, for the caller to retry; any other failure is a bug: logged
        with the event id, the event is marked handled as failed (it would only fail
        again) and its author, if they were talking to the bot, gets an apology."""
        kind = _kind(event)
        try:
            in_flight = await self._handle(event, room)
        except StoreUnavailable:
            raise
        except Exception as exc:  # the message may quote the event's text: DEBUG only
            log_failure(log, exc, "handling failed for event %s in %s", event.event_id,
                        event.room_id)
            in_flight = await self._failed(event, room)
            kind += "_failed"
        log.info("event %s (%s) handled in %s", event.event_id, kind, event.room_id)
        self.metrics.event_handled(kind)
        if in_flight:  # committed: let the answer leave before the next event, as a
            # person expects; an outage only delays it (first attempt) and never blocks
            await asyncio.wait(in_flight, timeout=SETTLE_SECONDS)

    async def _handle(self, event: Incoming | Edit | Redaction,
                      room: RoomView) -> list[asyncio.Future[None]]:
        now = self.services.clock()
        async with self.units() as uow:
            if isinstance(event, Incoming):
                event = _with_context(event, room)
                reply = await self.router.handle(uow, event, room)
                if reply is not None:
                    await self.outbox.reply(uow, event.room_id, reply, event,
                                            key=f"event:{event.event_id}", now=now)
            elif isinstance(event, Edit):
                await self._on_edit(uow, replace(event, body=storable(event.body)), room)
            else:  # a deleted `!point` or `!ressource ajouter` takes what it recorded along
                await self.services.updates.apply_redaction(uow, event)
                await self.services.resources.apply_redaction(uow, event)
            await uow.state.mark_handled(event.event_id, event.room_id, DONE, now)
        return uow.in_flight

    async def _failed(self, event: Incoming | Edit | Redaction,
                      room: RoomView) -> list[asyncio.Future[None]]:
        """The failed handling left nothing behind (its unit was rolled back): the apology
        and the "failed" mark, together, so a replay neither retries nor apologises twice.
        When even that cannot be written (the database is gone), the error goes up."""
        now = self.services.clock()
        async with self.units() as uow:
            answered = event if isinstance(event, Incoming) else None
            if isinstance(event, Edit):  # an edited command is answered like one
                answered = Incoming(room_id=event.room_id, event_id=event.event_id,
                                    sender=event.sender, body=event.body, timestamp=now,
                                    is_direct=room.is_direct)
            if answered is not None and self.router.addressed(answered, room):
                await self.outbox.reply(uow, event.room_id, apology(), answered,
                                        key=f"event:{event.event_id}:failed", now=now)
            await uow.state.mark_handled(event.event_id, event.room_id, FAILED, now)
        return uow.in_flight

    async def _on_edit(self, uow: UnitOfWork, edit: Edit, room: RoomView) -> None:
        services = self.services
        in_dm = room.is_direct and services.directory.project_for_room(edit.room_id) is None
        updated = await services.updates.apply_edit(
            uow, edit, services.settings.command_prefix, in_dm, services.clock())
        if updated is not None:  # a quiet acknowledgement, no public message; one per
            # edited message (a homeserver refuses the same reaction twice from one user)
            await self.outbox.react(uow, edit.room_id, edit.target, EDIT_ACK,
                                    services.clock())

    async def on_joined(self, room_id: str, aliases: tuple[str, ...], joined_at_ms: int) -> None:
        services, now = self.services, self.services.clock()
        async with self.units() as uow:
            await uow.state.set_room(room_id, joined_at_ms)
            await services.schedules.resume_room(uow, room_id, now)
            directory = services.directory
            project = directory.configured_project(aliases)
            if project is not None and directory.project_for_room(room_id) is None:
                await directory.link(uow, room_id, project.id, "config", now, project.room)
                log.info("room %s linked to %s from the directory", room_id, project.id)
        if self._joined is not None:
            self._joined[room_id] = joined_at_ms

    async def on_left(self, room_id: str) -> None:
        """Kicked or banned: pause the room's schedules instead of failing on every firing."""
        async with self.units() as uow:
            await uow.state.set_left(room_id, True)
            await self.services.schedules.pause_room(uow, room_id)

    async def on_key_withheld(self, room: RoomView, sender: str, code: str) -> None:
        """Say once per room (across restarts) that a member's messages cannot be read."""
        key = notice_key(room.room_id)
        now = self.services.clock()
        async with self.units() as uow:
            if await uow.state.get(key) is not None:
                return
            reply = withheld_notice(room.display_name(sender), code)
            await self.outbox.reply(uow, room.room_id, reply, None, key=key, now=now)
            await uow.state.set(key, now.isoformat())

    async def joined_at(self, room_id: str) -> int | None:
        if self._joined is None:  # read once: this is on every sync's path
            async with self.units() as uow:
                rooms = await uow.state.rooms()
            self._joined = {room_id: room.joined_at for room_id, room in rooms.items()}
        return self._joined.get(room_id)

    async def load_token(self) -> str | None:
        async with self.units() as uow:
            return await uow.state.get(SYNC_TOKEN_KEY)

    async def save_token(self, token: str) -> None:
        async with self.units() as uow:
            await uow.state.set(SYNC_TOKEN_KEY, token)


def _kind(event: Incoming | Edit | Redaction) -> str:
    """The `type` label of traam_bot_events_handled_total."""
    if isinstance(event, Incoming):
        return "message"
    return "edit" if isinstance(event, Edit) else "redaction"


def _with_context(event: Incoming, room: RoomView) -> Incoming:
    """The message as handlers see it: where it was said, by whom, in storable text."""
    return replace(event, body=storable(event.body), is_direct=room.is_direct,
                   sender_name=storable(room.display_name(event.sender)))
