"""Properties of the text the bot reads and writes, over thousands of random and hostile
inputs: the question classifier, the update parsers (sections, `!point`, `!bilan`), and
the renderer, whose every message fits in a Matrix event whatever the text."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.unit.conftest import SEED_CONTACTS, SEED_PROJECTS
from tests.unit.strategies import french_or_hostile, hostile_text, sized
from traam_bot.domain.limits import MAX_TEXT_CHARS, MAX_YEAR, MIN_YEAR
from traam_bot.domain.model import SECTION_LABELS, Reply
from traam_bot.domain.programme import ACADEMIES, DISCIPLINES, EDUBASE, FIGURES, MAGISTERE, PILOT
from traam_bot.domain.questions import (
    ABOUT,
    CONTACTS,
    GREETINGS,
    PRIVACY,
    PROGRAMME,
    PROJECTS,
    THANKS,
    UNKNOWN,
    classify,
)
from traam_bot.domain.render import (
    CONTENT_OVERHEAD,
    MAX_MESSAGE_BYTES,
    B,
    Code,
    Doc,
    I,
    bounded,
    content_size,
)
from traam_bot.domain.search import ProjectIndex, match_contacts
from traam_bot.domain.updates import (
    POINT_NAMES,
    UpdateTextError,
    check_update_text,
    is_blocker_line,
    parse_bilan_args,
    parse_sections,
    point_text,
    split_dm_point,
)

# unidecode warns about the lone surrogates fed on purpose (the bot replaces them first)
pytestmark = pytest.mark.filterwarnings("ignore:Surrogate character:RuntimeWarning")

PARIS = ZoneInfo("Europe/Paris")
INDEX = ProjectIndex(SEED_PROJECTS)
QUESTION_WORDS = [
    "quels", "sont", "les", "projets", "projet", "de", "l’académie", "Dijon", "Besançon",
    "besancon", "NSI", "nsi", "qui", "est", "la", "référente", "referante", "contacter",
    "TraAM", "traams", "c’est", "quoi", "travaux", "académiques", "mutualisés", "égalité",
    "filles", "garçons", "IA", "EPS", "en", "et", "?", "2025-2026", "Julie", "MARCHALAND",
    "mail", "adresse", "lettres", "arts plastiques", "technologie", "@traam-bot:localhost",
    "liste", "thème", "quelles", "équipes", "animation", "DRANE",
]
UPDATE_WORDS = [
    "Fait", "fait", "FAIT", "À faire", "a faire", "A FAIRE", "Blocage", "blocages", "Besoin",
    "besoins", ":", " : ", "\n", "\n- ", "\n• ", "\n* ", "séance", "élèves", "œuvre", "…",
    "depuis", "depuis le", "01/12/2025", "nsi", "point", "!point", "!update", "!POINT",
]


def assert_french(message: str) -> None:
    assert message.strip() and message == message.strip()
    assert len(message) < 600, message


# ------------------------------------------------------------------ questions


@sized(600)
@given(text=french_or_hostile(QUESTION_WORDS))
@example(text="\u202equi est la référente ?\u202c")
@example(text="@room @traam-bot:localhost projets ?")
@example(text="p\u200br\u200bo\u200bj\u200be\u200bt\u200bs")
def test_classify_never_raises_and_answers_something_usable(text: str) -> None:
    intent = classify(text, INDEX, SEED_CONTACTS)
    assert intent.kind in (PROJECTS, CONTACTS, ABOUT, PROGRAMME, PRIVACY, GREETINGS, THANKS,
                           UNKNOWN)
    assert intent.kind == PROGRAMME or not intent.topic
    if intent.kind == PROGRAMME:
        assert intent.topic in (PILOT, FIGURES, EDUBASE, MAGISTERE, DISCIPLINES, ACADEMIES)
    if intent.kind == PROJECTS:
        INDEX.match_any_of(list(intent.filters))
    if intent.kind == CONTACTS:
        match_contacts(SEED_CONTACTS, list(intent.filters))
    assert all(f and f == f.lower() for f in intent.filters)


# ------------------------------------------------------------------ updates


@sized(700)
@given(text=french_or_hostile(UPDATE_WORDS))
@example(text="Fait : œuvre\nÀ faire : ﬁn\n• Blocage : ¼")
@example(text="\u202eBlocage : rien\u202c")
def test_sections_never_raise_and_come_from_the_text(text: str) -> None:
    sections = parse_sections(text)
    for section in sections:
        assert section.kind in SECTION_LABELS
        for line in section.text.splitlines():
            assert line in text
    for line in text.splitlines():
        is_blocker_line(line)


@sized(150)
@given(text=french_or_hostile(UPDATE_WORDS), prefix=st.sampled_from(["!", "?", "traam!"]))
def test_update_text_is_stored_or_refused_in_french(text: str, prefix: str) -> None:
    try:
        kept = check_update_text(text, prefix)
    except UpdateTextError as err:
        assert_french(str(err))
        return
    assert kept and kept == kept.strip() and len(kept) <= MAX_TEXT_CHARS


@sized(50)
@given(text=st.integers(MAX_TEXT_CHARS - 2, MAX_TEXT_CHARS + 2).map(lambda n: "é" * n))
def test_update_text_bound_is_exact(text: str) -> None:
    try:
        check_update_text(text, "!")
    except UpdateTextError as err:
        assert len(text) > MAX_TEXT_CHARS
        assert "4 000 caractères au maximum" in str(err)
    else:
        assert len(text) <= MAX_TEXT_CHARS


@sized(150)
@given(body=french_or_hostile(UPDATE_WORDS), in_dm=st.booleans())
def test_point_text_and_dm_split_never_raise(body: str, in_dm: bool) -> None:
    point_text(body, "!", POINT_NAMES, in_dm)
    parts = split_dm_point(body)
    if parts is not None:
        assert all(p and p == p.strip() for p in parts)


@sized(200)
@given(args=french_or_hostile(UPDATE_WORDS),
       date=st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 9999)))
@example(args="nsi", date=(1, 1, 1))
@example(args="", date=(31, 12, 9999))
@example(args="", date=(29, 2, 2100))
def test_bilan_args_are_parsed_or_refused_in_french(args: str, date: tuple[int, int, int]) -> None:
    day, month, year = date
    for text in (args, f"{args} depuis {day:02d}/{month:02d}/{year:04d}"):
        try:
            parsed = parse_bilan_args(text, PARIS)
        except UpdateTextError as err:
            assert_french(str(err))
            assert "Exemple : depuis 01/12/2025" in str(err)
            continue
        if parsed.since is not None:
            assert MIN_YEAR <= parsed.since.year <= MAX_YEAR


# ------------------------------------------------------------------ rendering

_TEXT = hostile_text(huge=False)
_SEGMENT = st.one_of(_TEXT, _TEXT.map(B), _TEXT.map(I), _TEXT.map(Code))
_BLOCK = st.tuples(st.sampled_from(["para", "item", "quote"]), st.lists(_SEGMENT, max_size=3),
                   st.sampled_from([1, 2, 5, 40, 300]))


def _build(blocks: list[tuple[str, list, int]]) -> Doc:
    doc = Doc()
    for kind, segments, repeat in blocks:
        if kind == "quote":
            doc.quote("".join(s if isinstance(s, str) else s.text for s in segments) * repeat)
        else:
            getattr(doc, kind)(*(segments * repeat))
    return doc


def _event_bytes(message: Reply) -> int:
    content = {"msgtype": "m.notice", "body": message.plain, "format": "org.matrix.custom.html",
               "formatted_body": message.html, "m.mentions": {},
               "m.relates_to": {"m.in_reply_to": {"event_id": "$" + "e" * 254},
                                "rel_type": "m.thread", "event_id": "$" + "t" * 254,
                                "is_falling_back": False}}
    return len(json.dumps(content, separators=(",", ":")).encode())


@sized(100)
@given(blocks=st.lists(_BLOCK, max_size=5), extra=st.integers(200, 20_000))
def test_every_rendered_message_fits_its_limit(blocks: list[tuple[str, list, int]],
                                               extra: int) -> None:
    limit = CONTENT_OVERHEAD + extra
    doc = _build(blocks)
    reply = doc.reply(limit=limit)
    for message in reply.messages():
        assert content_size(message.plain, message.html) <= limit
        assert _event_bytes(message) <= limit
    # nothing is lost: blocks cut or not, the text of every block is there, in order
    joined = "".join(m.plain for m in reply.messages()).replace("\n", "").replace("• ", "")
    assert joined.replace(" ", "") == doc.plain().replace("\n", "").replace("• ", "").replace(
        " ", "")


@sized(100)
@given(plain=_TEXT, html=_TEXT, repeat=st.sampled_from([1, 3, 100, 1000, 3000]),
       extra=st.integers(24, 5000))
@example(plain="😀", html="", repeat=8000, extra=0)
@example(plain="É😀", html="", repeat=1, extra=24)  # one character at the smallest budget
def test_bounded_cuts_any_message_and_loses_nothing(plain: str, html: str, repeat: int,
                                                    extra: int) -> None:
    message = Reply(plain=plain * repeat, html=html * repeat)
    # a piece's budget is never below the 24 bytes of the costliest character (😀 in JSON,
    # in both bodies)
    limit = MAX_MESSAGE_BYTES if extra == 0 else CONTENT_OVERHEAD + 4 + extra
    parts = bounded([message], limit)
    for part in parts:
        assert content_size(part.plain, part.html) <= limit
    if content_size(message.plain, message.html) <= limit:
        assert parts == [message]
    else:
        assert "".join(p.plain for p in parts) == message.plain
