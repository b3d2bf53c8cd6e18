"""Hypothesis strategies shared by the property tests: French chat text, and the hostile
kind (invisible and right-to-left marks, huge numbers, nested quotes, markup, `@room`).

Texts are drawn as `st.text` over an alphabet in which private-use characters stand for
whole words and fragments, expanded afterwards: one cheap draw per text (a list of
`sampled_from` costs one draw per piece), and still shrunk piece by piece.
"""

from __future__ import annotations

from hypothesis import strategies as st

# Characters that look like nothing or reorder text, and a few that break naive code.
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u034f"]
BIDI = ["\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
        "\u2067", "\u2068", "\u2069", "\u061c"]
SPACES = [" ", "\t", "\n", "\r\n", "\u00a0", "\u202f", "\u2028", "\u2029", "\u3000", "\x0b",
          "\x0c", "\x85"]
ODD = ["\x00", "\x1b", "\ufffd", "\U0001f600", "\U0001f1eb\U0001f1f7", "e\u0301", "ǅ", "ß",
       "İ", "ﬁ", "œ", "Œ", "æ", "\U00010000", "\ud800", "\udfff", "٣", "²", "１", "Ⅻ", "⁹"]
FRAGMENTS = [
    "@room", "@ROOM", "@room:", "@traam-bot:localhost", "<b>", "</b>", "<script>", "&amp;",
    "&", "<", ">", '"', "'", "’", "«", "»", "« « »", '"""', "``", "\\", "${x}", "%s", "{0}",
    "!", "!!", "!projets", "?", ":", " : ", "::", "8:15", "/", "//", "-", "—", "…", "*", "•",
    "1er", "29/02", "99/99/9999", "01/01/0001", "31/12/9999", "1e309", "NaN", "∞", "١٢٣",
]
NUMBERS = ["0", "1", "7", "12", "13", "23", "24", "29", "30", "31", "32", "59", "60", "99",
           "999", "1999", "2000", "2099", "2100", "2101", "9999", "-1", str(10**9),
           str(10**9 - 1), str(10**40), "0" * 12 + "1", "9" * 5000]
_LETTERS = "abcdefghijklmnopqrstuvwxyzéèàçôûAZÉ0123456789 "
_PRIVATE = 0xE000


def _expanding(pieces: list[str], plain: str = _LETTERS) -> st.SearchStrategy[str]:
    """Text over `plain`'s characters and one private character per piece, expanded."""
    table = {_PRIVATE + i: piece for i, piece in enumerate(pieces)}
    alphabet = plain + "".join(chr(code) for code in table)
    return st.text(alphabet=alphabet, max_size=24).map(lambda text: text.translate(table))


HOSTILE = INVISIBLE + BIDI + SPACES + ODD + FRAGMENTS + NUMBERS
_SHORT_HOSTILE = [piece for piece in HOSTILE if len(piece) < 100]


def hostile_text(max_size: int = 80, huge: bool = True) -> st.SearchStrategy[str]:
    """Unicode text mixed with invisible, bidirectional and troublesome pieces (`huge`: a
    5,000-digit number among them)."""
    return st.one_of(_expanding(HOSTILE if huge else _SHORT_HOSTILE), st.text(max_size=max_size))


def phrase(vocabulary: list[str]) -> st.SearchStrategy[str]:
    """Words from `vocabulary`, numbers, hostile pieces and odd separators."""
    words = [f" {w} " for w in vocabulary] + vocabulary
    return _expanding(words + HOSTILE, plain=" ,/:h0123456789")


def french_or_hostile(vocabulary: list[str], max_size: int = 80) -> st.SearchStrategy[str]:
    return st.one_of(phrase(vocabulary), hostile_text(max_size))
