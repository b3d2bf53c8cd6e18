"""The services a command handler can reach, built once by app.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from traam_bot.config import Settings
from traam_bot.services.calendar import CalendarService
from traam_bot.services.digests import DigestService
from traam_bot.services.directory import DirectoryService
from traam_bot.services.outbox import Outbox
from traam_bot.services.privacy import PrivacyService
from traam_bot.services.resources import ResourceService
from traam_bot.services.schedules import ScheduleService
from traam_bot.services.updates import UpdateService


@dataclass(frozen=True)
class Services:
    settings: Settings
    directory: DirectoryService
    clock: Callable[[], datetime]
    updates: UpdateService
    schedules: ScheduleService
    digests: DigestService
    outbox: Outbox
    # (room id, user id) -> is that user a member of that room (the Matrix client knows)
    is_member: Callable[[str, str], bool]
    # room id -> what people call it ("TraAM NSI", "#traam-nsi:serveur") (Matrix knows)
    room_label: Callable[[str], str]
    # holiday zones, skipped days, programme milestones (!calendrier, schedules, digests)
    calendar: CalendarService
    # personal data: !mesdonnees, !oublier, the retention purge
    privacy: PrivacyService
    resources: ResourceService = field(default_factory=ResourceService)
