"""`GET /metrics` on the operator's listener, asked over real HTTP: the SPEC's names, in
Prometheus text, moving as the bot works; `/health` beside it still answers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.unit.harness import ALICE, NOW, FakeRoom, make_bot, migrated_template
from tests.unit.test_health import free_port
from traam_bot.domain.health import Health
from traam_bot.domain.model import Incoming
from traam_bot.matrix.outbox_sender import _code
from traam_bot.ops.http import HttpListener
from traam_bot.ops.metrics import PrometheusMetrics

TEAM = FakeRoom(room_id="!nsi:localhost", members={ALICE: "Alice"}, levels={ALICE: 50})
NAMES = {"traam_bot_events_handled_total", "traam_bot_messages_sent_total",
         "traam_bot_send_errors_total", "traam_bot_outbox_depth",
         "traam_bot_outbox_oldest_seconds", "traam_bot_sync_age_seconds",
         "traam_bot_database_errors_total", "traam_bot_occurrences_total",
         "traam_bot_updates_stored_total"}


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, Health, PrometheusMetrics]]:
    now = [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
    metrics = PrometheusMetrics()
    health = Health(lambda: now[0], metrics)
    metrics.watch(health)
    port = free_port()
    listener = HttpListener(health, "127.0.0.1", port, metrics)
    await listener.start()
    health.synced()
    now[0] += timedelta(seconds=12)
    try:
        yield f"http://127.0.0.1:{port}", health, metrics
    finally:
        await listener.stop()


async def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        text = await resp.text()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_metrics_have_the_spec_names_and_health_still_answers(
        served: tuple[str, Health, PrometheusMetrics]) -> None:
    base, health, _metrics = served
    samples = await scrape(base)
    unlabelled = {name for name, labels in samples if not labels}
    assert {n for n in NAMES if not n.endswith(("handled_total", "errors_total",
                                                  "occurrences_total"))} <= unlabelled
    assert samples[("traam_bot_sync_age_seconds", ())] == 12.0
    assert samples[("traam_bot_outbox_depth", ())] == 0.0
    health.database_down("ConnectionRefusedError")
    samples = await scrape(base)
    assert samples[("traam_bot_database_errors_total", ())] == 1.0
    async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as resp:
        assert resp.status == 503
        assert "base de données injoignable" in await resp.text()


async def test_a_handled_point_moves_the_counters(
        tmp_path: Path, template: Path, served: tuple[str, Health, PrometheusMetrics],
        caplog: pytest.LogCaptureFixture) -> None:
    base, _health, metrics = served
    caplog.set_level(logging.INFO, logger="traam_bot.commands.dispatcher")
    async with make_bot(tmp_path, template, metrics=metrics) as bot:
        await bot.link(TEAM.room_id, "besancon-nsi-egalite")
        event = Incoming(room_id=TEAM.room_id, event_id="$p1", sender=ALICE,
                         body="!point Fait : séance 1", timestamp=NOW)
        await bot.dispatcher.on_event(event, TEAM)
    handled = [r.getMessage() for r in caplog.records if r.name.endswith("dispatcher")]
    assert handled == ["event $p1 (message) handled in !nsi:localhost"]  # one line, INFO
    metrics.sent()
    metrics.send_error(_code("403 M_FORBIDDEN: nope"))
    samples = await scrape(base)
    assert samples[("traam_bot_events_handled_total", (("type", "message"),))] == 1.0
    assert samples[("traam_bot_updates_stored_total", ())] == 1.0
    assert samples[("traam_bot_messages_sent_total", ())] == 1.0
    assert samples[("traam_bot_send_errors_total", (("code", "M_FORBIDDEN"),))] == 1.0
    names = {name for name, _ in samples}
    assert NAMES - {"traam_bot_occurrences_total"} <= names


def test_each_bot_has_its_own_registry() -> None:
    one, two = PrometheusMetrics(), PrometheusMetrics()
    one.sent()
    assert b"traam_bot_messages_sent_total 1.0" in one.exposition()
    assert b"traam_bot_messages_sent_total 0.0" in two.exposition()


async def test_occurrences_are_counted_by_outcome(tmp_path: Path) -> None:
    from tests.unit.test_schedule_service import add_reminder, paris
    from traam_bot.domain.triggers import Trigger

    metrics = PrometheusMetrics()
    async with make_bot(tmp_path, await migrated_template(tmp_path), metrics=metrics) as bot:
        service = bot.services.schedules
        now = paris(2026, 11, 25, 19)
        await add_reminder(service, Trigger(at=now + timedelta(hours=1)), now)
        await add_reminder(service, Trigger(at=now + timedelta(hours=2)), now)
        await add_reminder(service, Trigger(at=now + timedelta(hours=3)), now)
        assert await service.run_due(now + timedelta(hours=1)) == 1  # on time
        assert await service.run_due(now + timedelta(hours=5)) == 2  # both late
        await add_reminder(service, Trigger(at=now + timedelta(hours=6)), now)
        assert await service.run_due(now + timedelta(days=3)) == 0  # missed
    text = metrics.exposition().decode()
    assert 'traam_bot_occurrences_total{outcome="fired"} 1.0' in text
    assert 'traam_bot_occurrences_total{outcome="late"} 2.0' in text
    assert 'traam_bot_occurrences_total{outcome="missed"} 1.0' in text
