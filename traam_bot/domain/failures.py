"""What a log line at INFO and above may say about an unexpected exception (pure): its type
and where it was raised, never its message, which may quote what someone wrote (a SQL
error's parameters, a parser's input, a body). The full exception is logged at DEBUG only.
"""

from __future__ import annotations

import logging
import traceback

MAX_CHAINED = 5  # causes and contexts followed ("during handling of… another exception")


def failure_summary(exc: BaseException) -> str:
    """The traceback of `exc` and of the exceptions it chains, frames and types only:
    `File "…/x.py", line 12, in f` lines (no source line read) and `ValueError (message
    masqué)`, innermost cause first as Python prints it."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < MAX_CHAINED and all(
            current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    blocks = []
    for error in reversed(chain):
        frames = traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__),
                                                lookup_lines=False)
        lines = ["Traceback (most recent call last):"]
        lines += [f'  File "{f.filename}", line {f.lineno}, in {f.name}' for f in frames]
        kind = type(error)
        name = kind.__qualname__ if kind.__module__ == "builtins" else (
            f"{kind.__module__}.{kind.__qualname__}")
        lines.append(f"{name} (message masqué)")
        blocks.append("\n".join(lines))
    return "\n\nPuis :\n".join(blocks)


def log_failure(log: logging.Logger, exc: BaseException, message: str, *args: object) -> None:
    """`message` at ERROR with the failure's frames and type (`failure_summary`), the whole
    exception, message included, at DEBUG only."""
    log.error(message + "\n%s", *args, failure_summary(exc))
    log.debug(message, *args, exc_info=exc)
