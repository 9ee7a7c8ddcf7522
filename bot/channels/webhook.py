"""The HTTP endpoint a chat service posts updates to (Telegram and Zalo webhooks).

Requests must carry the shared secret in a header; it is compared in constant time
(``hmac.compare_digest``) so its value cannot be guessed from response timings. Bodies are parsed
as JSON and handed over without waiting for them to be handled (the service must get its 200 fast).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from urllib.parse import urlparse

from aiohttp import web
from pydantic import SecretStr

from bot.errors import ConfigError

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def secret_matches(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


class WebhookServer:
    """An aiohttp site on ``listen:port`` with one POST route."""

    def __init__(self, listen: str, port: int, path: str, header: str, secret: str, accept: Callable[[object], None]):
        self.listen, self.port, self.path = listen, port, path or "/"
        self._header, self._secret, self._accept = header, secret, accept
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(self._header), self._secret):
            return web.json_response({"ok": False, "description": "Forbidden"}, status=403)
        try:
            body = json.loads(await request.text())
        except ValueError:
            return web.json_response({"ok": False, "description": "Bad Request"}, status=400)
        try:
            self._accept(body)
        except Exception:
            log.exception("webhook: an update could not be queued")
            return web.json_response({"ok": False, "description": "Internal Server Error"}, status=500)
        return web.json_response({"ok": True})

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def open_webhook(
    url: str | None,
    secret: SecretStr | None,
    listen: str,
    port: int,
    header: str,
    accept: Callable[[object], None],
    missing: str,
) -> tuple[WebhookServer, str]:
    """Listen on ``url``'s path (``missing``: the error when the URL or secret is not configured);
    returns the running server and the secret to register with the service."""
    if not url or secret is None:
        raise ConfigError(missing)
    server = WebhookServer(listen, port, urlparse(url).path or "/", header, secret.get_secret_value(), accept)
    await server.start()
    return server, secret.get_secret_value()
