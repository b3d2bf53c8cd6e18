"""The Metrics port (domain.metrics) with prometheus-client, on a registry of the bot's
own (never the process-wide default one). Counters move as the bot works; the gauges
(outbox depth and age, sync age) are read from the health state at scrape time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from traam_bot.domain.health import Health

__all__ = ["CONTENT_TYPE_LATEST", "PrometheusMetrics"]


class PrometheusMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self._events = Counter("traam_bot_events_handled", "Événements Matrix traités",
                               ["type"], registry=r)
        self._sent = Counter("traam_bot_messages_sent", "Messages envoyés", registry=r)
        self._send_errors = Counter("traam_bot_send_errors", "Échecs d’envoi", ["code"],
                                    registry=r)
        self._db_errors = Counter("traam_bot_database_errors",
                                  "Erreurs d’accès à la base de données", registry=r)
        self._occurrences = Counter("traam_bot_occurrences",
                                    "Occurrences de programmations", ["outcome"], registry=r)
        self._updates = Counter("traam_bot_updates_stored", "Points d’étape enregistrés",
                                registry=r)
        self._depth = Gauge("traam_bot_outbox_depth", "Lignes en attente dans la file d’envoi",
                            registry=r)
        self._oldest = Gauge("traam_bot_outbox_oldest_seconds",
                             "Âge de la plus ancienne ligne de la file d’envoi", registry=r)
        self._sync_age = Gauge("traam_bot_sync_age_seconds",
                               "Secondes depuis la dernière synchronisation réussie",
                               registry=r)

    def event_handled(self, kind: str) -> None:
        self._events.labels(type=kind).inc()

    def sent(self) -> None:
        self._sent.inc()

    def send_error(self, code: str) -> None:
        self._send_errors.labels(code=code or "inconnu").inc()

    def database_error(self) -> None:
        self._db_errors.inc()

    def occurrence(self, outcome: str) -> None:
        self._occurrences.labels(outcome=outcome).inc()

    def update_stored(self) -> None:
        self._updates.inc()

    def watch(self, health: Health, depth: Callable[[], int] = lambda: 0) -> None:
        """Gauges read at scrape time from `health` (and the outbox sender's `depth`)."""
        def outbox_age() -> float:
            age = health.outbox_age(health.clock())
            return 0.0 if age is None else age.total_seconds()

        def sync_age() -> float:
            now: datetime = health.clock()
            return health.sync_age(now).total_seconds()

        self._depth.set_function(lambda: float(depth()))
        self._oldest.set_function(outbox_age)
        self._sync_age.set_function(sync_age)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
