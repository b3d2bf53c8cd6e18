"""Who runs the bot on a database: the owner record, and the French lines that name it when
a second instance is refused, waits on standby, takes over, or loses the lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from traam_bot.domain.health import format_duration
from traam_bot.domain.text import format_datetime

STANDBY_HINT = "traam-bot run --standby"


@dataclass(frozen=True)
class InstanceOwner:
    """The process holding the single-instance lock, as it recorded itself in the database.
    Information only: the lock itself (advisory lock, lock file) is what excludes others."""

    instance_id: str  # a fresh uuid4 per process
    host: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime | None = None


def describe(owner: InstanceOwner | None, now: datetime, tz: ZoneInfo) -> str:
    """"hôte « srv-1 », pid 4242, depuis le lundi 1er décembre 2025 à 9h00, dernier signe
    de vie il y a 3 s"; for an owner that has not recorded itself yet, says so."""
    if owner is None:
        return "instance qui ne s’est pas encore inscrite dans la base"
    text = (f"hôte « {owner.host} », pid {owner.pid}, "
            f"depuis le {format_datetime(owner.started_at, tz)}")
    if owner.heartbeat_at is not None:
        text += f", dernier signe de vie il y a {format_duration(now - owner.heartbeat_at)}"
    return text


def refusal(owner: InstanceOwner | None, now: datetime, tz: ZoneInfo) -> str:
    """Why a second `run` does not start, and what to do instead."""
    return ("une autre instance du bot tourne déjà sur cette base de données "
            f"({describe(owner, now, tz)}) : arrêtez-la d’abord, ou lancez celle-ci en "
            f"relève avec « {STANDBY_HINT} »")


def standby_notice(owner: InstanceOwner | None, now: datetime, tz: ZoneInfo) -> str:
    return (f"relève : une autre instance tient la base de données ({describe(owner, now, tz)}) ;"
            " celle-ci attend et prendra le relais dès qu’elle s’arrêtera")


def takeover_notice(previous: InstanceOwner | None, now: datetime, tz: ZoneInfo) -> str:
    return ("relève : l’instance active s’est arrêtée "
            f"({describe(previous, now, tz)}) ; celle-ci prend le relais")


def lost_notice(holder: InstanceOwner | None, now: datetime, tz: ZoneInfo) -> str:
    """The lock was lost (connection to the database cut) and another instance took it."""
    return ("verrou d’instance perdu pendant une coupure de la base de données et repris par "
            f"une autre instance ({describe(holder, now, tz)}) : arrêt de celle-ci pour ne "
            "pas tourner à deux")
