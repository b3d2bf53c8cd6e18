"""What the bot owes: one message, reaction or file to send, as stored in the outbox."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# outbox row statuses
PENDING = "pending"
SENT = "sent"
FAILED = "failed"  # refused for good by the homeserver (reason kept)
EXPIRED = "expired"  # still unsent after the maximum age

PERMANENT_ERRORS = ("M_FORBIDDEN", "M_NOT_FOUND", "M_TOO_LARGE")


@dataclass(frozen=True)
class Outgoing:
    """One event to send. `room_id` or, for a direct chat not known yet, `user_id`."""

    kind: str  # "message" | "reaction" | "file"
    room_id: str | None = None
    user_id: str | None = None
    body: str = ""
    html: str = ""
    msgtype: str = "m.notice"
    in_reply_to: str | None = None
    thread_root: str | None = None
    ping_room: bool = False
    reaction_key: str = ""
    # a file (kind "file"): its name, type and text content (UTF-8), uploaded when sent
    filename: str = ""
    mimetype: str = ""
    data: str = ""
    # bookkeeping done when it is sent or refused
    firing_id: int | None = None
    schedule_id: int | None = None
    notify: str | None = None  # whom to tell if it can never be sent (scheduled posts)
    prompt_project: str | None = None  # a progress prompt: replies to it become updates
    label: str = ""  # what it is, for logs and notices (« rappel « … » »)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, "", False)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outgoing:
        return cls(**data)


@dataclass(frozen=True)
class OutboxItem:
    """A committed outbox row: the event, its transaction id and its age."""

    id: int
    txn_id: str
    outgoing: Outgoing
    created_at: datetime
    queue: str = field(default="")  # room id, or "user:<id>" for a direct chat to open

    @property
    def room_key(self) -> str:
        return self.queue or self.outgoing.room_id or f"user:{self.outgoing.user_id}"
