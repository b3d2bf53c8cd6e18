"""A send that reaches the homeserver but whose answer is lost (issue 9, case 6).

The proxy forwards the bot's sends to Synapse, lets it store the event, then resets the
bot's connection instead of returning the answer ("drop-response", sends only; syncs
pass). The bot cannot know the event exists: it must retry with the SAME transaction id
(`PUT …/send/<type>/<txnid>`), which Synapse answers with the event it already has, so
that the room holds exactly one ✅ and one reply.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

from tests.faultproxy import FaultProxy
from tests.faults.helpers import linked_team_room, owed_problems, stored_counts, until_owed
from traam_bot.devtools.sandbox import Sandbox, UserClient

HANDLING = 60.0  # from the way clear to the reply in the room, generous for a busy host
TRIES = 2  # responses lost per transaction before the way is clear again


async def test_a_lost_response_is_retried_with_the_same_transaction_id(
        sandbox: Sandbox, proxy: FaultProxy, coord: UserClient, equipe: UserClient) -> None:
    child = await sandbox.start_bot_subprocess()
    loop = asyncio.get_running_loop()
    try:
        room = await linked_team_room(sandbox, coord, equipe)
        tag = f"perdue-{uuid.uuid4().hex[:8]}"
        start = loop.time()
        proxy.set_mode("drop-response", kinds=("send",))
        try:
            sent = [await equipe.send(room, f"!point {tag} 1 : réponse perdue")]
            deadline = loop.time() + 60
            # the ✅ goes first (one queue per room): its answer lost TRIES times
            while not any(n >= TRIES for n in dropped(proxy, start).values()):
                assert loop.time() < deadline, f"sends seen: {proxy.since(start, 'send')}"
                await asyncio.sleep(0.2)
        finally:
            proxy.set_mode("pass")
        end = loop.time()
        owed = await until_owed(equipe, [room], sandbox.bot_id, sent,
                                lambda: max([end, *(r.at for r in proxy.since(end, "send"))]),
                                deadline=end + HANDLING)
        assert child.running, "the bot stopped"
    finally:
        await asyncio.to_thread(child.terminate)
    lost = dropped(proxy, start)
    answered = [a.path for a in proxy.answers if a.at >= start and a.kind == "send"
                and not a.dropped and a.status == 200]
    print(f"responses lost per transaction: {dict(lost)}; answered: {answered}")
    # the same transaction id again: the lost one is among those answered in the end
    assert any(path in lost and "/m.reaction/" in path for path in answered), (lost, answered)
    assert all(a.status == 200 for a in proxy.answers if a.at >= start and a.kind == "send")
    problems = owed_problems(owed, stored_counts(sandbox, tag), sent)
    assert not problems, "\n".join(problems)


def dropped(proxy: FaultProxy, since: float) -> Counter[str]:
    """Send path (room, event type, transaction id) -> answers lost on the way back."""
    return Counter(a.path for a in proxy.answers
                   if a.at >= since and a.kind == "send" and a.dropped)
