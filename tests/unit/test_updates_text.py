"""Progress updates as text: sections, `!point` / `!bilan` arguments, the bilan document."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from traam_bot.domain.limits import MAX_TEXT_CHARS
from traam_bot.domain.model import Project, Section, Update
from traam_bot.domain.render import MAX_MESSAGE_BYTES, Doc
from traam_bot.domain.updates import (
    POINT_NAMES,
    BilanArgs,
    UpdateTextError,
    bilan_doc,
    check_update_text,
    parse_bilan_args,
    parse_sections,
    point_text,
    split_dm_point,
    update_block,
)

PARIS = ZoneInfo("Europe/Paris")
ZWSP = "\u200b"


def _update(number: int, text: str, created_at: datetime, *, author_name: str = "Alice Martin",
            project_id: str = "besancon-nsi-egalite", edited_at: datetime | None = None,
            sections: tuple[Section, ...] | None = None) -> Update:
    return Update(
        id=number, project_id=project_id, number=number, author="@alice:localhost",
        author_name=author_name, room_id="!nsi:localhost", event_id=f"$ev{number}",
        text=text, created_at=created_at, edited_at=edited_at,
        sections=parse_sections(text) if sections is None else sections,
    )


# --------------------------------------------------------------------------- parse_sections

S = Section


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the four labels, any case, with or without accents, with or without the space
        ("Fait : la séquence 2", (S("fait", "la séquence 2"),)),
        ("fait: la séquence 2", (S("fait", "la séquence 2"),)),
        ("FAIT :la séquence 2", (S("fait", "la séquence 2"),)),
        ("À FAIRE : le bilan", (S("a_faire", "le bilan"),)),
        ("à faire : le bilan", (S("a_faire", "le bilan"),)),
        ("A faire: le bilan", (S("a_faire", "le bilan"),)),
        ("Blocage : pas de salle", (S("blocage", "pas de salle"),)),
        ("blocages : pas de salle", (S("blocage", "pas de salle"),)),
        ("Besoin : un vidéoprojecteur", (S("besoin", "un vidéoprojecteur"),)),
        ("besoins: des tablettes", (S("besoin", "des tablettes"),)),
        # French typography: (narrow) no-break space before the colon
        ("Fait\u00a0: la séquence 2", (S("fait", "la séquence 2"),)),
        ("Fait\u202f: la séquence 2", (S("fait", "la séquence 2"),)),
        # bullets
        ("- Fait : x", (S("fait", "x"),)),
        ("  - Fait : x", (S("fait", "x"),)),
        ("• Blocage : y", (S("blocage", "y"),)),
        ("* Besoin : z", (S("besoin", "z"),)),
        # a label with nothing after it
        ("Fait :", (S("fait", ""),)),
        # only the first colon ends the label
        ("Fait : séance 1 : débat", (S("fait", "séance 1 : débat"),)),
        # text whose folded form has another length keeps every character
        ("Fait : les œuvres et les cœurs", (S("fait", "les œuvres et les cœurs"),)),
        ("Blocage : pas de salle 🚧🚧🚧", (S("blocage", "pas de salle 🚧🚧🚧"),)),
        ("Besoin : « un vidéoprojecteur »…", (S("besoin", "« un vidéoprojecteur »…"),)),
        ("À faire : écrire l’œuvre…", (S("a_faire", "écrire l’œuvre…"),)),
        # continuation lines join the section above; blank lines are dropped
        (
            "Fait : séquence 2\nterminée en classe\n\n  avec les 2nde\nBesoin : salle info",
            (S("fait", "séquence 2\nterminée en classe\navec les 2nde"),
             S("besoin", "salle info")),
        ),
        # all four, in the order written
        (
            "Besoin : a\nBlocage : b\nÀ faire : c\nFait : d",
            (S("besoin", "a"), S("blocage", "b"), S("a_faire", "c"), S("fait", "d")),
        ),
        # text before the first label is not a section
        ("Bonjour à tous,\nvoici le point.\nFait : x\nsuite", (S("fait", "x\nsuite"),)),
        # no label at all
        ("On a fini la séquence 2.", ()),
        ("", ()),
        # words that merely contain or precede a label are not labels
        ("Au fait : rien", ()),
        ("Faites : rien", ()),
        ("Le besoin : rien", ()),
        ("Fait - rien", ()),
    ],
)
def test_parse_sections(text: str, expected: tuple[Section, ...]) -> None:
    assert parse_sections(text) == expected


@pytest.mark.parametrize(
    ("text", "blocker"),
    [
        ("Fait : x", False),
        ("À faire : x\nFait : y", False),
        ("Blocage : x", True),
        ("blocages: x", True),
        ("Besoin : x", True),
        ("Fait : x\n- Besoin : y", True),
        ("pas de blocage ici", False),
        ("Le blocage : rien", False),
    ],
)
def test_has_blocker(text: str, blocker: bool) -> None:
    now = datetime(2025, 12, 1, 8, tzinfo=UTC)
    assert _update(1, text, now).has_blocker is blocker


# --------------------------------------------------------------------------- check_update_text


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_check_update_text_empty(text: str) -> None:
    with pytest.raises(UpdateTextError, match="vide"):
        check_update_text(text, "!")


def test_check_update_text_at_the_limit_is_kept_stripped() -> None:
    text = "é" * MAX_TEXT_CHARS
    assert MAX_TEXT_CHARS == 4000
    assert check_update_text(text, "!") == text
    assert check_update_text(f"  \n{text}\n  ", "!") == text


def test_check_update_text_over_the_limit() -> None:
    with pytest.raises(UpdateTextError) as exc:
        check_update_text("x" * 4001, "!")
    msg = str(exc.value)
    assert "4 000 caractères au maximum" in msg
    assert "4 001 caractères" in msg
    assert "Rien n’a été enregistré" in msg
    assert "!point" in msg


def test_check_update_text_uses_the_prefix() -> None:
    with pytest.raises(UpdateTextError, match=r"\?point"):
        check_update_text("x" * 4001, "?")


# --------------------------------------------------------------------------- split_dm_point


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("nsi : on a fini la séquence 2", ("nsi", "on a fini la séquence 2")),
        ("nsi: on a fini", ("nsi", "on a fini")),
        ("  lettres ia  :  Fait : séance 1  ", ("lettres ia", "Fait : séance 1")),
        ("besancon-nsi-egalite : a\nb", ("besancon-nsi-egalite", "a\nb")),
        ("nsi on a fini", None),
        ("nsi :", None),
        ("nsi :   ", None),
        (": texte", None),
        ("", None),
    ],
)
def test_split_dm_point(args: str, expected: tuple[str, str] | None) -> None:
    assert split_dm_point(args) == expected


# --------------------------------------------------------------------------- point_text


@pytest.mark.parametrize(
    ("body", "in_dm", "expected"),
    [
        ("!point On a fini la séquence 2", False, "On a fini la séquence 2"),
        ("  !point   On a fini  ", False, "On a fini"),
        ("!point Fait : a\nBesoin : b", False, "Fait : a\nBesoin : b"),
        ("!point\nFait : a", False, "Fait : a"),
        ("!update On a fini", False, "On a fini"),
        ("!Point On a fini", False, "On a fini"),
        ("!POINT On a fini", False, "On a fini"),
        ("!UpDate On a fini", False, "On a fini"),
        ("!point", False, ""),
        # the project part is dropped in a direct chat
        ("!point nsi : On a fini", True, "On a fini"),
        ("!update lettres ia : Fait : séance 1", True, "Fait : séance 1"),
        ("!point nsi On a fini", True, "nsi On a fini"),
        # in a room, a colon is part of the text
        ("!point nsi : On a fini", False, "nsi : On a fini"),
        # an edit that dropped the command keeps the whole body
        ("On a fini la séquence 3", False, "On a fini la séquence 3"),
        ("  On a fini la séquence 3\n", True, "On a fini la séquence 3"),
        # another command that merely starts like ours is not ours
        ("!pointage demain", False, "!pointage demain"),
        ("point On a fini", False, "point On a fini"),
    ],
)
def test_point_text(body: str, in_dm: bool, expected: str) -> None:
    assert point_text(body, "!", POINT_NAMES, in_dm) == expected


def test_point_text_other_prefix() -> None:
    assert point_text("?point x", "?", POINT_NAMES, False) == "x"
    assert point_text("!point x", "?", POINT_NAMES, False) == "!point x"


# --------------------------------------------------------------------------- parse_bilan_args


def _paris_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("args", "query", "since"),
    [
        ("", "", None),
        ("   ", "", None),
        ("nsi", "nsi", None),
        ("lettres besançon", "lettres besançon", None),
        ("depuis 01/12/2025", "", _paris_midnight(2025, 12, 1)),
        ("depuis 1/12/2025", "", _paris_midnight(2025, 12, 1)),
        ("nsi depuis 1/12/2025", "nsi", _paris_midnight(2025, 12, 1)),
        ("depuis le 01/12/2025", "", _paris_midnight(2025, 12, 1)),
        ("nsi depuis le 01/12/2025  ", "nsi", _paris_midnight(2025, 12, 1)),
        ("Depuis 01/12/2025", "", _paris_midnight(2025, 12, 1)),
        ("NSI DEPUIS LE 01/12/2025", "NSI", _paris_midnight(2025, 12, 1)),
        # summer time: midnight in Paris is 22:00 UTC the day before
        ("depuis 15/06/2026", "", _paris_midnight(2026, 6, 15)),
        ("depuis 29/02/2028", "", _paris_midnight(2028, 2, 29)),
    ],
)
def test_parse_bilan_args(args: str, query: str, since: datetime | None) -> None:
    parsed = parse_bilan_args(args, PARIS)
    assert parsed == BilanArgs(query, since)
    if since is not None:
        assert parsed.since is not None
        assert parsed.since.tzinfo is not None
        local = parsed.since.astimezone(PARIS)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)


def test_parse_bilan_args_utc_offsets() -> None:
    winter = parse_bilan_args("depuis 01/12/2025", PARIS).since
    summer = parse_bilan_args("depuis 15/06/2026", PARIS).since
    assert winter is not None and summer is not None
    assert winter.astimezone(UTC) == datetime(2025, 11, 30, 23, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2026, 6, 14, 22, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ("depuis 31/02/2026", "Date impossible : 31/02/2026"),
        ("depuis 29/02/2026", "Date impossible"),
        ("depuis 01/13/2025", "Date impossible"),
        ("depuis 00/12/2025", "Date impossible"),
        ("depuis hier", "Date illisible"),
        ("nsi depuis", "Date illisible"),
        ("depuis 2025-12-01", "Date illisible"),
        ("depuis 01/12/25", "Date illisible"),
    ],
)
def test_parse_bilan_args_errors(args: str, fragment: str) -> None:
    with pytest.raises(UpdateTextError) as exc:
        parse_bilan_args(args, PARIS)
    assert fragment in str(exc.value)
    assert "Exemple : depuis 01/12/2025" in str(exc.value)


# ------------------------------------------------------------ bilan_doc / update_block

NSI = Project(id="besancon-nsi-egalite", academie="Besançon", discipline="NSI",
              theme="L’égalité filles garçons", phase="Année 1", year="2025-2026")
EPS = Project(id="dijon-eps-explicite", academie="Dijon", discipline="EPS",
              theme="Rendre les apprentissages plus explicites avec les outils numériques",
              phase="Année 1", year="2025-2026")


def test_update_block_plain() -> None:
    u = _update(3, "On a fini la séquence 2.", datetime(2025, 12, 1, 8, 30, tzinfo=UTC),
                author_name="Alice Martin")
    doc = update_block(Doc(), u, PARIS)
    assert doc.plain() == (
        "• n° 3 — Alice Martin — lundi 1er décembre 2025\n"
        "  On a fini la séquence 2."
    )
    assert doc.html() == (
        "<ul><li><strong>n° 3</strong> — Alice Martin — lundi 1er décembre 2025</li></ul>"
        "<blockquote>On a fini la séquence 2.</blockquote>"
    )


def test_update_block_date_is_local() -> None:
    # 23:30 UTC on Sunday 30 November is already Monday 1 December in Paris
    u = _update(1, "x", datetime(2025, 11, 30, 23, 30, tzinfo=UTC))
    assert "lundi 1er décembre 2025" in update_block(Doc(), u, PARIS).plain()


def test_update_block_edited_and_blockers() -> None:
    text = "Fait : séquence 2\nBlocage : pas de salle\nBesoin : des tablettes"
    u = _update(2, text, datetime(2025, 12, 2, 9, tzinfo=UTC),
                edited_at=datetime(2025, 12, 3, 9, tzinfo=UTC))
    doc = update_block(Doc(), u, PARIS)
    plain, html = doc.plain(), doc.html()
    assert "n° 2 — Alice Martin — mardi 2 décembre 2025 (modifiée)" in plain
    assert "⚠️ Blocage : pas de salle" in plain
    assert "⚠️ Besoin : des tablettes" in plain
    # blockers are highlighted in place, never repeated
    assert plain.count("pas de salle") == 1
    assert "<blockquote>Fait : séquence 2<br><strong>⚠️ Blocage : pas de salle</strong><br>" \
        "<strong>⚠️ Besoin : des tablettes</strong></blockquote>" in html


def test_update_block_not_edited_has_no_mark() -> None:
    u = _update(1, "Fait : x", datetime(2025, 12, 2, 9, tzinfo=UTC))
    assert "modifiée" not in update_block(Doc(), u, PARIS).plain()
    assert "⚠️" not in update_block(Doc(), u, PARIS).plain()


def test_update_block_escapes_user_text() -> None:
    text = "<script>alert(1)</script> @room\nBlocage : <b>gras</b> & @room"
    u = _update(1, text, datetime(2025, 12, 1, 8, tzinfo=UTC),
                author_name="<img src=x onerror=alert(1)> @room")
    doc = update_block(Doc(), u, PARIS)
    html, plain = doc.html(), doc.plain()
    assert "<script" not in html
    assert "<img" not in html
    assert "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;gras&lt;/b&gt; &amp;" in html
    for rendered in (html, plain):
        assert "@room" not in rendered
        assert f"@{ZWSP}room" in rendered


def test_update_block_shorten() -> None:
    u = _update(1, "mot " * 200, datetime(2025, 12, 1, 8, tzinfo=UTC))
    plain = update_block(Doc(), u, PARIS, shorten_to=50).plain()
    quote = plain.splitlines()[-1]
    assert quote.endswith("…")
    assert len(quote.strip()) <= 51


def test_bilan_doc_newest_first_with_authors() -> None:
    d1 = datetime(2025, 12, 1, 8, tzinfo=UTC)
    updates = [
        _update(1, "premier", d1, author_name="Alice Martin"),
        _update(3, "troisième", d1 + timedelta(days=9), author_name="Chloé Durand"),
        _update(2, "deuxième", d1 + timedelta(days=2), author_name="Bruno Petit"),
    ]
    doc = bilan_doc([(NSI, updates), (EPS, [])], None, PARIS)
    plain = doc.plain()
    lines = plain.splitlines()
    assert lines[0] == "Bilan des TraAM depuis le début — 3 mises à jour"
    assert lines[1] == "NSI (académie de Besançon) — 3 mises à jour"
    assert lines[2] == "• n° 3 — Chloé Durand — mercredi 10 décembre 2025"
    assert lines[3] == "  troisième"
    assert lines[4] == "• n° 2 — Bruno Petit — mercredi 3 décembre 2025"
    assert lines[6] == "• n° 1 — Alice Martin — lundi 1er décembre 2025"
    assert lines[8] == "EPS (académie de Dijon) — 0 mise à jour"
    assert lines[9] == "Aucune mise à jour sur la période."
    assert len(lines) == 10
    html = doc.html()
    assert html.startswith("<p><strong>Bilan des TraAM depuis le début</strong>")
    assert "<p><em>Aucune mise à jour sur la période.</em></p>" in html
    assert html.index("troisième") < html.index("deuxième") < html.index("premier")


def test_bilan_doc_since_and_singular() -> None:
    since = datetime(2025, 12, 1, tzinfo=PARIS)
    u = _update(1, "x", datetime(2025, 12, 5, 8, tzinfo=UTC))
    plain = bilan_doc([(NSI, [u])], since, PARIS).plain()
    assert plain.splitlines()[0] == \
        "Bilan des TraAM depuis le lundi 1er décembre 2025 — 1 mise à jour"
    assert plain.splitlines()[1] == "NSI (académie de Besançon) — 1 mise à jour"
    assert "vendredi 5 décembre 2025" in plain


def test_bilan_doc_blocker_and_hostile_text() -> None:
    u = _update(1, "Blocage : <script>alert(1)</script> @room",
                datetime(2025, 12, 1, 8, tzinfo=UTC), author_name="Ève <i>")
    doc = bilan_doc([(NSI, [u])], None, PARIS)
    html = doc.html()
    assert "<strong>⚠️ Blocage : &lt;script&gt;alert(1)&lt;/script&gt; " \
        f"@{ZWSP}room</strong>" in html
    assert "<script" not in html
    assert "<i>" not in html
    assert "Ève &lt;i&gt;" in html
    assert "@room" not in doc.plain()


def test_huge_bilan_splits_in_order_under_the_limit() -> None:
    start = datetime(2025, 9, 1, 6, tzinfo=UTC)
    body = ("Fait : séance « débat » <b>&</b> " * 100)[:2995]
    per_project: list[tuple[Project, list[Update]]] = []
    lettres = replace(NSI, id="besancon-lettres-ia", discipline="Lettres")
    for k, project in enumerate((NSI, EPS, lettres)):
        updates = [
            _update(n, f"{n:04d} {body}"[:3000], start + timedelta(hours=n * 3 + k),
                    project_id=project.id)
            for n in range(1, 101)
        ]
        per_project.append((project, updates))
    assert sum(len(u) for _p, u in per_project) == 300
    assert all(len(u.text) == 3000 for _p, us in per_project for u in us)

    doc = bilan_doc(per_project, None, PARIS)
    reply = doc.reply()
    messages = reply.messages()
    assert len(messages) > 10
    for m in messages:
        assert len(m.plain.encode()) + len(m.html.encode()) <= MAX_MESSAGE_BYTES
        assert m.plain and m.html
        assert "<b>" not in m.html
    assert messages[0].plain.startswith("Bilan des TraAM depuis le début — 300 mises à jour")
    # nothing lost, nothing reordered
    assert "\n".join(m.plain for m in messages) == doc.plain()
    numbers = [int(x) for m in messages for x in re.findall(r"^• n° (\d+) — ", m.plain, re.M)]
    assert numbers == list(range(100, 0, -1)) * 3
    quoted = [int(x) for m in messages for x in re.findall(r"^  (\d{4}) Fait", m.plain, re.M)]
    assert quoted == numbers
