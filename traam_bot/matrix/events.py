"""Raw Matrix event JSON -> domain records (Incoming, Edit, Redaction); pure functions."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from traam_bot.domain.model import Edit, Incoming, Redaction

_MATRIX_TO = re.compile(r"https://matrix\.to/#/(@[^\"'>?]+)")


def ts_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def strip_reply_fallback(body: str) -> str:
    """Drop the "> <@user> quoted" lines older clients prepend to rich replies.

    Only a quote that starts like a fallback ("> <@…>" or "> * <@…>") is removed: since
    Matrix 1.13 clients stop sending fallbacks, so other quotes are the user's own.
    """
    lines = body.split("\n")
    if not re.match(r"^> (\* )?<[@!]", lines[0]):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and lines[i].strip() == "":
        i += 1
    return "\n".join(lines[i:])


def _relates(content: dict[str, Any]) -> dict[str, Any]:
    rel = content.get("m.relates_to")
    return rel if isinstance(rel, dict) else {}


def _reply_to(rel: dict[str, Any]) -> str | None:
    reply = rel.get("m.in_reply_to")
    if isinstance(reply, dict) and isinstance(reply.get("event_id"), str):
        return reply["event_id"]
    return None


def mentions_user(content: dict[str, Any], body: str, user_id: str, names: tuple[str, ...]) -> bool:
    """Intentional mentions first; then pills and plain names for older clients."""
    mentions = content.get("m.mentions")
    if isinstance(mentions, dict) and user_id in (mentions.get("user_ids") or []):
        return True
    formatted = content.get("formatted_body")
    if isinstance(formatted, str) and user_id in _MATRIX_TO.findall(formatted.replace("%40", "@")):
        return True
    low = body.lower()
    # "-" counts as part of a word: "traam-bot-dev" is another account, not us
    return user_id.lower() in low or any(
        re.search(rf"(?<![\w-]){re.escape(n.lower())}(?![\w-])", low) for n in names if n)


def strip_mention(body: str, user_id: str, names: tuple[str, ...]) -> str:
    """Remove a leading "traam-bot:" / "@traam-bot:localhost" address."""
    for name in (user_id, *names):
        if not name:
            continue
        m = re.match(rf"^\s*@?{re.escape(name)}(?![\w-])\s*[:,]?\s*", body,
                     flags=re.IGNORECASE)
        if m:
            return body[m.end():]
    return body


def parse_event(room_id: str, source: dict[str, Any], bot_id: str,
                bot_names: tuple[str, ...]) -> Incoming | Edit | Redaction | None:
    """Decide what a timeline event means to the bot; None when it is not for us."""
    sender = source.get("sender")
    event_id = source.get("event_id")
    if not isinstance(sender, str) or not isinstance(event_id, str) or sender == bot_id:
        return None
    ts = ts_to_datetime(int(source.get("origin_server_ts") or 0))
    content = source.get("content") or {}
    kind = source.get("type")
    if kind == "m.room.redaction":
        target = source.get("redacts") or content.get("redacts")
        if isinstance(target, str):
            return Redaction(room_id, event_id, sender, target, ts)
        return None
    if kind != "m.room.message" or content.get("msgtype") not in ("m.text", "m.emote"):
        return None  # notices (other bots, ours), media, reactions, state
    rel = _relates(content)
    if rel.get("rel_type") == "m.replace":
        new = content.get("m.new_content") or {}
        if isinstance(new.get("body"), str) and isinstance(rel.get("event_id"), str):
            return Edit(room_id, event_id, sender, rel["event_id"], new["body"], ts)
        return None
    body = content.get("body")
    if not isinstance(body, str):
        return None
    thread = rel.get("event_id") if rel.get("rel_type") == "m.thread" else None
    reply_to = _reply_to(rel)
    if thread and rel.get("is_falling_back"):
        # a thread's in-reply-to is only for clients without threads; its body has no
        # reply fallback, so a leading "> " there is the user's own quote
        reply_to = None
    if reply_to:
        body = strip_reply_fallback(body)
    mentioned = mentions_user(content, body, bot_id, bot_names)
    if mentioned:
        body = strip_mention(body, bot_id, bot_names)
    return Incoming(
        room_id=room_id, event_id=event_id, sender=sender, body=body.strip(), timestamp=ts,
        mentions_bot=mentioned, thread_root=thread if isinstance(thread, str) else None,
        reply_to=reply_to,
    )
