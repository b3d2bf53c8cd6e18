"""Hypothesis strategies shared by the property tests: French chat text, and the hostile
kind (invisible and right-to-left marks, huge numbers, nested quotes, markup, `@room`).

Texts are drawn as `st.text` over an alphabet in which private-use characters stand for
whole words and fragments, expanded afterwards: one cheap draw per text (a list of
`sampled_from` costs one draw per piece), and still shrunk piece by piece.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# TRAAM_PROPERTY_SCALE=10 multiplies every property's examples, for a deeper search than
# the unit suite's (sized to stay within seconds on a two-core machine).
SCALE = float(os.environ.get("TRAAM_PROPERTY_SCALE", "1"))


def sized(examples: int) -> settings:
    """A property's settings: `examples` random inputs (times TRAAM_PROPERTY_SCALE), and no
    deadline (a slow example on a busy machine is not a failure)."""
    return settings(max_examples=max(10, int(examples * SCALE)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

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
# a little of every script and kind of character: Latin, Greek, Cyrillic, Hebrew, Arabic,
# Devanagari, Thai, CJK, Hangul, combining marks, symbols, full-width forms, emoji, tags
_BLOCKS = [(0xA0, 0x24F, 7), (0x300, 0x36F, 9), (0x370, 0x4FF, 13), (0x590, 0x6FF, 11),
           (0x900, 0x97F, 17), (0xE00, 0xE5F, 13), (0x2000, 0x206F, 5), (0x2100, 0x23FF, 29),
           (0x3000, 0x30FF, 23), (0x4E00, 0x4EFF, 37), (0xAC00, 0xACFF, 41), (0xFB50, 0xFDFF, 61),
           (0xFE00, 0xFE0F, 3), (0xFF00, 0xFFEF, 19), (0x1D100, 0x1D1FF, 47),
           (0x1F300, 0x1FAFF, 31), (0xE0020, 0xE007F, 17)]
_UNICODE = "".join(chr(c) for low, high, step in _BLOCKS for c in range(low, high, step))
_PRIVATE = 0xF0000  # plane 15, kept for the pieces: none of the characters above


def _expanding(pieces: list[str], plain: str = _LETTERS) -> st.SearchStrategy[str]:
    """Text over `plain`'s characters and one private character per piece, expanded."""
    table = {_PRIVATE + i: piece for i, piece in enumerate(pieces)}
    alphabet = plain + "".join(chr(code) for code in table)
    return st.text(alphabet=alphabet, max_size=20).map(lambda text: text.translate(table))


HOSTILE = INVISIBLE + BIDI + SPACES + ODD + FRAGMENTS + NUMBERS
_SHORT_HOSTILE = [piece for piece in HOSTILE if len(piece) < 100]


def hostile_text(huge: bool = True) -> st.SearchStrategy[str]:
    """Unicode text mixed with invisible, bidirectional and troublesome pieces (`huge`: a
    5,000-digit number among them)."""
    return _expanding(HOSTILE if huge else _SHORT_HOSTILE, plain=_LETTERS + _UNICODE)


def phrase(vocabulary: list[str]) -> st.SearchStrategy[str]:
    """Words from `vocabulary`, numbers, hostile pieces and odd separators."""
    words = [f" {w} " for w in vocabulary] + vocabulary
    return _expanding(words + HOSTILE, plain=" ,/:h0123456789")


def french_or_hostile(vocabulary: list[str]) -> st.SearchStrategy[str]:
    """Words from `vocabulary` among any text and hostile pieces."""
    words = [f" {w} " for w in vocabulary] + vocabulary
    return _expanding(words * 3 + HOSTILE, plain=" ,/:h" + _LETTERS + _UNICODE)
