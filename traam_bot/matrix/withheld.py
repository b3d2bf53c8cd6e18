"""Room keys withheld from the bot (`m.room_key.withheld`): bookkeeping and the room notice.

Clients that exclude some devices (matrix-rust-sdk: "only verified devices") tell an
excluded device so with an unencrypted to-device event; nio 0.26 does not know that type
and passes it on as an `UnknownToDeviceEvent`. The notice may come before, with or after
the message it concerns, so both sides are remembered, in bounded memory.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

WITHHELD_TYPES = frozenset({"m.room_key.withheld", "org.matrix.room_key.withheld"})
REMEMBERED = 1000  # withheld notices, and sessions with events waiting for one
PER_SESSION = 10  # waiting events kept per session (one is enough to tell the room)

@dataclass(frozen=True, slots=True)
class Withheld:
    """One sender's notice that the key of a megolm session is kept from the bot."""

    sender: str
    room_id: str
    session_id: str
    code: str
    reason: str = ""
    sender_key: str = ""


@dataclass(frozen=True, slots=True)
class Undecryptable:
    """A room event the bot could not decrypt (the parts of nio's MegolmEvent it needs)."""

    room_id: str
    event_id: str
    sender: str
    session_id: str
    sender_key: str = ""

    def explained_by(self, notice: Withheld) -> bool:
        """Only the session's own sender can withhold it (a notice is not encrypted, but
        its sender is authenticated by the homeserver)."""
        return (notice.room_id == self.room_id and notice.session_id == self.session_id
                and notice.sender == self.sender
                and (not notice.sender_key or not self.sender_key
                     or notice.sender_key == self.sender_key))


def parse_withheld(source: dict[str, Any]) -> Withheld | None:
    """A to-device event's JSON -> Withheld, or None for anything else (or malformed)."""
    if source.get("type") not in WITHHELD_TYPES:
        return None
    content = source.get("content")
    sender = source.get("sender")
    if not isinstance(content, dict) or not isinstance(sender, str):
        return None
    room_id, session_id = content.get("room_id"), content.get("session_id")
    if not (isinstance(room_id, str) and room_id and isinstance(session_id, str)
            and session_id):
        return None  # e.g. "m.no_olm", which names no session
    return Withheld(sender=sender, room_id=room_id, session_id=session_id,
                    code=_text(content.get("code")), reason=_text(content.get("reason")),
                    sender_key=_text(content.get("sender_key")))


def _text(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


class WithheldKeys:
    """Withheld notices by (room, session), and undecryptable events seen before theirs.

    Both are bounded: the oldest entries are forgotten first.
    """

    def __init__(self, limit: int = REMEMBERED) -> None:
        self.limit = limit
        # by (room, session, sender): a notice from someone else cannot hide the real one
        self._notices: OrderedDict[tuple[str, str, str], Withheld] = OrderedDict()
        self._waiting: OrderedDict[tuple[str, str], list[Undecryptable]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._notices)

    def add(self, notice: Withheld) -> list[Undecryptable]:
        """Remember a notice; return the waiting events it explains (now forgotten)."""
        key = (notice.room_id, notice.session_id, notice.sender)
        self._notices[key] = notice
        self._notices.move_to_end(key)
        _trim(self._notices, self.limit)
        session = (notice.room_id, notice.session_id)
        waiting = self._waiting.pop(session, [])
        explained = [e for e in waiting if e.explained_by(notice)]
        rest = [e for e in waiting if not e.explained_by(notice)]
        if rest:
            self._waiting[session] = rest
        return explained

    def explain(self, event: Undecryptable) -> Withheld | None:
        """The known notice for this event's session, if its sender sent one."""
        notice = self._notices.get((event.room_id, event.session_id, event.sender))
        return notice if notice is not None and event.explained_by(notice) else None

    def wait(self, event: Undecryptable) -> None:
        """Keep an unexplained event until its notice comes (or it is forgotten)."""
        key = (event.room_id, event.session_id)
        events = self._waiting.setdefault(key, [])
        if all(e.event_id != event.event_id for e in events):
            events.append(event)
            del events[:-min(self.limit, PER_SESSION)]
        self._waiting.move_to_end(key)
        _trim(self._waiting, self.limit)

    def waiting(self) -> int:
        return sum(len(v) for v in self._waiting.values())


def _trim(entries: OrderedDict[Any, Any], limit: int) -> None:
    while len(entries) > limit:
        entries.popitem(last=False)
