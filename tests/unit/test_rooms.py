"""Room policy over Matrix state: invites, power levels, room v12 creators."""

from __future__ import annotations

import pytest

from traam_bot.matrix.rooms import NioRoomView, creators_with_top_power, invite_allowed

ALLOWED = ("localhost", "education.gouv.fr", "ac-besancon.fr")


@pytest.mark.parametrize(("inviter", "expected"), [
    ("@coordinatrice:localhost", True),
    ("@ian:education.gouv.fr", True),
    ("@evil:evil-localhost", False),
    ("@evil:localhost.evil.org", False),
    ("@ian:sub.education.gouv.fr", False),
    ("@prenom.nom-ac-besancon.fr:ac-besancon.fr", True),  # academic names have dashes
    ("@ian:besancon.fr", False),
    ("@ian:ac-besancon.fr.evil.org", False),
    (None, False),
    ("", False),
])
def test_invites_need_an_exact_server_match(inviter: str | None, expected: bool) -> None:
    assert invite_allowed(inviter, ALLOWED) is expected


class StateSender:
    def __init__(self, state: list[dict] | None) -> None:
        self.state = state
        self.calls = 0

    async def room_state(self, room_id: str) -> list[dict] | None:
        self.calls += 1
        return self.state


def create(version: str, sender: str = "@creatrice:localhost", extra: list[str] = ()) -> dict:
    content = {"room_version": version, "additional_creators": list(extra)}
    return {"type": "m.room.create", "sender": sender, "content": content}


LEVELS = {"type": "m.room.power_levels",
          "content": {"users": {"@modo:localhost": 50, "@admin:localhost": 100},
                      "users_default": 0, "notifications": {"room": 50}}}


def view(state: list[dict] | None) -> NioRoomView:
    return NioRoomView(None, "!r:localhost", StateSender(state), is_direct=False)  # type: ignore[arg-type]


async def test_unreadable_power_levels_deny() -> None:
    v = view(None)
    assert await v.power_level("@modo:localhost") is None
    assert await v.can_notify_room("@admin:localhost") is False


@pytest.mark.parametrize(("version", "user", "expected"), [
    ("10", "@modo:localhost", 50),
    ("10", "@personne:localhost", 0),
    ("10", "@creatrice:localhost", 0),  # before v12, creators are just listed users
    ("12", "@creatrice:localhost", 2**53 - 1),
    ("12", "@co:localhost", 2**53 - 1),  # additional_creators
    ("12", "@personne:localhost", 0),
])
async def test_power_levels_and_creators(version: str, user: str, expected: int) -> None:
    v = view([create(version, extra=["@co:localhost"]), LEVELS])
    assert await v.power_level(user) == expected


async def test_state_is_read_once_per_message() -> None:
    sender = StateSender([create("12"), LEVELS])
    v = NioRoomView(None, "!r:localhost", sender, is_direct=False)  # type: ignore[arg-type]
    await v.power_level("@modo:localhost")
    assert await v.can_notify_room("@modo:localhost") is True
    assert sender.calls == 1


def test_creators_only_for_v12_and_later() -> None:
    assert creators_with_top_power(None) == frozenset()
    assert creators_with_top_power(create("11")) == frozenset()
    assert creators_with_top_power(create("12")) == {"@creatrice:localhost"}
