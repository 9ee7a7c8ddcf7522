"""The HTTP endpoints chat services post updates to (Telegram and Zalo webhooks), as routes of the
one web app (:mod:`bot.channels.web.app`).

Requests must carry the shared secret in a header; it is compared in constant time
(``hmac.compare_digest``) so its value cannot be guessed from response timings; a wrong or missing
one gets 403. Bodies are parsed as JSON and handed over without waiting for them to be handled (the
service must get its 200 fast) — in webhook mode to the durable intake (:mod:`bot.channels.intake`),
which stores the update before the 200; if it cannot, the answer is 503 and the service posts the
update again later.
"""

from __future__ import annotations

import hmac
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlparse

from pydantic import SecretStr
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels.intake import IntakeUnavailable
from bot.errors import ConfigError

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


def secret_matches(given: str | None, expected: str) -> bool:
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Webhook:
    """What a channel in webhook mode asks the web app to serve: POST ``path``, secret in ``header``."""

    path: str
    header: str
    secret: str
    accept: Callable[[object], Awaitable[object] | None]
    channel: str = "webhook"

    def route(self) -> Route:
        # Named by channel: metrics and logs label requests by route name, never by this secret path.
        return Route(self.path, self._handle, methods=["POST"], name=f"webhook:{self.channel}")

    async def _handle(self, request: Request) -> JSONResponse:
        if not secret_matches(request.headers.get(self.header), self.secret):
            return JSONResponse({"ok": False, "description": "Forbidden"}, status_code=403)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return JSONResponse({"ok": False, "description": "Payload Too Large"}, status_code=413)
        try:
            data = json.loads(body)
        except ValueError:
            return JSONResponse({"ok": False, "description": "Bad Request"}, status_code=400)
        try:
            accepted = self.accept(data)
            if inspect.isawaitable(accepted):
                await accepted
        except IntakeUnavailable:
            return JSONResponse({"ok": False, "description": "Service Unavailable"}, status_code=503)
        except Exception:
            log.exception("webhook: an update could not be queued")
            return JSONResponse({"ok": False, "description": "Internal Server Error"}, status_code=500)
        return JSONResponse({"ok": True})


def webhook(
    url: str | None,
    secret: SecretStr | None,
    header: str,
    accept: Callable[[object], Awaitable[object] | None],
    missing: str,
    channel: str = "webhook",
) -> Webhook:
    """The webhook for ``url``'s path (``missing``: the error when the URL or secret is not configured)."""
    if not url or secret is None:
        raise ConfigError(missing)
    return Webhook(urlparse(url).path or "/", header, secret.get_secret_value(), accept, channel)
