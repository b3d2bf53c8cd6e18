"""What happens to an outbox row after a send attempt: sent, refused for good, expired.
The sender (matrix/) reports here; each outcome is one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from traam_bot.domain.outbox import EXPIRED, FAILED, SENT, OutboxItem
from traam_bot.domain.render import Doc
from traam_bot.domain.text import format_datetime
from traam_bot.services.outbox import Outbox
from traam_bot.services.units import Units

if TYPE_CHECKING:
    from traam_bot.store.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

RoomLost = Callable[["UnitOfWork", str], Awaitable[None]]
LOST = ("M_FORBIDDEN", "M_NOT_FOUND")
REASONS = {
    "M_FORBIDDEN": "le bot n’a pas le droit d’écrire dans ce salon",
    "M_NOT_FOUND": "le salon est introuvable ou le bot n’y est plus",
    "M_TOO_LARGE": "le message dépasse la taille maximale d’un événement Matrix",
}


class Delivery:
    def __init__(self, units: Units, outbox: Outbox, clock: Callable[[], datetime],
                 tz: ZoneInfo, room_lost: RoomLost,
                 max_age: timedelta = timedelta(hours=24)) -> None:
        self.units = units
        self.outbox = outbox
        self.clock = clock
        self.tz = tz
        self.room_lost = room_lost
        self.max_age = max_age

    async def pending(self) -> list[OutboxItem]:
        async with self.units() as uow:
            return await uow.outbox.pending()

    def too_old(self, item: OutboxItem) -> bool:
        return self.clock() - item.created_at > self.max_age

    async def sent(self, item: OutboxItem, event_id: str, room_id: str) -> None:
        now, out = self.clock(), item.outgoing
        async with self.units() as uow:
            if not await uow.outbox.finish(item.id, SENT, now, event_id=event_id,
                                           queue=room_id):
                return  # already recorded (a resend after a crash)
            if out.firing_id is not None:
                await uow.schedules.finish(out.firing_id, SENT, event_id)
            if out.schedule_id is not None and out.user_id:
                await uow.schedules.set_room(out.schedule_id, room_id)
            if out.prompt_project is not None:
                await uow.schedules.add_prompt(event_id, room_id, out.prompt_project, now)

    async def attempted(self, item: OutboxItem, error: str) -> None:
        async with self.units() as uow:
            await uow.outbox.attempted(item.id, error)

    async def failed(self, item: OutboxItem, code: str, detail: str) -> None:
        """Refused for good: the row ends with its reason; a lost room pauses its
        schedules; the creator of a scheduled post is told."""
        now, out = self.clock(), item.outgoing
        log.warning("outbox row %s refused (%s %s): not sent", item.id, code, detail)
        async with self.units() as uow:
            if not await uow.outbox.finish(item.id, FAILED, now, error=f"{code} {detail}"):
                return
            if out.firing_id is not None:
                await uow.schedules.finish(out.firing_id, FAILED)
            if code in LOST and out.room_id and out.firing_id is not None:
                await self.room_lost(uow, out.room_id)
            await self._tell_creator(uow, item, REASONS.get(code, detail), now)

    async def expired(self, item: OutboxItem) -> None:
        now, out = self.clock(), item.outgoing
        log.warning("outbox row %s expired unsent after %s (queue %s)", item.id,
                    now - item.created_at, item.queue)
        async with self.units() as uow:
            if not await uow.outbox.finish(item.id, EXPIRED, now, error="expired"):
                return
            if out.firing_id is not None:
                await uow.schedules.finish(out.firing_id, EXPIRED)
            hours = int(self.max_age.total_seconds() // 3600)
            await self._tell_creator(
                uow, item, f"le serveur Matrix est resté injoignable plus de {hours} heures",
                now)

    async def _tell_creator(self, uow: UnitOfWork, item: OutboxItem, reason: str,
                            now: datetime) -> None:
        out = item.outgoing
        if not out.notify:
            return
        when = format_datetime(item.created_at, self.tz)
        reply = Doc().para(f"Votre {out.label or 'message programmé'} prévu le {when} n’a "
                           f"pas pu être publié : {reason}.").reply()
        await self.outbox.post(uow, reply, f"undeliverable:{item.txn_id}", now,
                               user_id=out.notify, msgtype="m.notice")
