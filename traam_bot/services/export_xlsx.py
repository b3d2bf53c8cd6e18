"""The year's bilan as an xlsx workbook (openpyxl): one sheet of updates, one of resources,
one of projects, each with a bold frozen header row, filters and column widths."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.export_tables import Cell, Sheet, sheets

DATE_FORMAT = "DD/MM/YYYY"
TIME_FORMAT = "HH:MM"


def render_xlsx(records: Sequence[ProjectRecord], tz: ZoneInfo) -> bytes:
    """The workbook's bytes (nothing is written to disk here)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for sheet in sheets(records, tz):
        _fill(book.create_sheet(sheet.title), sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _fill(ws: Worksheet, sheet: Sheet) -> None:
    ws.append(list(sheet.header))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for values in sheet.rows:
        ws.append([_value(v) for v in values])
    for row, values in zip(ws.iter_rows(min_row=2), sheet.rows, strict=True):
        for cell, value in zip(row, values, strict=True):
            _format(cell, value)
    for n, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def _value(value: Cell) -> Cell:
    """Text without the control characters a workbook cannot hold; everything else as is."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _format(cell: Any, value: Cell) -> None:
    if isinstance(value, str):
        # text is text: "=…" must never become a formula, nor "+33…" a number
        cell.data_type = "s"
        if "\n" in value:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        else:
            cell.alignment = Alignment(vertical="top")
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, time):
        cell.number_format = TIME_FORMAT
