"""How services and the dispatcher receive units of work: a factory to open one with."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the store builds units; services only name the type
    from traam_bot.store.unit_of_work import UnitOfWork

Units = Callable[[], AbstractAsyncContextManager["UnitOfWork"]]
