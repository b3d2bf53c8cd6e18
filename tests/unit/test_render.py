"""Plain + HTML rendering: user text escaped in every segment, "@room" defused, splitting."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from traam_bot.domain.model import Reply
from traam_bot.domain.render import (
    CONTENT_OVERHEAD,
    MAX_MESSAGE_BYTES,
    B,
    Code,
    Doc,
    I,
    Segment,
    content_size,
    esc,
    neutralise,
    text_reply,
)

HOSTILE = '<script>alert(1)</script><a href="javascript:x">'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&quot;javascript:x&quot;&gt;"
ZWSP = "\u200b"


def assert_no_raw_markup(html: str) -> None:
    assert "<script" not in html
    assert "<a " not in html
    assert 'href="' not in html


@pytest.mark.parametrize(
    ("segment", "open_tag", "close_tag"),
    [
        (HOSTILE, "", ""),
        (B(HOSTILE), "<strong>", "</strong>"),
        (I(HOSTILE), "<em>", "</em>"),
        (Code(HOSTILE), "<code>", "</code>"),
    ],
    ids=["str", "bold", "italic", "code"],
)
@pytest.mark.parametrize("block", ["para", "item"])
def test_every_segment_kind_is_escaped(
    segment: Segment, open_tag: str, close_tag: str, block: str
) -> None:
    doc = getattr(Doc(), block)("avant ", segment, " après")
    html = doc.html()
    assert f"avant {open_tag}{ESCAPED}{close_tag} après" in html
    assert_no_raw_markup(html)
    # plain text is not HTML: the user's text is shown as typed
    assert HOSTILE in doc.plain()


def test_quote_is_escaped_line_by_line() -> None:
    doc = Doc().quote(f"ligne 1 {HOSTILE}\n<b>gras</b> & co")
    assert doc.html() == (
        f"<blockquote>ligne 1 {ESCAPED}<br>&lt;b&gt;gras&lt;/b&gt; &amp; co</blockquote>"
    )
    assert doc.plain() == f"  ligne 1 {HOSTILE}\n  <b>gras</b> & co"
    assert_no_raw_markup(doc.html())


def test_empty_quote_is_one_empty_line() -> None:
    doc = Doc().quote("")
    assert doc.html() == "<blockquote></blockquote>"
    assert doc.plain() == "  "


@pytest.mark.parametrize(
    "build",
    [
        lambda t: Doc().para(t),
        lambda t: Doc().para(B(t)),
        lambda t: Doc().para(I(t)),
        lambda t: Doc().para(Code(t)),
        lambda t: Doc().item(t),
        lambda t: Doc().quote(t),
    ],
    ids=["str", "bold", "italic", "code", "item", "quote"],
)
def test_room_ping_is_defused_in_plain_and_html(build) -> None:
    doc = build("Alerte @room : réunion, écrivez à @room!")
    for rendered in (doc.plain(), doc.html()):
        assert "@room" not in rendered
        assert rendered.count(f"@{ZWSP}room") == 2


def test_neutralise_and_esc_helpers() -> None:
    assert neutralise("@room") == f"@{ZWSP}room"
    assert neutralise("@roomba reste intact sauf le préfixe") == (
        f"@{ZWSP}roomba reste intact sauf le préfixe"
    )
    assert neutralise("aucun ping ici") == "aucun ping ici"
    assert esc("a & b <c> \"d\" 'e'") == "a &amp; b &lt;c&gt; &quot;d&quot; &#x27;e&#x27;"


def test_paragraphs_lists_and_quotes_structure() -> None:
    doc = (
        Doc()
        .para("Titre ", B("gras"))
        .item("un")
        .item("deux ", Code("x"))
        .quote("cité\nsur deux lignes")
        .item("trois")
        .para("fin")
    )
    assert doc.html() == (
        "<p>Titre <strong>gras</strong></p>"
        "<ul><li>un</li><li>deux <code>x</code></li></ul>"
        "<blockquote>cité<br>sur deux lignes</blockquote>"
        "<ul><li>trois</li></ul>"
        "<p>fin</p>"
    )
    assert doc.plain() == (
        "Titre gras\n• un\n• deux x\n  cité\n  sur deux lignes\n• trois\nfin"
    )


def test_list_at_the_end_is_closed() -> None:
    assert Doc().item("a").html() == "<ul><li>a</li></ul>"


def test_extend_appends_blocks_in_order() -> None:
    doc = Doc().para("a").extend(Doc().item("b").quote("c"))
    assert doc.html() == "<p>a</p><ul><li>b</li></ul><blockquote>c</blockquote>"


def test_empty_doc_is_falsy() -> None:
    assert not Doc()
    assert Doc().para("x")


def test_text_reply_is_one_paragraph() -> None:
    reply = text_reply("Bonjour ", B("<Élise>"), reaction="✅")
    assert reply == Reply(plain="Bonjour <Élise>",
                          html="<p>Bonjour <strong>&lt;Élise&gt;</strong></p>", reaction="✅")
    assert reply.messages() == [reply]


def test_small_doc_is_a_single_message() -> None:
    reply = Doc().para("a").item("b").reply(reaction="✅")
    assert reply.extra == ()
    assert reply.reaction == "✅"
    assert reply.html == "<p>a</p><ul><li>b</li></ul>"


def _items(reply: Reply) -> list[str]:
    found: list[str] = []
    for message in reply.messages():
        found.extend(line.removeprefix("• ") for line in message.plain.split("\n"))
    return found


def test_long_doc_is_split_under_the_size_limit_in_order() -> None:
    items = [f"élément {i:05d} ".ljust(100, "x") for i in range(2000)]
    assert all(len(t) == 100 for t in items)
    doc = Doc()
    for text in items:
        doc.item(text)

    reply = doc.reply(reaction="✅")
    messages = reply.messages()

    assert len(messages) > 1
    assert reply.reaction == "✅"
    assert all(m.reaction is None for m in reply.extra)
    for m in messages:
        size = len(m.plain.encode()) + len(m.html.encode())
        assert size < MAX_MESSAGE_BYTES, size
        # every message is well-formed on its own: the list is closed and reopened
        assert m.html.startswith("<ul>") and m.html.endswith("</ul>")
        assert m.html.count("<li>") == m.html.count("</li>") == len(m.plain.split("\n"))

    plain_items = _items(reply)
    assert plain_items == items  # in order, nothing lost, nothing repeated
    html_items = [h for m in messages for h in re.findall(r"<li>(.*?)</li>", m.html)]
    assert html_items == items
    assert Counter(plain_items) == Counter(items)


def test_split_keeps_mixed_blocks_in_order_with_a_custom_limit() -> None:
    doc = Doc().para("Titre")
    for i in range(50):
        doc.item(f"projet {i}")
        doc.quote(f"mise à jour {i}\nsuite {i}")
    limit = CONTENT_OVERHEAD + 500
    reply = doc.reply(limit=limit)
    messages = reply.messages()
    assert len(messages) > 5
    for m in messages:
        assert content_size(m.plain, m.html) <= limit
    joined = "\n".join(m.plain for m in messages)
    positions = [joined.index(f"projet {i}\n") for i in range(50)]
    assert positions == sorted(positions)
    assert joined.count("mise à jour 7\n") == 1


def test_a_block_larger_than_the_limit_is_cut_in_order_nothing_lost() -> None:
    big = " ".join(f"mot{i:04d}" for i in range(300))  # 2,399 characters
    limit = CONTENT_OVERHEAD + 300
    reply = Doc().para("avant").para(B(big)).para("après").reply(limit=limit)
    plains = [m.plain for m in reply.messages()]
    assert len(plains) > 5
    # blocks of one message are joined by line breaks (the big one has none)
    assert "".join(plains).replace("\n", "") == "avant" + big + "après"
    pieces = "\n".join(plains).split("\n")[1:-1]
    assert all(p.endswith(" ") for p in pieces[:-1])  # cut after a space, not inside a word
    for m in reply.messages():
        assert content_size(m.plain, m.html) <= limit
        assert m.html.startswith("<p>") and m.html.endswith("</p>")
