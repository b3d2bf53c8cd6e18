"""The process's log (config `logging`): one handler on the root logger, to stderr, as
text or as one JSON object per line (`format: json`) — every line the process writes:
the bot's, the libraries' (nio, aiohttp, sqlalchemy, apscheduler) and the `warnings`
module's. Secrets never reach it: the configured ones are masked wherever they appear,
and so is whatever follows `password`, `access_token`, `recovery_key` or an
`Authorization` header, at every level, DEBUG included."""

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
    return handler
