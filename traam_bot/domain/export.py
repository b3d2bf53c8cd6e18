"""The year's bilan as Markdown: projects by discipline then theme, with their updates and
resources (the CSV and the xlsx workbook are built in domain.export_tables)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Project, Update
from traam_bot.domain.resources import Resource
from traam_bot.domain.text import fold, format_date, format_datetime, plural
from traam_bot.domain.updates import is_blocker_line


@dataclass(frozen=True)
class ProjectRecord:
    project: Project
    rooms: tuple[str, ...]
    updates: tuple[Update, ...]  # oldest first
    resources: tuple[Resource, ...] = ()  # oldest first, numbered in that order


def ordered(records: Sequence[ProjectRecord]) -> list[ProjectRecord]:
    # folded, so that "Éducation musicale" sorts among the E, not after "Technologie"
    return sorted(records, key=lambda r: (fold(r.project.discipline), r.project.discipline,
                                          fold(r.project.theme), r.project.academie,
                                          r.project.id))


_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-+#=])|(\d+)([.)]))")


def md_escape(text: str) -> str:
    """Text shown literally in Markdown: no live markup, links, HTML or mentions.

    Only what can start markup is escaped, so the file stays readable as plain text.
    """
    escaped = _MD_INLINE.sub(r"\\\1", text)
    escaped = _MD_LINE_START.sub(_escape_line_start, escaped)
    return escaped.replace("@room", "@\u200broom")


def _escape_line_start(m: re.Match[str]) -> str:
    """"\\-", "\\#", "\\=" but "1\\." (a backslash before a digit would be shown, not hidden)."""
    indent, mark, digits, dot = m.groups()
    return indent + ("\\" + mark if mark else digits + "\\" + dot)


def _md_text_block(text: str) -> list[str]:
    """A quote keeping the update's line breaks (backslash = hard break), blockers flagged."""
    lines = text.splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            out.append(">")
            continue
        mark = "⚠️ " if is_blocker_line(line) else ""
        more = i + 1 < len(lines) and lines[i + 1].strip()
        out.append("> " + mark + md_escape(line) + ("\\" if more else ""))
    return out


def render_markdown(region: str, year: str, records: Sequence[ProjectRecord],
                    tz: ZoneInfo) -> str:
    out = [f"# Bilan TraAM {year} — région académique {region}", ""]
    total = sum(len(r.updates) for r in records)
    resources = sum(len(r.resources) for r in records)
    out += [f"{plural(len(records), 'projet')}, {plural(total, 'mise', 'mises')} à jour, "
            f"{plural(resources, 'ressource')}.", ""]
    discipline = None
    for rec in ordered(records):
        p = rec.project
        if p.discipline != discipline:
            discipline = p.discipline
            out += [f"## {md_escape(discipline)}", ""]
        out += [f"### {md_escape(p.theme)}", ""]
        out += _md_project_facts(rec, tz)
        out += _md_resources(rec, tz)
        for u in rec.updates:
            edited = " (modifiée)" if u.edited_at else ""
            out += [f"#### Mise à jour n° {u.number} — {md_escape(u.author_name)} — "
                    f"{format_datetime(u.created_at, tz)}{edited}", ""]
            out += [*_md_text_block(u.text), ""]
    return "\n".join(out).rstrip() + "\n"


def _md_project_facts(rec: ProjectRecord, tz: ZoneInfo) -> list[str]:
    p, updates = rec.project, rec.updates
    rooms = ", ".join(md_escape(r) for r in rec.rooms) or "aucun"
    lines = [
        f"- Académie : {md_escape(p.academie)}",
        f"- Phase : {md_escape(p.phase)}",
        f"- Identifiant : `{p.id}`",
        f"- Salon : {rooms}",
        f"- Mises à jour : {len(updates)}",
        f"- Ressources : {len(rec.resources)}",
    ]
    if updates:
        lines.append(f"- Première : {format_date(updates[0].created_at, tz)} ; "
                     f"dernière : {format_date(updates[-1].created_at, tz)}")
    return [*lines, ""]


def _md_resources(rec: ProjectRecord, tz: ZoneInfo) -> list[str]:
    """The project's resources as a list of links; nothing when it has none. A stored link
    holds no space, "<" or ">" (domain.resources.check_link); its parentheses are
    percent-encoded (the same address) so that none can end the link early."""
    if not rec.resources:
        return []
    lines = [f"#### Ressources ({len(rec.resources)})", ""]
    for n, r in enumerate(rec.resources, start=1):
        url = r.url.replace("(", "%28").replace(")", "%29")
        lines.append(f"{n}. [{md_escape(r.title)}]({url}) — {r.kind_label} — "
                     f"{md_escape(r.author_name)}, {format_date(r.created_at, tz)}")
    return [*lines, ""]
