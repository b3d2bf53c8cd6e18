"""Builds a message as plain text and HTML at once, escaping user text in one place."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

from traam_bot.domain.model import Reply

# Matrix caps an event at 64 KiB; encryption inflates it, so stay well below.
MAX_MESSAGE_BYTES = 30_000

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
        """Render, starting a new message between blocks before the plain and HTML bodies
        together pass `limit` bytes (a single larger block still goes out whole)."""
        chunks = self._split(limit)
        first, rest = chunks[0], chunks[1:]
        return Reply(
            plain=first.plain(),
            html=first.html(),
            reaction=reaction,
            extra=tuple(Reply(plain=c.plain(), html=c.html()) for c in rest),
        )

    def _split(self, limit: int) -> list[Doc]:
        chunks: list[Doc] = []
        current = Doc()
        size = 0
        for block in self._blocks:
            p, h, _k = block
            # body + formatted_body both travel in the event, plus JSON escaping slack
            cost = len(p.encode()) + len(h.encode()) + 64
            if current and size + cost > limit:
                chunks.append(current)
                current, size = Doc(), 0
            current._blocks.append(block)
            size += cost
        chunks.append(current)
        return chunks


def text_reply(*segs: Segment, reaction: str | None = None) -> Reply:
    """A one-paragraph reply."""
    return Doc().para(*segs).reply(reaction=reaction)
