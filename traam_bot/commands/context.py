"""What every handler works with: its context, its permission levels, and the two ways it
says no (a usage error, a refusal)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from traam_bot.domain.model import Incoming, Reply, RoomView
from traam_bot.domain.render import Doc

if TYPE_CHECKING:
    from traam_bot.services.container import Services
    from traam_bot.store.unit_of_work import UnitOfWork

MODERATOR_LEVEL = 50


class Permission(Enum):
    ALL = "tous"
    MODERATOR = "modérateurs du salon et aux administrateurs"
    REFERENT = "référents et aux administrateurs"


class UsageError(Exception):
    """Raised by a handler: the message is shown, followed by the command's usage."""


class Refusal(Exception):
    """Raised by a handler: the message (text or document) is shown as is (permission,
    missing link, unknown project…)."""

    def __init__(self, message: str | Doc) -> None:
        self.doc = message if isinstance(message, Doc) else Doc().para(message)
        super().__init__(self.doc.plain())


@dataclass(frozen=True)
class Context:
    incoming: Incoming
    args: str
    room: RoomView
    services: Services
    now: datetime
    prefix: str
    uow: UnitOfWork  # the event's unit of work: every read and write of the handler

    @property
    def sender(self) -> str:
        return self.incoming.sender


Handler = Callable[[Context], Awaitable[Reply]]
