"""End-to-end fixtures: one throwaway Synapse homeserver per test session."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from traam_bot.devserver import LocalSynapse

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
