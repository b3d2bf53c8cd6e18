"""The services a command handler can reach, built once by app.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from traam_bot.config import Settings
from traam_bot.services.digests import DigestService
from traam_bot.services.directory import DirectoryService
from traam_bot.services.schedules import ScheduleService
from traam_bot.services.updates import UpdateService
from traam_bot.store.state_repo import StateRepo


@dataclass
class Services:
    settings: Settings
    directory: DirectoryService
    state: StateRepo
    clock: Callable[[], datetime]
    updates: UpdateService
    schedules: ScheduleService
    digests: DigestService
    # (room id, user id) -> is that user a member of that room; wired to the Matrix client
    is_member: Callable[[str, str], bool] = lambda _room, _user: False
    # room id -> what people call it ("TraAM NSI", "#traam-nsi:serveur"); wired to Matrix
    room_label: Callable[[str], str] = lambda room_id: room_id
