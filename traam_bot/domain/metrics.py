"""What the bot counts, as a port: the dispatcher, the outbox sender, the schedules, the
updates and the health report here; ops.metrics turns it into Prometheus metrics. The
default, NoMetrics, counts nothing (tests, verbs other than `run`)."""

from __future__ import annotations

from typing import Protocol


class Metrics(Protocol):
    def event_handled(self, kind: str) -> None: ...
    def sent(self) -> None: ...
    def send_error(self, code: str) -> None: ...
    def database_error(self) -> None: ...
    def occurrence(self, outcome: str) -> None: ...
    def update_stored(self) -> None: ...


class NoMetrics:
    """Counts nothing."""

    def event_handled(self, kind: str) -> None:
        pass

    def sent(self) -> None:
        pass

    def send_error(self, code: str) -> None:
        pass

    def database_error(self) -> None:
        pass

    def occurrence(self, outcome: str) -> None:
        pass

    def update_stored(self) -> None:
        pass


NO_METRICS: Metrics = NoMetrics()
