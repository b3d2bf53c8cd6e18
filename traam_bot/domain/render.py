"""Builds a message as plain text and HTML at once, escaping user text in one place."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

from traam_bot.domain.model import Reply
from traam_bot.domain.typography import typeset_reply

# Matrix caps an event at 65,536 bytes. A message is measured as the JSON of its content
# with every non-ASCII character escaped ("\u00e9": what nio encrypts, and never less than
# the UTF-8 Synapse counts in clear), keys and relations included. Encryption turns that
# into base64 (x 4/3) plus a few hundred bytes: 30,000 leaves room for both.
MAX_MESSAGE_BYTES = 30_000
# msgtype, format, mentions and a reply-in-thread relation naming two event ids (255 bytes
# at most each): what a message's content holds besides its two bodies
CONTENT_OVERHEAD = 1024
# tags and separators around one block ("<blockquote>…</blockquote>", "</ul>", "\n• ")
_BLOCK_OVERHEAD = 32

_ZWSP = "\u200b"


_ROOM_PING = re.compile(r"@(room)", re.IGNORECASE)


def neutralise(text: str) -> str:
    """Defuse whole-room pings: "@room" (any case) is shown but never notifies anyone."""
    return _ROOM_PING.sub("@" + _ZWSP + r"\1", text)


def esc(text: str) -> str:
    return html.escape(neutralise(text), quote=True)


@dataclass(frozen=True, slots=True)
class B:
    """Bold segment."""

    text: str


@dataclass(frozen=True, slots=True)
class I:  # noqa: E742 - mirrors the HTML tag
    """Italic segment."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    text: str


Segment = str | B | I | Code


def _plain(seg: Segment) -> str:
    if isinstance(seg, str):
        return neutralise(seg)
    return neutralise(seg.text)


def _html(seg: Segment) -> str:
    if isinstance(seg, str):
        return esc(seg)
    tag = {B: "strong", I: "em", Code: "code"}[type(seg)]
    return f"<{tag}>{esc(seg.text)}</{tag}>"


def _join(segs: tuple[Segment, ...]) -> tuple[str, str]:
    return "".join(_plain(s) for s in segs), "".join(_html(s) for s in segs)


class Doc:
    """A message made of blocks: paragraphs, bullet lists and quotes.

    Every str segment is user-safe: it is escaped for HTML and its "@room" defused.
    """

    def __init__(self) -> None:
        # each block: (plain, html, kind) with kind "p" | "li" | "quote"
        self._blocks: list[tuple[str, str, str]] = []

    def __bool__(self) -> bool:
        return bool(self._blocks)

    def para(self, *segs: Segment) -> Doc:
        p, h = _join(segs)
        self._blocks.append((p, h, "p"))
        return self

    def item(self, *segs: Segment) -> Doc:
        p, h = _join(segs)
        self._blocks.append((p, h, "li"))
        return self

    def quote(self, text: str, strong: Callable[[str], bool] | None = None) -> Doc:
        """A multi-line block of user text (an update), kept with its line breaks.

        Lines for which `strong(line)` holds are highlighted: ⚠️, and bold in HTML.
        """
        lines = text.splitlines() or [""]
        marked = [bool(strong and strong(line)) for line in lines]
        plain = "\n".join(("  ⚠️ " if m else "  ") + neutralise(line)
                          for line, m in zip(lines, marked, strict=True))
        htm = "<br>".join(f"<strong>⚠️ {esc(line)}</strong>" if m else esc(line)
                          for line, m in zip(lines, marked, strict=True))
        self._blocks.append((plain, htm, "quote"))
        return self

    def extend(self, other: Doc) -> Doc:
        self._blocks.extend(other._blocks)
        return self

    def plain(self) -> str:
        out = []
        for p, _h, kind in self._blocks:
            out.append("• " + p if kind == "li" else p)
        return "\n".join(out)

    def html(self) -> str:
        out: list[str] = []
        in_list = False
        for _p, h, kind in self._blocks:
            if kind == "li" and not in_list:
                out.append("<ul>")
                in_list = True
            elif kind != "li" and in_list:
                out.append("</ul>")
                in_list = False
            if kind == "li":
                out.append(f"<li>{h}</li>")
            elif kind == "quote":
                out.append(f"<blockquote>{h}</blockquote>")
            else:
                out.append(f"<p>{h}</p>")
        if in_list:
            out.append("</ul>")
        return "".join(out)

    def reply(self, reaction: str | None = None, limit: int = MAX_MESSAGE_BYTES) -> Reply:
        """Render, starting a new message between blocks before a message's content (see
        `content_size`) would pass `limit` bytes; a block too large for one message on its
        own is cut into several, as plain text (its bold or code marks are dropped)."""
        chunks = self._split(limit)
        first, rest = chunks[0], chunks[1:]
        return Reply(
            plain=first.plain(),
            html=first.html(),
            reaction=reaction,
            extra=tuple(Reply(plain=c.plain(), html=c.html()) for c in rest),
        )

    def _split(self, limit: int) -> list[Doc]:
        budget = limit - CONTENT_OVERHEAD
        chunks: list[Doc] = []
        current = Doc()
        size = 0
        for block in self._blocks:
            p, h, kind = block
            cost = json_size(p) + json_size(h) + _BLOCK_OVERHEAD
            parts = [(block, cost)]
            if cost > budget:
                parts = [((piece, plain_html(piece), kind if i == 0 or kind == "quote" else "p"),
                          _text_cost(piece) + 4 + _BLOCK_OVERHEAD)
                         for i, piece in enumerate(cut_text(p, budget - 4 - _BLOCK_OVERHEAD))]
            for part, part_cost in parts:
                if current and size + part_cost > budget:
                    chunks.append(current)
                    current, size = Doc(), 0
                current._blocks.append(part)
                size += part_cost
        chunks.append(current)
        return chunks


def json_size(text: str) -> int:
    """Bytes of `text` as a JSON string, its quotes included, non-ASCII escaped."""
    return len(encode_basestring_ascii(text))


def content_size(plain: str, html_body: str) -> int:
    """An upper bound of the bytes of a message's event content (both bodies and the rest)."""
    return json_size(plain) + json_size(html_body) + CONTENT_OVERHEAD


def plain_html(text: str) -> str:
    """HTML showing plain `text` as it is, line breaks included."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def _text_cost(text: str) -> int:
    """What `text` adds to the JSON of a body and of its `plain_html`, quotes left out."""
    return json_size(text) + json_size(plain_html(text)) - 4


def cut_text(text: str, budget: int) -> list[str]:
    """`text` in consecutive pieces, each costing at most `budget` (`_text_cost`), cut
    after a space or a line break in the second half of a piece when there is one. Joined,
    the pieces give `text` back."""
    pieces: list[str] = []
    start = 0
    while start < len(text):
        # the longest piece that fits, by bisection (a character costs 2 bytes or more)
        low, high = start + 1, min(len(text), start + max(budget // 2, 1))
        while low < high:
            middle = (low + high + 1) // 2
            if _text_cost(text[start:middle]) <= budget:
                low = middle
            else:
                high = middle - 1
        end = low
        space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        if end < len(text) and space >= start + (end - start) // 2:
            end = space + 1
        pieces.append(text[start:end])
        start = end
    return pieces


def bounded(messages: Sequence[Reply], limit: int = MAX_MESSAGE_BYTES) -> list[Reply]:
    """The messages to send, each within `limit` (see `content_size`): a message that is
    too large (built without `Doc`) is cut into several, as plain text. The outbox's
    last guard: nothing it sends can be refused for its size."""
    out: list[Reply] = []
    for message in messages:
        if content_size(message.plain, message.html) <= limit:
            out.append(message)
            continue
        for piece in cut_text(message.plain, limit - CONTENT_OVERHEAD - 4):
            out.append(Reply(plain=piece, html=plain_html(piece)))
    return out


def sendable(reply: Reply, limit: int = MAX_MESSAGE_BYTES) -> list[Reply]:
    """The messages that leave for `reply`: each typeset (domain.typography), then each
    within `limit` (`bounded`). The outbox writes nothing else, so no message escapes the
    typography, whichever command or job built it."""
    return bounded([typeset_reply(m) for m in reply.messages()], limit)


def text_reply(*segs: Segment, reaction: str | None = None) -> Reply:
    """A one-paragraph reply."""
    return Doc().para(*segs).reply(reaction=reaction)
