"""Raw Matrix events -> Incoming / Edit / Redaction: fallbacks, mentions, relations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from traam_bot.domain.model import Edit, Incoming, Redaction
from traam_bot.matrix.events import (
    mentions_user,
    parse_event,
    strip_mention,
    strip_reply_fallback,
    ts_to_datetime,
)

BOT = "@traam-bot:localhost"
NAMES = ("traam-bot",)
ROOM = "!salon:localhost"
ALICE = "@alice:localhost"
TS = 1_764_576_000_000  # 2025-12-01 08:00:00 UTC


def message(body: str, *, sender: str = ALICE, event_id: str = "$ev1",
            msgtype: str = "m.text", **content: Any) -> dict[str, Any]:
    return {
        "type": "m.room.message",
        "sender": sender,
        "event_id": event_id,
        "origin_server_ts": TS,
        "room_id": ROOM,
        "content": {"msgtype": msgtype, "body": body, **content},
    }


def parse(source: dict[str, Any]) -> Incoming | Edit | Redaction | None:
    return parse_event(ROOM, source, BOT, NAMES)


def incoming(source: dict[str, Any]) -> Incoming:
    parsed = parse(source)
    assert isinstance(parsed, Incoming), parsed
    return parsed


# ------------------------------------------------------------------ reply fallback


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("> <@bob:localhost> première ligne\n> deuxième ligne\n\n!point fait",
         "!point fait"),
        ("> <@bob:localhost> une seule ligne\n\nma réponse\nsur deux lignes",
         "ma réponse\nsur deux lignes"),
        ("> <@bob:localhost> sans ligne vide\nréponse", "réponse"),
        ("> <@bob:localhost> tout est cité", ""),
        ("pas de citation", "pas de citation"),
        ("texte\n> citation plus bas", "texte\n> citation plus bas"),
        ("", ""),
    ],
)
def test_strip_reply_fallback(body: str, expected: str) -> None:
    assert strip_reply_fallback(body) == expected


def test_reply_fallback_is_removed_from_a_rich_reply() -> None:
    ev = message(
        "> <@bob:localhost> Quelle est l’avancée ?\n> Merci\n\nNous avons fini la séquence 2",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": "$question"}}},
    )
    msg = incoming(ev)
    assert msg.body == "Nous avons fini la séquence 2"
    assert msg.reply_to == "$question"
    assert msg.thread_root is None


def test_quote_in_a_message_that_is_not_a_reply_is_kept() -> None:
    msg = incoming(message("> citation d’un élève\n\nà discuter"))
    assert msg.body == "> citation d’un élève\n\nà discuter"
    assert msg.reply_to is None


def test_quote_in_a_thread_message_that_is_not_a_reply_is_kept() -> None:
    # in a thread, m.in_reply_to with is_falling_back is only for old clients:
    # the body has no fallback, so a leading quote is the user's own text
    ev = message(
        "> citation d’un élève\n\nà discuter",
        **{"m.relates_to": {"rel_type": "m.thread", "event_id": "$root",
                            "is_falling_back": True,
                            "m.in_reply_to": {"event_id": "$last"}}},
    )
    msg = incoming(ev)
    assert msg.body == "> citation d’un élève\n\nà discuter"
    assert msg.thread_root == "$root"
    assert msg.reply_to is None


# ------------------------------------------------------------------ mentions


@pytest.mark.parametrize(
    ("content", "body", "expected"),
    [
        ({"m.mentions": {"user_ids": [BOT]}}, "bonjour", True),
        ({"m.mentions": {"user_ids": ["@bob:localhost"]}}, "bonjour", False),
        ({"m.mentions": {}}, "bonjour", False),
        ({"m.mentions": {"user_ids": None}}, "bonjour", False),
        ({"formatted_body": f'<a href="https://matrix.to/#/{BOT}">Le bot</a> salut'},
         "Le bot salut", True),
        ({"formatted_body": '<a href="https://matrix.to/#/%40traam-bot:localhost">Le bot</a>'},
         "Le bot salut", True),
        ({"formatted_body": '<a href="https://matrix.to/#/@bob:localhost">Bob</a>'},
         "Bob salut", False),
        ({}, "traam-bot: quels projets ?", True),
        ({}, "Traam-Bot, quels projets ?", True),
        ({}, "merci traam-bot", True),
        ({}, f"{BOT} quels projets ?", True),
        ({}, "le traam-botaniste est passé", False),
        ({}, "montraam-bot est ailleurs", False),
        ({}, "traam_bot n’est pas moi", False),
        ({}, "@traam-bot-dev:localhost teste", False),
        ({}, "traam-bot-dev: autre bot", False),
        ({}, "rien à voir", False),
    ],
)
def test_mentions_user(content: dict[str, Any], body: str, expected: bool) -> None:
    assert mentions_user({"body": body, **content}, body, BOT, NAMES) is expected


def test_mention_by_plain_name_is_ignored_without_names() -> None:
    assert not mentions_user({}, "traam-bot: bonjour", BOT, ())
    assert mentions_user({}, f"{BOT}: bonjour", BOT, ())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("traam-bot: qui contacter ?", "qui contacter ?"),
        ("Traam-Bot, qui contacter ?", "qui contacter ?"),
        ("  @traam-bot:localhost: !projets", "!projets"),
        ("@traam-bot:localhost !aide", "!aide"),
        ("traam-bot !aide", "!aide"),
        ("merci traam-bot", "merci traam-bot"),
        ("traam-botaniste: bonjour", "traam-botaniste: bonjour"),
        ("qui contacter ?", "qui contacter ?"),
    ],
)
def test_strip_mention(body: str, expected: str) -> None:
    assert strip_mention(body, BOT, NAMES) == expected


def test_mentioned_message_is_flagged_and_address_removed() -> None:
    ev = message(
        "traam-bot: !projets dijon",
        format="org.matrix.custom.html",
        formatted_body=f'<a href="https://matrix.to/#/{BOT}">traam-bot</a>: !projets dijon',
        **{"m.mentions": {"user_ids": [BOT]}},
    )
    msg = incoming(ev)
    assert msg.mentions_bot is True
    assert msg.body == "!projets dijon"


def test_unmentioned_message() -> None:
    msg = incoming(message("  on se voit demain ?  "))
    assert msg == Incoming(room_id=ROOM, event_id="$ev1", sender=ALICE,
                           body="on se voit demain ?", timestamp=ts_to_datetime(TS))
    assert msg.mentions_bot is False


# ------------------------------------------------------------------ what is ignored


@pytest.mark.parametrize(
    "source",
    [
        message("!aide", sender=BOT),
        message("Commandes disponibles", msgtype="m.notice"),
        message("photo.jpg", msgtype="m.image"),
        {"type": "m.reaction", "sender": ALICE, "event_id": "$r", "origin_server_ts": TS,
         "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$x",
                                      "key": "✅"}}},
        {"type": "m.room.member", "sender": ALICE, "event_id": "$m", "state_key": ALICE,
         "origin_server_ts": TS, "content": {"membership": "join"}},
        {"type": "m.room.name", "sender": ALICE, "event_id": "$n", "state_key": "",
         "origin_server_ts": TS, "content": {"name": "TraAM Lettres"}},
        {"type": "m.room.message", "sender": ALICE, "event_id": "$nobody",
         "origin_server_ts": TS, "content": {"msgtype": "m.text"}},
        {"type": "m.room.message", "sender": ALICE, "origin_server_ts": TS,
         "content": {"msgtype": "m.text", "body": "sans event_id"}},
        {"type": "m.room.redaction", "sender": ALICE, "event_id": "$red",
         "origin_server_ts": TS, "content": {}},
        {"type": "m.room.redaction", "sender": BOT, "event_id": "$red2",
         "origin_server_ts": TS, "redacts": "$x", "content": {"redacts": "$x"}},
        message("* nouveau", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}),
    ],
    ids=["own", "notice", "image", "reaction", "member", "room-name", "no-body",
         "no-event-id", "redaction-without-target", "own-redaction", "edit-without-new"],
)
def test_events_not_for_the_bot_are_ignored(source: dict[str, Any]) -> None:
    assert parse(source) is None


def test_emote_is_a_message() -> None:
    assert incoming(message("réfléchit aux projets", msgtype="m.emote")).body == (
        "réfléchit aux projets"
    )


# ------------------------------------------------------------------ edits, redactions


def test_edit_gives_the_new_body() -> None:
    ev = message(
        "* Nous avons fini la séquence 3",
        event_id="$edit",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "Nous avons fini la séquence 3"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
        },
    )
    assert parse(ev) == Edit(room_id=ROOM, event_id="$edit", sender=ALICE, target="$original",
                             body="Nous avons fini la séquence 3",
                             timestamp=datetime(2025, 12, 1, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    "source",
    [
        # room versions up to 10: redacts at the top level
        {"type": "m.room.redaction", "sender": ALICE, "event_id": "$red",
         "origin_server_ts": TS, "redacts": "$target", "content": {"reason": "erreur"}},
        # room version 11: redacts moved into content
        {"type": "m.room.redaction", "sender": ALICE, "event_id": "$red",
         "origin_server_ts": TS, "content": {"redacts": "$target"}},
        # servers may send both
        {"type": "m.room.redaction", "sender": ALICE, "event_id": "$red",
         "origin_server_ts": TS, "redacts": "$target", "content": {"redacts": "$target"}},
    ],
    ids=["top-level", "v11-content", "both"],
)
def test_redaction(source: dict[str, Any]) -> None:
    assert parse(source) == Redaction(room_id=ROOM, event_id="$red", sender=ALICE,
                                      target="$target", timestamp=ts_to_datetime(TS))


# ------------------------------------------------------------------ threads and replies


@pytest.mark.parametrize(
    ("relation", "thread_root", "reply_to"),
    [
        ({"rel_type": "m.thread", "event_id": "$root", "is_falling_back": True,
          "m.in_reply_to": {"event_id": "$last"}}, "$root", None),
        ({"rel_type": "m.thread", "event_id": "$root"}, "$root", None),
        ({"rel_type": "m.thread", "event_id": "$root", "is_falling_back": False,
          "m.in_reply_to": {"event_id": "$answered"}}, "$root", "$answered"),
        ({"m.in_reply_to": {"event_id": "$answered"}}, None, "$answered"),
        ({"m.in_reply_to": "$pas-un-objet"}, None, None),
        ({}, None, None),
    ],
    ids=["thread-fallback", "thread-plain", "reply-in-thread", "rich-reply", "bad-reply",
         "none"],
)
def test_thread_and_reply_relations(
    relation: dict[str, Any], thread_root: str | None, reply_to: str | None
) -> None:
    msg = incoming(message("!point avancée", **{"m.relates_to": relation}))
    assert msg.thread_root == thread_root
    assert msg.reply_to == reply_to
    assert msg.body == "!point avancée"


def test_timestamp_is_aware_utc() -> None:
    moment = ts_to_datetime(TS)
    assert moment == datetime(2025, 12, 1, 8, 0, tzinfo=UTC)
    assert incoming(message("x")).timestamp == moment
