"""Exponential backoff with jitter: how long to wait before the next attempt at anything
that failed (the homeserver, the database)."""

from __future__ import annotations

import random


class Backoff:
    """Exponential backoff with jitter, capped, reset on success."""

    def __init__(self, base: float = 1.0, cap: float = 60.0) -> None:
        self.base, self.cap, self.failures = base, cap, 0

    def next(self) -> float:
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** (self.failures - 1))
        return delay * random.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.failures = 0
