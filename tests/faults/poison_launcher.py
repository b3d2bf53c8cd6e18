"""`python -m tests.faults.poison_launcher run --config FILE`: the real bot (`traam_bot.cli`)
with one handler made to fail, for the poison-event test; no hook in the product.

`!point` raises when its text holds POISON (a handler bug on one particular event);
every other `!point` is handled as usual. The registry is built when the bot starts, after
this module, run as the main program, has replaced the handler in
`traam_bot.commands.updates` (importing it changes nothing).
"""

from __future__ import annotations

import sys

from traam_bot.cli import main
from traam_bot.commands import updates
from traam_bot.commands.context import Context
from traam_bot.domain.model import Reply

POISON = "💣"
_point = updates.point


async def poisoned_point(ctx: Context) -> Reply:
    if POISON in ctx.args:
        raise RuntimeError(f"poison: cannot handle {ctx.incoming.event_id}")
    return await _point(ctx)


if __name__ == "__main__":
    # only when run as the bot: a test importing POISON must not poison its own process
    updates.point = poisoned_point  # type: ignore[assignment]
    sys.exit(main())
