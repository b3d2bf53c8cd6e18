"""The operator's HTTP listener (config `http`): `GET /health` answers 200 `ok`, or 503
with what is wrong, in French, one reason per line. The state is domain.health.Health,
reported to by the rest of the bot; this module only reads it. `GET /metrics` answers the
Prometheus text of ops.metrics (when the bot hands its metrics over)."""

from __future__ import annotations

import logging

from aiohttp import web

from traam_bot.domain.health import Health
from traam_bot.ops.metrics import CONTENT_TYPE_LATEST, PrometheusMetrics

log = logging.getLogger(__name__)


class ListenError(Exception):
    """The listener could not open its port; the message is for the operator."""


def health_app(health: Health, metrics: PrometheusMetrics | None = None) -> web.Application:
    async def get_health(_request: web.Request) -> web.Response:
        problems = health.problems()
        if not problems:
            return web.Response(text="ok", content_type="text/plain", charset="utf-8")
        return web.Response(status=503, text="\n".join(problems) + "\n",
                            content_type="text/plain", charset="utf-8")

    async def get_metrics(_request: web.Request) -> web.Response:
        assert metrics is not None
        response = web.Response(body=metrics.exposition())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    app = web.Application()
    app.router.add_get("/health", get_health)
    if metrics is not None:
        app.router.add_get("/metrics", get_metrics)
    return app


class HttpListener:
    def __init__(self, health: Health, bind: str, port: int,
                 metrics: PrometheusMetrics | None = None) -> None:
        self.bind, self.port = bind, port
        self._runner = web.AppRunner(health_app(health, metrics), access_log=None)

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
