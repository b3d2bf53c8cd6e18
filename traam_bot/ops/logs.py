"""The process's log (config `logging`): one handler on the root logger, to stderr, as
text or as one JSON object per line (`format: json`) — every line the process writes:
the bot's, the libraries' (nio, aiohttp, sqlalchemy, apscheduler) and the `warnings`
module's. Secrets never reach it: the configured ones are masked wherever they appear,
and so is whatever follows `password`, `access_token`, `recovery_key` or an
`Authorization` header, at every level, DEBUG included. What people write stays out of it
at INFO and above: the bot logs ids, never texts (tests/unit/test_logs_privacy.py), and
the lines in which nio would quote an invalid event whole are cut to what failed."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO

MASK = "***"
NOISY = ("nio", "aiohttp", "sqlalchemy", "alembic", "apscheduler", "asyncio")
# nio's key store (peewee) logs its queries with their parameters at DEBUG: the pickled
# Olm account and session keys. Never below WARNING, whatever the level asked.
NEVER_VERBOSE = ("peewee",)
# `"password": "x"`, `password=x`, `'access_token': 'x'`, `Authorization: Bearer x`
_KEYED = re.compile(
    r"""(?P<key>["']?(?:password|access_token|recovery_key|new_password)["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s,&}'"]+)""", re.IGNORECASE)
# nio's lines that quote an event, a response or a decrypted payload whole when it fails
# validation (jsonschema's message shows the instance: a body, a display name…), by logger.
NIO_QUOTING = {
    "nio.events.misc": re.compile(r"^(Error validating event): "),
    "nio.responses": re.compile(r"^(Error validating response): "),
    "nio.crypto.log": re.compile(r"^(Error validating decrypted Olm event from \S+"
                                 r"|Failed to parse Olm message payload): "),
}
HIDDEN = "détail masqué (il peut citer un message)"
_AUTH = re.compile(r"(?P<key>Authorization['\"]?\s*[:=]\s*['\"]?(?:Bearer\s+)?)"
                   r"(?P<value>[^\s'\",}]+)", re.IGNORECASE)


class Masker:
    """Replaces secrets in a line: the known values, and what follows a secret's name."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        text = _KEYED.sub(lambda m: m.group("key") + _quoted(m.group("value")), text)
        return _AUTH.sub(lambda m: m.group("key") + MASK, text)


def _quoted(value: str) -> str:
    return f"{value[0]}{MASK}{value[0]}" if value[:1] in "\"'" and len(value) > 1 else MASK


class QuotedContent(logging.Filter):
    """Cuts a nio line that would quote what someone wrote to its first part."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        super().__init__()
        self.pattern = pattern

    def filter(self, record: logging.LogRecord) -> bool:
        found = self.pattern.match(record.getMessage())
        if found is not None:
            record.msg, record.args = f"{found.group(1)}: {HIDDEN}", ()
        return True


def hide_quoted_content() -> None:
    """Put the QuotedContent filters on nio's loggers (once, whatever the calls)."""
    for name, pattern in NIO_QUOTING.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuotedContent) for f in logger.filters):
            logger.addFilter(QuotedContent(pattern))


class TextFormatter(logging.Formatter):
    def __init__(self, mask: Masker) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        return self.mask(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and exception if any."""

    def __init__(self, mask: Masker) -> None:
        super().__init__()
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.mask(record.getMessage()),
        }
        if record.exc_info:
            line["exception"] = self.mask(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = self.mask(record.exc_text)
        if record.stack_info:
            line["stack"] = self.mask(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text", *,
                      secrets: Iterable[str | None] = (),
                      stream: TextIO | None = None) -> logging.Handler:
    """Put one handler on the root logger (replacing one put by an earlier call);
    libraries stay at WARNING unless the level asked is DEBUG. Returns the handler."""
    mask = Masker(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(mask) if fmt == "json" else TextFormatter(mask))
    root = logging.getLogger()
    for old in list(root.handlers):  # ours from an earlier call (tests call main twice)
        if getattr(old, "traam_bot", False):
            root.removeHandler(old)
    handler.traam_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    for name in NOISY:
        logging.getLogger(name).setLevel(numeric if numeric <= logging.DEBUG
                                         else max(numeric, logging.WARNING))
    for name in NEVER_VERBOSE:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    logging.captureWarnings(True)  # the `warnings` module's output, through the handler
    hide_quoted_content()
    return handler
