"""Stored things as plain values: schedules and their firings, new updates, room links."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from traam_bot.domain.model import Section
from traam_bot.domain.triggers import Trigger

# schedule statuses
ACTIVE = "active"
PAUSED = "paused"  # the bot lost the room
DONE = "done"  # a one-off that was sent
MISSED = "missed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Schedule:
    """A reminder, a progress prompt or a digest subscription."""

    id: int
    kind: str  # reminder | prompt | digest
    room_id: str | None
    owner: str
    message: str
    trigger: Trigger
    may_ping_room: bool
    status: str
    next_run: datetime | None
    last_run: datetime | None
    created_at: datetime
    # recurring prompts and reminders skip holidays unless created « même pendant les
    # vacances » (domain.calendar)
    skip_holidays: bool = True


@dataclass(frozen=True)
class Firing:
    """One claimed occurrence of a schedule."""

    id: int
    schedule_id: int
    occurrence: datetime
    late: bool


@dataclass(frozen=True)
class NewUpdate:
    """An update about to be recorded (its number is given by the store)."""

    project_id: str
    author: str
    author_name: str
    room_id: str
    event_id: str
    text: str
    sections: tuple[Section, ...]
    created_at: datetime


@dataclass(frozen=True)
class RoomLink:
    room_id: str
    project_id: str
    linked_by: str
    linked_at: datetime
    label: str | None


@dataclass(frozen=True)
class RoomState:
    """A room the bot is or was in: when it joined (ms), whether it was kicked since."""

    joined_at: int
    left: bool


@dataclass
class ImportReport:
    """What a directory import changed (ids prefixed « projet » or « contact »)."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)
    unchanged: int = 0
    years: list[str] = field(default_factory=list)  # every school year stored, oldest first

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.archived)
