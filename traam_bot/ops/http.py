"""The operator's HTTP listener (config `http`): `GET /health` answers 200 `ok`, or 503
with what is wrong, in French, one reason per line. The state is domain.health.Health,
reported to by the rest of the bot; this module only reads it. `/metrics` (a later issue)
is meant to be one more route here."""

from __future__ import annotations

import logging

from aiohttp import web

from traam_bot.domain.health import Health

log = logging.getLogger(__name__)


class ListenError(Exception):
    """The listener could not open its port; the message is for the operator."""


def health_app(health: Health) -> web.Application:
    async def get_health(_request: web.Request) -> web.Response:
        problems = health.problems()
        if not problems:
            return web.Response(text="ok", content_type="text/plain", charset="utf-8")
        return web.Response(status=503, text="\n".join(problems) + "\n",
                            content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/health", get_health)
    return app


class HttpListener:
    def __init__(self, health: Health, bind: str, port: int) -> None:
        self.bind, self.port = bind, port
        self._runner = web.AppRunner(health_app(health), access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.bind, self.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            raise ListenError(f"écoute HTTP impossible sur {self.bind}:{self.port} "
                              f"({exc.strerror or type(exc).__name__})") from None
        log.info("health check on http://%s:%d/health", self.bind, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
