"""The periodic digest for referents: updates of the period, blockers, quiet teams, what is next.

Pure: no I/O and no clock (`now` is a parameter). Every piece of user text goes through
domain.render.Doc, which escapes it; long digests are split later by `Doc.reply()`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from traam_bot.domain.calendar import HolidayPeriod, Milestone, day_label
from traam_bot.domain.model import SECTION_LABELS, Project, Update, project_order
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.resources import Resource
from traam_bot.domain.text import format_date, format_datetime, plural, shorten
from traam_bot.domain.updates import update_block

UPCOMING_DAYS = 7
_DAY = timedelta(days=1)
_CHRONOLOGICAL = attrgetter("created_at", "number")


@dataclass(frozen=True)
class Upcoming:
    """A reminder ("rappel") or an update prompt ("relance") due soon."""

    when: datetime  # aware UTC
    kind: str  # "rappel" | "relance"
    room_label: str  # e.g. the project name or room alias
    text: str  # reminder message (user text) or "" for a prompt


@dataclass(frozen=True, slots=True)
class _Quiet:
    project: Project
    last: datetime | None  # None: no update ever


def compose_digest(*, projects: Sequence[Project], updates: Sequence[Update],
                   last_update: Mapping[str, datetime], upcoming: Sequence[Upcoming],
                   since: datetime | None, now: datetime, tz: ZoneInfo,
                   quiet_days: int = 14, max_chars: int = 500,
                   resources: Sequence[Resource] = (),
                   milestones: Sequence[tuple[Milestone, int]] = (),
                   holidays: Sequence[HolidayPeriod] = ()) -> Doc:
    """The digest of the period [since, now] over the active projects in `projects`.

    `updates` should already be the period's; earlier ones and updates of projects out
    of scope are dropped anyway. `last_update` maps project id -> time of its latest
    update over all time (projects absent from it never had one). `resources` added over
    the period are listed as « nouvelles ressources ». `milestones` (with the days left)
    and `holidays` (under way or starting soon) close it, under « Calendrier ».
    """
    in_scope = sorted((p for p in projects if not p.archived), key=project_order)
    groups = _group_by_project(updates, {p.id for p in in_scope}, since)
    quiet = _quiet_projects(in_scope, groups, last_update, now, quiet_days)
    soon = _upcoming_window(upcoming, now)
    added = _new_resources(resources, in_scope, since, now)
    period = f"depuis le {format_datetime(since, tz)}" if since else "depuis le début"
    doc = Doc().para(B(f"Digest TraAM du {format_date(now, tz)}"), f" — mises à jour {period}")
    if not groups and not quiet and not soon and not added:
        doc.para(f"Rien de nouveau {period} : aucune mise à jour, aucune ressource, "
                 f"aucune équipe silencieuse, aucun rappel dans les {UPCOMING_DAYS} "
                 "prochains jours.")
        _calendar_section(doc, milestones, holidays, now, tz)
        return doc
    with_updates = [(p, groups[p.id]) for p in in_scope if p.id in groups]
    _blockers_section(doc, with_updates, tz, max_chars)
    _projects_section(doc, with_updates, tz, max_chars)
    _resources_section(doc, added, tz, max_chars)
    _quiet_section(doc, quiet, now)
    _upcoming_section(doc, soon, tz, max_chars)
    _calendar_section(doc, milestones, holidays, now, tz)
    return doc


def _calendar_section(doc: Doc, milestones: Sequence[tuple[Milestone, int]],
                      holidays: Sequence[HolidayPeriod], now: datetime, tz: ZoneInfo) -> None:
    if not milestones and not holidays:
        return
    today = now.astimezone(tz).date()
    doc.para(B("Calendrier"))
    for period in holidays:
        if period.first <= today:
            doc.item(f"Vacances scolaires (zone {period.zone}) jusqu’au "
                     f"{day_label(period.last)} ({period.name})")
        else:
            doc.item(f"Vacances scolaires (zone {period.zone}) du {day_label(period.first)} "
                     f"au {day_label(period.last)} ({period.name})")
    for milestone, days in milestones:
        when = "aujourd’hui" if days == 0 else f"dans {plural(days, 'jour')}"
        note = " (date indicative)" if milestone.indicative else ""
        doc.item(B(f"Jalon {when}"), f" — {day_label(milestone.day)} : ", milestone.title,
                 note)


def _group_by_project(updates: Sequence[Update], scope: set[str],
                      since: datetime | None) -> dict[str, list[Update]]:
    """Updates of the period per project id, oldest first: one filter, one sort, one pass."""
    if since is None:
        kept = [u for u in updates if u.project_id in scope]
    else:  # the date test first: it discards most of a long history
        kept = [u for u in updates if u.created_at >= since and u.project_id in scope]
    kept.sort(key=_CHRONOLOGICAL)  # linear when the store already sends them in order
    groups: dict[str, list[Update]] = {}
    for update in kept:
        group = groups.get(update.project_id)
        if group is None:
            groups[update.project_id] = [update]
        else:
            group.append(update)
    return groups


def _quiet_projects(in_scope: Sequence[Project], groups: Mapping[str, list[Update]],
                    last_update: Mapping[str, datetime], now: datetime,
                    quiet_days: int) -> list[_Quiet]:
    """Projects silent for `quiet_days` days or more, longest silence first."""
    threshold = now - timedelta(days=quiet_days)
    quiet: list[_Quiet] = []
    for project in in_scope:
        last = last_update.get(project.id)
        group = groups.get(project.id)
        if group and (last is None or group[-1].created_at > last):
            last = group[-1].created_at  # a stale `last_update` must not flag a live team
        if last is None or last <= threshold:
            quiet.append(_Quiet(project, last))
    # stable sort: equal silences keep the académie/discipline order
    quiet.sort(key=lambda q: (q.last is not None, q.last or now))
    return quiet


def _upcoming_window(upcoming: Sequence[Upcoming], now: datetime) -> list[Upcoming]:
    end = now + timedelta(days=UPCOMING_DAYS)
    return sorted((u for u in upcoming if now <= u.when < end), key=attrgetter("when"))


def _blockers_section(doc: Doc, with_updates: Sequence[tuple[Project, list[Update]]],
                      tz: ZoneInfo, max_chars: int) -> None:
    lines: list[tuple[str, Update, str, str]] = []
    for project, group in with_updates:
        label = project.label
        for update in group:
            if update.sections and update.has_blocker:
                lines.extend((label, update, s.kind, s.text)
                             for s in update.sections if s.is_blocker)
    if not lines:
        return
    doc.para(B("Blocages et besoins signalés"), f" — {len(lines)}")
    for label, update, kind, text in lines:
        doc.item("⚠️ ", B(f"{SECTION_LABELS[kind]} : "), shorten(text, max_chars),
                 I(f" — {label}, n° {update.number}, "), I(update.author_name),
                 I(f", {format_date(update.created_at, tz)}"))


def _projects_section(doc: Doc, with_updates: Sequence[tuple[Project, list[Update]]],
                      tz: ZoneInfo, max_chars: int) -> None:
    if not with_updates:
        return
    doc.para(B("Mises à jour par projet"))
    for project, group in with_updates:
        doc.para(B(project.label), f" — {plural(len(group), 'mise', 'mises')} à jour")
        for update in group:
            update_block(doc, update, tz, shorten_to=max_chars)


def _new_resources(resources: Sequence[Resource], in_scope: Sequence[Project],
                   since: datetime | None, now: datetime,
                   ) -> list[tuple[Project, list[Resource]]]:
    """The period's resources per project in scope, in the digest's project order."""
    grouped: dict[str, list[Resource]] = {}
    for r in sorted(resources, key=attrgetter("created_at", "id")):
        if (since is None or r.created_at >= since) and r.created_at <= now:
            grouped.setdefault(r.project_id, []).append(r)
    return [(p, grouped[p.id]) for p in in_scope if p.id in grouped]


def _resources_section(doc: Doc, added: Sequence[tuple[Project, list[Resource]]],
                       tz: ZoneInfo, max_chars: int) -> None:
    if not added:
        return
    doc.para(B("Nouvelles ressources"), f" — {sum(len(group) for _p, group in added)}")
    for project, group in added:
        for r in group:
            doc.item(B(project.label), " : ", I(shorten(r.title, max_chars)),
                     f" ({r.kind_label}) — {r.url} — {r.author_name}, "
                     f"{format_date(r.created_at, tz)}")


def _quiet_section(doc: Doc, quiet: Sequence[_Quiet], now: datetime) -> None:
    if not quiet:
        return
    doc.para(B("Équipes sans nouvelles"))
    for q in quiet:
        if q.last is None:
            silence = "aucune mise à jour depuis le début"
        else:
            silence = f"sans nouvelles depuis {plural((now - q.last) // _DAY, 'jour')}"
        doc.item(B(q.project.label), f" : {silence}")


def _upcoming_section(doc: Doc, soon: Sequence[Upcoming], tz: ZoneInfo,
                      max_chars: int) -> None:
    if not soon:
        return
    doc.para(B(f"À venir dans les {UPCOMING_DAYS} prochains jours"))
    for u in soon:
        text = f" : {shorten(u.text, max_chars)}" if u.text else ""
        doc.item(B(format_datetime(u.when, tz)), f" — {u.kind} — ", u.room_label, text)
