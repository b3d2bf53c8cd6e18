"""Time helpers shared by the trigger and `<quand>` tests (Europe/Paris)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from traam_bot.domain.triggers import Trigger

TZ = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 25, 19, 0, tzinfo=TZ)  # a Wednesday evening


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


def rule(hour: int, minute: int = 0, **kwargs: object) -> Trigger:
    return Trigger(minute=minute, hour=hour, **kwargs)  # type: ignore[arg-type]
