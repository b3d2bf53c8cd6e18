"""Plain domain records shared by every layer (no I/O, no framework types)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from traam_bot.domain.calendar import Milestone
from traam_bot.domain.text import academie_label, fold


@dataclass(frozen=True, slots=True)
class Project:
    """A project in one school year (`year`); the same id may come back the next year
    (Année 2), as another entry. `archived`: not shown by default (an entry withdrawn
    from the directory, or a year other than the current one)."""

    id: str
    academie: str
    discipline: str
    theme: str
    phase: str
    year: str
    region: str = ""
    room: str | None = None
    archived: bool = False

    @property
    def label(self) -> str:
        """"NSI (académie de Besançon)"."""
        return f"{self.discipline} ({academie_label(self.academie)})"


def project_order(project: Project) -> tuple[str, str, str]:
    """Order of project listings and digests: académie, discipline (accents folded), id."""
    return (fold(project.academie), fold(project.discipline), project.id)


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    role: str
    email: str
    matrix_id: str | None = None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class Directory:
    """The content of config/traam.yaml once validated."""

    region: str
    year: str  # the year of every project that does not give its own
    projects: tuple[Project, ...]  # one entry per project and school year
    contacts: tuple[Contact, ...]
    zones: tuple[tuple[str, str], ...] = ()  # `zones:` (académie, holiday zone) overrides
    milestones: tuple[Milestone, ...] = ()  # `calendrier:`

    @property
    def years(self) -> tuple[str, ...]:
        """The school years the file lists projects for, oldest first."""
        return tuple(sorted({p.year for p in self.projects} or {self.year}))


# The kinds of section an update may hold, with the French label users write and see;
# parsing, highlighting and digests all derive their words from these two constants.
SECTION_LABELS = {
    "fait": "Fait",
    "a_faire": "À faire",
    "blocage": "Blocage",
    "besoin": "Besoin",
}
BLOCKER_KINDS = ("blocage", "besoin")  # sections that digests and bilans bring forward


@dataclass(frozen=True, slots=True)
class Section:
    """One structured line of an update: kind is a key of SECTION_LABELS."""

    kind: str
    text: str

    @property
    def is_blocker(self) -> bool:
        return self.kind in BLOCKER_KINDS


def has_blocker(sections: tuple[Section, ...]) -> bool:
    return any(s.is_blocker for s in sections)


@dataclass(frozen=True, slots=True)
class Update:
    id: int
    project_id: str
    number: int  # 1, 2, 3… per project
    author: str  # Matrix user id
    author_name: str  # display name at the time of posting
    room_id: str
    event_id: str
    text: str
    created_at: datetime  # aware, UTC
    edited_at: datetime | None = None
    sections: tuple[Section, ...] = ()

    @property
    def has_blocker(self) -> bool:
        return has_blocker(self.sections)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A text message from someone else in a room the bot is in (the router decides
    whether it is for the bot); reply fallback and a leading mention already stripped."""

    room_id: str
    event_id: str
    sender: str
    body: str
    timestamp: datetime  # aware, UTC
    is_direct: bool = False
    mentions_bot: bool = False
    thread_root: str | None = None  # event id of the thread root, if in a thread
    reply_to: str | None = None  # event id this message replies to, if any
    sender_name: str = ""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent after a reply's messages (`!mesdonnees`: the JSON export)."""

    filename: str
    mimetype: str
    data: str  # the file's text, sent as UTF-8


@dataclass(frozen=True, slots=True)
class Reply:
    """What a handler wants said: the adapter turns it into an m.notice reply.

    `plain` and `html` are already rendered; build them with domain.render so
    user-provided text is escaped in exactly one place.
    """

    plain: str
    html: str
    reaction: str | None = None  # e.g. "✅" on the answered message
    extra: tuple[Reply, ...] = field(default=())  # follow-up messages, sent in order
    attachments: tuple[Attachment, ...] = field(default=())  # files, after the messages

    def messages(self) -> list[Reply]:
        """The messages to send, in order (a reaction-only reply has none)."""
        return [m for m in (self, *self.extra) if m.plain]


@dataclass(frozen=True, slots=True)
class Edit:
    """An m.replace edit of an earlier message."""

    room_id: str
    event_id: str
    sender: str
    target: str  # event id of the edited message
    body: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class Redaction:
    room_id: str
    event_id: str
    sender: str
    target: str  # event id of the redacted message
    timestamp: datetime


class RoomView(Protocol):
    """What handlers may ask about the room a message came from (implemented by matrix/)."""

    room_id: str
    is_direct: bool

    def is_member(self, user_id: str) -> bool: ...

    def display_name(self, user_id: str) -> str: ...

    async def power_level(self, user_id: str) -> int | None:
        """Current power level, or None when it cannot be read (callers must then deny)."""
        ...

    async def can_notify_room(self, user_id: str) -> bool: ...


class RoomUnavailable(Exception):
    """The bot can no longer post in a room (kicked, banned, room gone)."""
