"""Personal data (RGPD): what is stored about one person, its JSON export, how a forgotten
person's traces are rubbed out of free text, and the retention limits."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Contact, Update
from traam_bot.domain.records import RoomLink, Schedule
from traam_bot.domain.resources import Resource

# what a forgotten author becomes in bilans, digests and exports
FORGOTTEN = "un membre de l’équipe"
FORGET = "forget"  # the confirmation's action
CONFIRM_WORD = "confirmer"  # `!oublier confirmer`: the explicit word, written in the question
CONFIRM_MINUTES = 15
TECHNICAL_DAYS = 30  # handled-event ledger and messages already sent
MIN_NAME = 3  # shorter display names are not searched for in others' texts (too common)
KIND_KEYS = {"reminder": "rappels", "prompt": "relances", "digest": "abonnements_digest"}


@dataclass(frozen=True)
class PersonalData:
    """Everything the database holds about one Matrix user."""

    user_id: str
    names: tuple[str, ...]  # display names seen for them (stored authorship, this request)
    updates: tuple[Update, ...] = ()
    resources: tuple[Resource, ...] = ()
    schedules: tuple[Schedule, ...] = ()  # reminders and prompts created, digest subscriptions
    links: tuple[RoomLink, ...] = ()  # rooms they linked to a project
    contacts: tuple[Contact, ...] = ()  # directory entries carrying their Matrix id

    def of_kind(self, kind: str) -> tuple[Schedule, ...]:
        return tuple(s for s in self.schedules if s.kind == kind)

    @property
    def empty(self) -> bool:
        return not (self.updates or self.resources or self.schedules or self.links
                    or self.contacts)


@dataclass(frozen=True)
class Erasure:
    """What forgetting someone changed, table by table (counts)."""

    updates: int = 0  # anonymised
    resources: int = 0  # anonymised
    reminders: int = 0  # deleted
    prompts: int = 0  # deleted
    digests: int = 0  # deleted
    links: int = 0  # anonymised (who linked the room)
    contacts: int = 0  # Matrix id removed from the directory entry
    messages: int = 0  # outbox rows deleted or rubbed out
    mentions: int = 0  # other rows whose text named them, rubbed out


@dataclass(frozen=True)
class Purge:
    """What the daily retention purge deleted."""

    updates: int = 0
    resources: int = 0
    ledger: int = 0
    messages: int = 0
    confirmations: int = 0

    @property
    def total(self) -> int:
        return (self.updates + self.resources + self.ledger + self.messages
                + self.confirmations)


def retention_cutoff(now: datetime, years: int) -> datetime:
    """`years` calendar years before `now` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def technical_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=TECHNICAL_DAYS)


def searchable_names(names: Iterable[str], user_id: str) -> tuple[str, ...]:
    """The display names worth searching others' texts for: distinct, long enough, never
    the placeholder itself."""
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if len(name) >= MIN_NAME and name != FORGOTTEN and name != user_id:
            seen.setdefault(name)
    return tuple(seen)


def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    longest_first = sorted(names, key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in longest_first)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def scrubber(user_id: str, names: tuple[str, ...]) -> Callable[[str], str]:
    """A function replacing the person's Matrix id (anywhere) and display names (as whole
    words, any case) by FORGOTTEN."""
    pattern = _name_pattern(names)

    def scrub(text: str) -> str:
        text = text.replace(user_id, FORGOTTEN)
        return pattern.sub(FORGOTTEN, text) if pattern is not None else text

    return scrub


def scrub_json(value: Any, scrub: Callable[[str], str]) -> Any:
    """`scrub` applied to every string (keys included) of a decoded JSON value."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrub_json(v, scrub) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub_json(v, scrub) for k, v in value.items()}
    return value


# ------------------------------------------------------------------ the JSON export
def _when(moment: datetime | None, tz: ZoneInfo) -> str | None:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else None


def _update(u: Update, label: Callable[[str], str], tz: ZoneInfo) -> dict[str, Any]:
    return {"projet": u.project_id, "projet_libelle": label(u.project_id), "numero": u.number,
            "nom_affiche": u.author_name, "salon": u.room_id, "evenement": u.event_id,
            "cree_le": _when(u.created_at, tz), "modifie_le": _when(u.edited_at, tz),
            "texte": u.text, "sections": [[s.kind, s.text] for s in u.sections]}


def _resource(r: Resource, label: Callable[[str], str], tz: ZoneInfo) -> dict[str, Any]:
    return {"projet": r.project_id, "projet_libelle": label(r.project_id), "titre": r.title,
            "lien": r.url, "type": r.kind_label, "nom_affiche": r.author_name,
            "salon": r.room_id, "cree_le": _when(r.created_at, tz)}


def _schedule(s: Schedule, tz: ZoneInfo) -> dict[str, Any]:
    return {"salon": s.room_id, "message": s.message, "quand": s.trigger.describe(tz),
            "statut": s.status, "prochain_envoi": _when(s.next_run, tz),
            "dernier_envoi": _when(s.last_run, tz), "cree_le": _when(s.created_at, tz)}


def export_json(data: PersonalData, now: datetime, tz: ZoneInfo,
                label: Callable[[str], str], retention_years: int) -> str:
    """The attachment of `!mesdonnees`: every stored item of the person, full texts."""
    doc: dict[str, Any] = {
        "genere_le": _when(now, tz),
        "identifiant_matrix": data.user_id,
        "noms_affiches": list(data.names),
        "conservation": {"points_et_ressources_annees": retention_years,
                         "traces_techniques_jours": TECHNICAL_DAYS},
        "points_d_etape": [_update(u, label, tz) for u in data.updates],
        "ressources": [_resource(r, label, tz) for r in data.resources],
    }
    for kind, key in KIND_KEYS.items():
        doc[key] = [_schedule(s, tz) for s in data.of_kind(kind)]
    doc["salons_lies"] = [{"salon": link.room_id, "nom_du_salon": link.label,
                           "projet": link.project_id, "lie_le": _when(link.linked_at, tz)}
                          for link in data.links]
    doc["annuaire"] = [{"nom": c.name, "role": c.role, "courriel": c.email,
                        "identifiant_matrix": c.matrix_id} for c in data.contacts]
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
