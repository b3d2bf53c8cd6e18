"""The bilan for French office software, read back as a spreadsheet would read it: the CSV
with the csv module and the `;` dialect, the xlsx with openpyxl."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

import openpyxl
import pytest

from tests.unit.test_export import HOSTILE, PARIS, build_records
from traam_bot.domain.export import ProjectRecord
from traam_bot.domain.export_tables import (
    BOM,
    CSV_HEADER,
    PROJECTS_HEADER,
    RESOURCE_HEADER,
    UPDATE_HEADER,
    render_csv,
    section_text,
)
from traam_bot.domain.model import Project, Update
from traam_bot.domain.updates import parse_sections
from traam_bot.services.export_xlsx import render_xlsx


@pytest.fixture
def records(projects: tuple[Project, ...]) -> list[ProjectRecord]:
    return build_records(projects)


def _csv_dicts(records: list[ProjectRecord]) -> list[dict[str, str]]:
    data = render_csv(records, PARIS).encode("utf-8")  # as written to the file
    text = data.decode("utf-8-sig")  # what a spreadsheet does with the BOM
    assert not text.startswith(BOM)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))


# --------------------------------------------------------------------------- CSV


def test_csv_reads_back_with_accented_headers_time_and_separate_blocage_besoin(
        records: list[ProjectRecord]) -> None:
    rows = _csv_dicts(records)
    nsi = [r for r in rows if r["Projet"] == "besancon-nsi-egalite"]
    first, second, third = nsi[:3]
    # the first update has a « Besoin : » line and no blocker: it is not a « blocage »
    assert (first["Type"], first["Date"], first["Heure"]) == ("mise à jour", "06/10/2025",
                                                              "09:15")
    assert (first["Blocage"], first["Besoin"]) == ("", "un créneau en salle info le jeudi")
    assert (second["Blocage"], second["Besoin"]) == (
        "l’ENT ne permet pas encore de créer les groupes mixtes", "")
    assert (second["Date"], second["Heure"]) == ("01/12/2025", "00:30")  # Paris, next day
    assert (third["Blocage"], third["Besoin"]) == ("", "")
    resource = nsi[4]
    assert (resource["Type"], resource["Numéro"], resource["Texte"], resource["Catégorie"],
            resource["Lien"], resource["Auteur"], resource["Heure"]) == (
        "ressource", "2", "Parcours « égalité » en NSI", "parcours M@gistère",
        "https://magistere.education.fr/ac-besancon/course/view.php?id=678", "Bruno Petit",
        "18:40")
    assert list(rows[0]) == list(CSV_HEADER)


def test_semicolons_quotes_and_line_breaks_stay_inside_their_cell(
        projects: tuple[Project, ...]) -> None:
    text = "Fait : a ; b \"c\"\nBesoin : d ; e"
    nsi = next(p for p in projects if p.id == "besancon-nsi-egalite")
    update = Update(id=1, project_id=nsi.id, number=1, author="@a:x", author_name="A ; B",
                    room_id="!r:x", event_id="$1", text=text,
                    created_at=datetime(2025, 12, 1, 8, 0, tzinfo=PARIS),
                    sections=parse_sections(text))
    [row] = _csv_dicts([ProjectRecord(project=nsi, rooms=("!r:x",), updates=(update,))])
    assert (row["Texte"], row["Auteur"], row["Besoin"]) == (text, "A ; B", "d ; e")


@pytest.mark.parametrize(("text", "blocage", "besoin"), [
    ("Besoin : un vidéoprojecteur", "", "un vidéoprojecteur"),
    ("Blocages : ENT en panne", "ENT en panne", ""),
    ("Blocage : salle\nBesoin : temps\nBesoins : matériel", "salle", "temps\nmatériel"),
    ("Besoin :", "", "(sans précision)"),
    ("Fait : tout", "", ""),
])
def test_blocage_and_besoin_are_told_apart(text: str, blocage: str, besoin: str) -> None:
    update = Update(id=1, project_id="p", number=1, author="@a:x", author_name="A",
                    room_id="!r:x", event_id="$1", text=text,
                    created_at=datetime(2025, 12, 1, 8, 0, tzinfo=PARIS),
                    sections=parse_sections(text))
    assert (section_text(update, "blocage"), section_text(update, "besoin")) == (blocage,
                                                                                  besoin)


# --------------------------------------------------------------------------- xlsx


def _book(records: list[ProjectRecord]) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(render_xlsx(records, PARIS)))


def test_the_workbook_has_three_sheets_with_headers_and_widths(
        records: list[ProjectRecord]) -> None:
    book = _book(records)
    assert book.sheetnames == ["Mises à jour", "Ressources", "Projets"]
    for name, header, count in (("Mises à jour", UPDATE_HEADER, 8),
                                ("Ressources", RESOURCE_HEADER, 3),
                                ("Projets", PROJECTS_HEADER, 6)):
        ws = book[name]
        assert [c.value for c in ws[1]] == list(header)
        assert all(c.font.bold for c in ws[1])
        assert ws.max_row == count + 1
        assert ws.freeze_panes == "A2"
        assert ws.column_dimensions["C"].width == 40
        assert ws.column_dimensions["A"].width == 10


def test_updates_sheet_has_real_dates_times_and_text(records: list[ProjectRecord]) -> None:
    ws = _book(records)["Mises à jour"]
    rows = [dict(zip(UPDATE_HEADER, (c.value for c in row), strict=True))
            for row in ws.iter_rows(min_row=2)]
    nsi = [r for r in rows if r["Projet"] == "besancon-nsi-egalite"]
    assert nsi[0]["Date"] == datetime(2025, 10, 6)  # a date cell (openpyxl reads datetimes)
    assert nsi[0]["Heure"] == time(9, 15)
    assert nsi[0]["Numéro"] == 1
    assert (nsi[0]["Blocage"], nsi[0]["Besoin"]) == (None, "un créneau en salle info le jeudi")
    assert nsi[2]["Modifiée le"] == datetime(2026, 1, 13)
    date_cell = next(ws.iter_rows(min_row=2, max_row=2))[UPDATE_HEADER.index("Date")]
    assert date_cell.number_format == "DD/MM/YYYY" and date_cell.is_date
    # formulas stay text, exactly as written (no quote added, nothing evaluated)
    doc = next(r for r in rows if r["Projet"] == "besancon-documentation-ia")
    assert doc["Texte"] == '=HYPERLINK("http://exemple.invalid";"clic")\n+33 6 00 00 00 00'
    assert doc["Auteur"] == "@Ève Lefèvre"
    assert any(r["Texte"] == HOSTILE for r in rows)
    for row in ws.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)


def test_resources_and_projects_sheets(records: list[ProjectRecord]) -> None:
    book = _book(records)
    res = [[c.value for c in row] for row in book["Ressources"].iter_rows(min_row=2)]
    assert [r[4] for r in res] == ["besancon-lettres-ia", "besancon-nsi-egalite",
                                   "besancon-nsi-egalite"]
    assert res[1][7:] == [1, datetime(2025, 11, 2), time(10, 5), "Alice Martin",
                          "Les pionnières de l’informatique", "fiche Édubase",
                          "https://edubase.eduscol.education.fr/fiche/12345"]
    assert res[0][11] == "=<b>Titre</b> [x](javascript:alert(1)) @room"
    assert book["Ressources"].cell(2, 12).data_type == "s"
    projects = {r[4]: r[7:] for r in ([c.value for c in row]
                                      for row in book["Projets"].iter_rows(min_row=2))}
    assert projects["besancon-nsi-egalite"] == [3, 2, datetime(2025, 10, 6),
                                                datetime(2026, 1, 12)]
    assert projects["dijon-technologie-projet"] == [0, 0, None, None]


def test_control_characters_do_not_break_the_workbook(projects: tuple[Project, ...]) -> None:
    nsi = projects[0]
    text = "avant\x01\x0bapres"
    update = Update(id=1, project_id=nsi.id, number=1, author="@a:x", author_name="A",
                    room_id="!r:x", event_id="$1", text=text,
                    created_at=datetime(2025, 12, 1, 8, 0, tzinfo=PARIS))
    ws = _book([ProjectRecord(project=nsi, rooms=(), updates=(update,))])["Mises à jour"]
    assert ws.cell(2, UPDATE_HEADER.index("Texte") + 1).value == "avant\ufffd\ufffdapres"


def test_an_empty_year_still_gives_three_sheets_with_headers() -> None:
    book = _book([])
    assert [book[name].max_row for name in book.sheetnames] == [1, 1, 1]
