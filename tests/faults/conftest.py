"""Fault-injection fixtures: a sandbox whose bot reaches Synapse only through a FaultProxy.

The users (`coord`, `equipe`, shared with the e2e tests) talk to Synapse directly; the bot's
bot.yaml names the proxy, so `Sandbox.start_bot()` and `Sandbox.start_bot_subprocess()`
both go through it. No bot runs between tests: each test starts and stops its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import coord, equipe
from tests.faultproxy import FaultProxy
from tests.faults.postgres import ThrowawayPostgres
from traam_bot.devtools.sandbox import Sandbox

__all__ = ["coord", "equipe"]  # module-scoped users, logged in on `sandbox` below

FAULTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(FAULTS_DIR):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.faults)


@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
async def proxy(sandbox: Sandbox) -> AsyncIterator[FaultProxy]:
    """The bot's only way to Synapse (bot.yaml names it); each test leaves it in "pass"."""
    async with FaultProxy(sandbox.synapse.url) as p:
        config = yaml.safe_load(sandbox.config_path.read_text(encoding="utf-8"))
        config["matrix"]["homeserver"] = p.url
        sandbox.config_path.write_text(yaml.safe_dump(config, sort_keys=False,
                                                      allow_unicode=True), encoding="utf-8")
        yield p


@pytest.fixture(scope="module")
def postgres() -> Iterator[ThrowawayPostgres]:
    """A throwaway PostgreSQL server (initdb/pg_ctl in a temporary folder) per test module."""
    pg = ThrowawayPostgres()
    try:
        yield pg.init()
    finally:
        pg.destroy()
