"""The year's bilan as Markdown or CSV: projects by discipline then theme, with updates."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from traam_bot.domain.model import Project, Update
from traam_bot.domain.text import fold, format_date, format_datetime, format_short_date, plural
from traam_bot.domain.updates import is_blocker_line

CSV_HEADER = (
    "annee", "discipline", "theme", "academie", "projet", "phase", "salon",
    "numero", "date", "auteur", "texte", "blocage",
)


@dataclass(frozen=True)
class ProjectRecord:
    project: Project
    rooms: tuple[str, ...]
    updates: tuple[Update, ...]  # oldest first


def _ordered(records: Sequence[ProjectRecord]) -> list[ProjectRecord]:
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
    out += [f"{plural(len(records), 'projet')}, {plural(total, 'mise', 'mises')} à jour.", ""]
    discipline = None
    for rec in _ordered(records):
        p = rec.project
        if p.discipline != discipline:
            discipline = p.discipline
            out += [f"## {md_escape(discipline)}", ""]
        out += [f"### {md_escape(p.theme)}", ""]
        out += _md_project_facts(rec, tz)
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
    ]
    if updates:
        lines.append(f"- Première : {format_date(updates[0].created_at, tz)} ; "
                     f"dernière : {format_date(updates[-1].created_at, tz)}")
    return [*lines, ""]


def render_csv(records: Sequence[ProjectRecord], tz: ZoneInfo) -> str:
    """One line per update (a project without update still gets one line)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for rec in _ordered(records):
        p = rec.project
        base = [p.year, p.discipline, p.theme, p.academie, p.id, p.phase, " ".join(rec.rooms)]
        if not rec.updates:
            writer.writerow([*base, "", "", "", "", ""])
        for u in rec.updates:
            writer.writerow([*base, u.number, format_short_date(u.created_at, tz),
                             _csv_safe(u.author_name), _csv_safe(u.text),
                             "oui" if u.has_blocker else "non"])
    return buf.getvalue()


def _csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @, tab or CR at the start of a cell)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
