"""Progress updates as text: sections, `!point`/`!bilan` arguments, and the bilan document."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from traam_bot.domain.limits import text_error, year_error
from traam_bot.domain.model import BLOCKER_KINDS, SECTION_LABELS, Project, Section, Update
from traam_bot.domain.render import B, Doc, I
from traam_bot.domain.resources import Resource, resources_section
from traam_bot.domain.text import fold, format_date, plural, shorten

# The !point command's name then its aliases: its registration and the edits of its
# messages (`point_text`) both read them here.
POINT_NAMES = ("point", "update")

# Folded section words as written at a line's start: "fait", "a faire", "blocage(s)",
# "besoin(s)" (blockers are often announced in the plural).
_BLOCKER_WORDS = "|".join(f"{kind}s?" for kind in BLOCKER_KINDS)
_SECTION_WORDS = "|".join(
    [kind.replace("_", " ") for kind in SECTION_LABELS if kind not in BLOCKER_KINDS]
    + [_BLOCKER_WORDS])
_SECTION_LINE = re.compile(rf"^\s*[-•*]?\s*({_SECTION_WORDS})\s*:\s*(.*)$")
_DATE = re.compile(r"(?:^|\s)depuis\s+(?:le\s+)?(\d{1,2})/(\d{1,2})/(\d{4})\s*$",
                   re.IGNORECASE)


class UpdateTextError(ValueError):
    """A French message explaining why the text cannot be recorded."""


def parse_sections(text: str) -> tuple[Section, ...]:
    """Lines "Fait : …", "À faire : …", "Blocage : …", "Besoin : …" (any case, any accents).

    A line without a label continues the section above it.
    """
    sections: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        m = _SECTION_LINE.match(fold(line))
        if m:
            label = m.group(1).rstrip("s").replace(" ", "_")
            start = _unfolded_index(line, m.start(2))
            sections.append((label, [line[start:].strip()]))
        elif sections and line.strip():
            sections[-1][1].append(line.strip())
    return tuple(Section(kind, "\n".join(t for t in lines if t)) for kind, lines in sections)


def _unfolded_index(line: str, folded_index: int) -> int:
    """Index in `line` of the character at `folded_index` in `fold(line)`.

    Folding changes lengths ("œ" -> "oe", "…" -> "...", emoji -> ""), so positions found
    in the folded line must be mapped back, character by character.
    """
    seen = 0
    for i, ch in enumerate(line):
        if seen >= folded_index:
            return i
        seen += len(fold(ch))
    return len(line)


def check_update_text(text: str, prefix: str) -> str:
    text = text.strip()
    if not text:
        raise UpdateTextError("Le texte de la mise à jour est vide.")
    problem = text_error(text, "Mise à jour trop longue",
                         f"Découpez-la en plusieurs {prefix}point.")
    if problem is not None:
        raise UpdateTextError(problem)
    return text


def split_dm_point(args: str) -> tuple[str, str] | None:
    """"nsi : on a fini la séquence 2" -> ("nsi", "on a fini la séquence 2")."""
    project, sep, text = args.partition(":")
    if not sep or not project.strip() or not text.strip():
        return None
    return project.strip(), text.strip()


def point_text(body: str, prefix: str, names: Sequence[str], in_dm: bool) -> str:
    """The update text carried by a (possibly edited) `!point` message body."""
    stripped = body.strip()
    for name in names:
        head = prefix + name
        if fold(stripped[: len(head)]) == fold(head) and (
                len(stripped) == len(head) or stripped[len(head)].isspace()):
            args = stripped[len(head):].strip()
            if in_dm:
                parts = split_dm_point(args)
                return parts[1] if parts else args
            return args
    return stripped


@dataclass(frozen=True)
class BilanArgs:
    project_query: str
    since: datetime | None


def parse_bilan_args(args: str, tz: ZoneInfo) -> BilanArgs:
    """"nsi depuis 01/12/2025" -> project words + local midnight of that day."""
    m = _DATE.search(args)
    if m is None:
        if re.search(r"(^|\s)depuis(\s|$)", fold(args)):
            raise UpdateTextError("Date illisible après « depuis ». Exemple : depuis 01/12/2025")
        return BilanArgs(args.strip(), None)
    day, month, year = (int(g) for g in m.groups())
    problem = year_error(year)
    if problem is not None:
        raise UpdateTextError(f"{problem}. Exemple : depuis 01/12/2025")
    try:
        since = datetime(year, month, day, tzinfo=tz)
    except ValueError:
        raise UpdateTextError(
            f"Date impossible : {m.group(1)}/{m.group(2)}/{m.group(3)}. "
            "Exemple : depuis 01/12/2025") from None
    return BilanArgs(args[: m.start()].strip(), since)


def update_block(doc: Doc, update: Update, tz: ZoneInfo, shorten_to: int | None = None) -> Doc:
    """One update: header line (number, author, date) then its text, blockers highlighted."""
    edited = " (modifiée)" if update.edited_at else ""
    doc.item(B(f"n° {update.number}"), f" — {update.author_name} — "
             f"{format_date(update.created_at, tz)}{edited}")
    text = update.text
    if shorten_to is not None and len(text) > shorten_to:
        text = shorten(text, shorten_to)
    doc.quote(text, strong=is_blocker_line)
    return doc


_BLOCKER_START = re.compile(rf"^[-•*]?\s*({_BLOCKER_WORDS})\s*:")


def is_blocker_line(line: str) -> bool:
    """"Blocage : …" / "Besoin : …" lines, highlighted wherever updates are shown.

    Only the line's start, up to its colon, is folded: digests call this on thousands of
    lines.
    """
    head, colon, _rest = line.lstrip()[:16].partition(":")
    return bool(colon) and _BLOCKER_START.match(fold(head) + ":") is not None


def bilan_doc(per_project: Sequence[tuple[Project, Sequence[Update]]], since: datetime | None,
              tz: ZoneInfo, resources: Mapping[str, Sequence[Resource]] | None = None,
              year: str | None = None) -> Doc:
    """Updates per project over the period, newest first; then the resources the project
    added over the same period, when there are some. `year`: the school year shown
    (« Bilan des TraAM 2025-2026 … »)."""
    period = f"depuis le {format_date(since, tz)}" if since else "depuis le début"
    total = sum(len(u) for _p, u in per_project)
    title = f"Bilan des TraAM {year} {period}" if year else f"Bilan des TraAM {period}"
    doc = Doc().para(B(title), f" — {plural(total, 'mise', 'mises')} à jour")
    for project, updates in per_project:
        doc.para(B(project.label),
                 f" — {plural(len(updates), 'mise', 'mises')} à jour")
        if not updates:
            doc.para(I("Aucune mise à jour sur la période."))
        for update in sorted(updates, key=lambda u: u.created_at, reverse=True):
            update_block(doc, update, tz)
        added = (resources or {}).get(project.id, ())
        resources_section(doc, f"Ressources ({len(added)}) :", added, tz)
    return doc
