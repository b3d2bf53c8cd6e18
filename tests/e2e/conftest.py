"""End-to-end fixtures: throwaway Synapse homeservers, the running bot, real user clients."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from traam_bot.devtools.devserver import LocalSynapse
from traam_bot.devtools.sandbox import Sandbox
from traam_bot.devtools.userclient import UserClient

E2E_DIR = Path(__file__).parent

MakeUser = Callable[..., tuple[str, str]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def synapse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSynapse]:
    # A missing Synapse is a broken dev install, not a reason to skip: fail loudly.
    assert importlib.util.find_spec("synapse") is not None, "pip install -e '.[dev]'"
    server = LocalSynapse(tmp_path_factory.mktemp("synapse"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_user(synapse: LocalSynapse) -> MakeUser:
    """Return ``make(prefix="user", admin=False) -> (user_id, password)`` for fresh users."""

    def make(prefix: str = "user", admin: bool = False) -> tuple[str, str]:
        localpart = f"{prefix}-{uuid.uuid4().hex[:12]}"
        password = uuid.uuid4().hex
        return synapse.register(localpart, password, admin=admin), password

    return make


# One sandbox (Synapse + running bot + demo users) per test module: modules restart or
# reconfigure the bot freely without disturbing each other.
@pytest.fixture(scope="module")
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox() as sb:
        await sb.start_bot()
        yield sb


@pytest.fixture(scope="module")
async def coord(sandbox: Sandbox) -> UserClient:
    return await sandbox.user("coordinatrice")


@pytest.fixture(scope="module")
async def equipe(sandbox: Sandbox) -> UserClient:
    return await sandbox.user("equipe")
