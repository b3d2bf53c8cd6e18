"""French typography of every message the bot sends, in one place (pure, no I/O).

`typeset` (plain text) and `typeset_html` (text nodes of a formatted body) apply the rules
a proofreader expects; `violations` lists what breaks them, for tests and the demo:

- a narrow no-break space (U+202F) before « ; ! ? » and inside « guillemets »;
- a no-break space (U+00A0) before « : »;
- one apostrophe, ’, inside words (« l’académie », never « l'académie »);
- « 1er » for the first of a month, the singular after 0 and 1, no « ) ( ».

What is machine-read is left alone: URLs, Matrix ids and room aliases (`@a:b`, `#x:y`,
`!r:s`), e-mail addresses, "straight-quoted" strings (a cron rule), `back-quoted` code,
HTML tags and the text of `<code>`/`<pre>` elements. A punctuation mark is only spaced
when it stands alone, preceded by a space and followed by a space, the end, or a closing
mark: « tapez !aide », « 14:30 » and « https://x?id=3 » do not change. Applying the
functions twice changes nothing more.
"""

from __future__ import annotations

import html
import re

from traam_bot.domain.model import Reply

NNBSP = "\u202f"  # espace fine insécable
NBSP = "\u00a0"  # espace insécable
APOSTROPHE = "’"

_PROTECTED = re.compile(
    r"https?://\S+"  # URLs
    r"|[@#!+][\w.=/-]+:[\w.-]+(?::\d+)?"  # Matrix ids, aliases, room ids
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail addresses
    r"|`[^`\n]*`"  # code
    r"|\"[^\"\n]*\""  # "straight-quoted" strings (cron rules, literals)
)
_LETTER = r"[^\W\d_]"
_APOSTROPHE = re.compile(rf"(?<={_LETTER})'(?={_LETTER})")
_AFTER = r"(?=[ \t\n\u00a0\u202f]|$|[»)\]’”.,;:!?…])"
_HIGH = re.compile(rf"[ \u00a0]([;!?]){_AFTER}")
_COLON = re.compile(rf" :{_AFTER}")
_OPEN_QUOTE = re.compile(r"«[ \u00a0]*(?=[^\s])")
_CLOSE_QUOTE = re.compile(r"(?<=[^\s])[ \u00a0]*»")

_MONTHS = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
           "novembre|décembre")
_FIRST_OF_MONTH = re.compile(rf"(?<![\d/.,])\b1 (?:{_MONTHS})\b")
# words ending in s that are singular too
_INVARIABLE = frozenset(
    """mois fois pas temps cas avis prix bus plus sans sous sens corps repas accès succès
    progrès près dès après très jours_ouvres""".split())
_AFTER_ONE = re.compile(r"(?<![\d,.\u202f\u00a0/:])\b[01] ([a-zàâçéèêëîïôûù]+s)\b")
_DOUBLED_PARENS = re.compile(r"\)\s*\(")
_UNACCENTED = re.compile(r"\b(?:desabonner|desinscrire|desabonne)\b")


def _free_parts(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (piece, is_protected) pieces."""
    parts: list[tuple[str, bool]] = []
    start = 0
    for found in _PROTECTED.finditer(text):
        if found.start() > start:
            parts.append((text[start:found.start()], False))
        parts.append((found.group(), True))
        start = found.end()
    if start < len(text):
        parts.append((text[start:], False))
    return parts


def _typeset_free(text: str) -> str:
    text = _APOSTROPHE.sub(APOSTROPHE, text)
    text = _HIGH.sub(NNBSP + r"\1", text)
    text = _COLON.sub(NBSP + ":", text)
    text = _OPEN_QUOTE.sub("«" + NNBSP, text)
    return _CLOSE_QUOTE.sub(NNBSP + "»", text)


def typeset(text: str) -> str:
    """Plain text with French typography (see the module's rules)."""
    if not text:
        return text
    return "".join(piece if protected else _typeset_free(piece)
                   for piece, protected in _free_parts(text))


def apostrophes(text: str) -> str:
    """Only the apostrophe rule: for the command line, whose output terminals and scripts
    read (no no-break spaces there)."""
    return "".join(piece if protected else _APOSTROPHE.sub(APOSTROPHE, piece)
                   for piece, protected in _free_parts(text))


_TAG = re.compile(r"(<[^>]*>)")
_RAW_ELEMENTS = ("code", "pre")


def typeset_html(body: str) -> str:
    """A formatted body with French typography in its text nodes only (tags, attributes
    and the text of <code> and <pre> elements are kept as they are)."""
    out: list[str] = []
    raw = 0
    for piece in _TAG.split(body):
        if piece.startswith("<") and piece.endswith(">"):
            name = piece.strip("</>").split()[0].lower() if piece.strip("</>") else ""
            if name in _RAW_ELEMENTS:
                raw += -1 if piece.startswith("</") else 1
                raw = max(raw, 0)
            out.append(piece)
        elif raw or not piece:
            out.append(piece)
        else:
            out.append(html.escape(typeset(html.unescape(piece)), quote=False))
    return "".join(out)


def typeset_reply(reply: Reply) -> Reply:
    """One message with both of its bodies typeset (follow-ups are not touched here:
    callers typeset each of `reply.messages()`)."""
    return Reply(plain=typeset(reply.plain), html=typeset_html(reply.html),
                 reaction=reply.reaction)


def violations(text: str) -> list[str]:
    """What breaks the rules in a plain-text message (empty when it reads right)."""
    found: list[str] = []
    free = " ".join(piece for piece, protected in _free_parts(text) if not protected)
    checks = (
        (_APOSTROPHE, "apostrophe droite"),
        (_HIGH, "espace ordinaire avant ; ! ?"),
        (_COLON, "espace ordinaire avant :"),
        (re.compile(r"«(?!\u202f)|(?<!\u202f)»"), "guillemets sans espace fine"),
        (_FIRST_OF_MONTH, "« 1 » au lieu de « 1er »"),
        (_DOUBLED_PARENS, "parenthèses doublées"),
        (_UNACCENTED, "accent manquant"),
    )
    for pattern, rule in checks:
        for match in pattern.finditer(free):
            found.append(f"{rule} : {_around(free, match.start(), match.end())}")
    for match in _AFTER_ONE.finditer(free):
        if match.group(1) not in _INVARIABLE:
            found.append(f"pluriel après 0 ou 1 : {_around(free, match.start(), match.end())}")
    return found


def _around(text: str, start: int, end: int) -> str:
    return repr(text[max(0, start - 20):end + 20])
