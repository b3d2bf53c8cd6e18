"""The year's bilan as tables, for French office software: one CSV (`;`, UTF-8 with a BOM,
accented headers, a `Type` column telling updates from resources) and the three sheets of
the xlsx workbook (updates, resources, projects). Cells are typed (dates, times, numbers);
each output formats them its own way."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from traam_bot.domain.export import ProjectRecord, ordered
from traam_bot.domain.model import Project, Update
from traam_bot.domain.resources import Resource

Cell = str | int | date | time | None

UPDATE_TYPE = "mise à jour"
RESOURCE_TYPE = "ressource"
PROJECT_TYPE = "projet"  # a project with neither update nor resource keeps one CSV line

PROJECT_COLUMNS = ("Année", "Discipline", "Thème", "Académie", "Projet", "Phase", "Salon")
CSV_HEADER = (*PROJECT_COLUMNS, "Type", "Numéro", "Date", "Heure", "Auteur", "Texte",
              "Blocage", "Besoin", "Lien", "Catégorie")
UPDATE_HEADER = (*PROJECT_COLUMNS, "Numéro", "Date", "Heure", "Auteur", "Texte", "Blocage",
                 "Besoin", "Modifiée le")
RESOURCE_HEADER = (*PROJECT_COLUMNS, "Numéro", "Date", "Heure", "Auteur", "Titre",
                   "Catégorie", "Lien")
PROJECTS_HEADER = (*PROJECT_COLUMNS, "Mises à jour", "Ressources", "Première mise à jour",
                   "Dernière mise à jour")
BOM = "\ufeff"


@dataclass(frozen=True)
class Sheet:
    title: str
    header: tuple[str, ...]
    rows: list[list[Cell]]
    widths: tuple[int, ...]  # characters, one per column


def _project_cells(rec: ProjectRecord) -> list[Cell]:
    p: Project = rec.project
    return [p.year, p.discipline, p.theme, p.academie, p.id, p.phase, " ".join(rec.rooms)]


def _local(moment: datetime, tz: ZoneInfo) -> tuple[date, time]:
    local = moment.astimezone(tz)
    return local.date(), local.time().replace(second=0, microsecond=0, tzinfo=None)


def section_text(update: Update, kind: str) -> str:
    """The text of the update's sections of one kind (« Blocage », « Besoin »), one a line."""
    return "\n".join(s.text or "(sans précision)" for s in update.sections if s.kind == kind)


def _update_cells(u: Update, tz: ZoneInfo) -> list[Cell]:
    day, hour = _local(u.created_at, tz)
    return [u.number, day, hour, u.author_name, u.text, section_text(u, "blocage"),
            section_text(u, "besoin")]


def _resource_cells(n: int, r: Resource, tz: ZoneInfo) -> list[Cell]:
    day, hour = _local(r.created_at, tz)
    return [n, day, hour, r.author_name, r.title]


def update_sheet(records: Sequence[ProjectRecord], tz: ZoneInfo) -> Sheet:
    rows: list[list[Cell]] = []
    for rec in ordered(records):
        for u in rec.updates:
            edited = _local(u.edited_at, tz)[0] if u.edited_at else None
            rows.append([*_project_cells(rec), *_update_cells(u, tz), edited])
    return Sheet("Mises à jour", UPDATE_HEADER, rows,
                 (10, 18, 40, 12, 28, 20, 24, 8, 12, 8, 20, 60, 30, 30, 12))


def resource_sheet(records: Sequence[ProjectRecord], tz: ZoneInfo) -> Sheet:
    rows: list[list[Cell]] = []
    for rec in ordered(records):
        for n, r in enumerate(rec.resources, start=1):
            rows.append([*_project_cells(rec), *_resource_cells(n, r, tz), r.kind_label,
                         r.url])
    return Sheet("Ressources", RESOURCE_HEADER, rows,
                 (10, 18, 40, 12, 28, 20, 24, 8, 12, 8, 20, 40, 18, 60))


def project_sheet(records: Sequence[ProjectRecord], tz: ZoneInfo) -> Sheet:
    rows: list[list[Cell]] = []
    for rec in ordered(records):
        first = _local(rec.updates[0].created_at, tz)[0] if rec.updates else None
        last = _local(rec.updates[-1].created_at, tz)[0] if rec.updates else None
        rows.append([*_project_cells(rec), len(rec.updates), len(rec.resources), first, last])
    return Sheet("Projets", PROJECTS_HEADER, rows,
                 (10, 18, 40, 12, 28, 20, 24, 12, 12, 20, 20))


def sheets(records: Sequence[ProjectRecord], tz: ZoneInfo) -> list[Sheet]:
    """The workbook: updates, resources, projects."""
    return [update_sheet(records, tz), resource_sheet(records, tz), project_sheet(records, tz)]


def csv_rows(records: Sequence[ProjectRecord], tz: ZoneInfo) -> list[list[Cell]]:
    """One line per update, then one per resource, per project; a project with neither
    still gets one line (Type « projet »)."""
    rows: list[list[Cell]] = []
    for rec in ordered(records):
        base = _project_cells(rec)
        for u in rec.updates:
            rows.append([*base, UPDATE_TYPE, *_update_cells(u, tz), "", ""])
        for n, r in enumerate(rec.resources, start=1):
            rows.append([*base, RESOURCE_TYPE, *_resource_cells(n, r, tz), "", "", r.url,
                         r.kind_label])
        if not rec.updates and not rec.resources:
            rows.append([*base, PROJECT_TYPE, *[""] * (len(CSV_HEADER) - len(base) - 1)])
    return rows


def cell_text(value: Cell) -> str:
    """A cell as CSV text: 01/12/2025, 9:05 as 09:05, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, int):
        return str(value)
    return csv_safe(value)


def render_csv(records: Sequence[ProjectRecord], tz: ZoneInfo) -> str:
    """The CSV French spreadsheets open as they are: `;` separator, a BOM so that UTF-8 is
    recognised, CRLF line ends, every field that needs it quoted."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in csv_rows(records, tz):
        writer.writerow([cell_text(c) for c in row])
    return buf.getvalue()


def csv_safe(text: str) -> str:
    """Neutralise spreadsheet formulas (=, +, -, @, tab or CR at the start of a cell)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
