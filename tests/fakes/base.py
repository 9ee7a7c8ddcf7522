"""What the fake Bot API servers share: an aiohttp server on 127.0.0.1, a call log, waiting for calls."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field

from aiohttp import web


@dataclass
class Call:
    method: str
    params: dict
    result: object
    at: float = field(default_factory=time.monotonic)


class ApiError(Exception):
    """A Bot API error answered with ``ok: false`` (HTTP 400 unless ``status`` says otherwise)."""

    def __init__(self, description: str, status: int = 400, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.parameters = parameters


def bad_gateway(request: web.Request) -> web.Response:
    """What a reverse proxy answers when the API behind it is down: an HTML page echoing the path
    (which holds the bot token)."""
    page = f"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><p>upstream failed for {request.path}</p></body></html>"
    return web.Response(status=502, text=page, content_type="text/html")


async def drop_connection(request: web.Request) -> web.Response:
    """A network failure: the connection dies before any answer (the request was not processed)."""
    if request.transport is not None:
        request.transport.abort()
    raise ConnectionResetError("fake network failure")


class FakeServer:
    """Subclasses add routes in ``routes(app)`` and record calls with ``record``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        # method -> faults to inject on its next calls, in order: "network", 502, 500, 429, or a callable
        self.faults: dict[str, list] = {}
        self.listeners: list = []  # called with each recorded call (load scripts: no scanning of calls)
        self.port = 0
        self._new_call = asyncio.Event()
        self._new_update = asyncio.Event()
        self._released = False
        self._runner: web.AppRunner | None = None

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def inject(self, method: str, *faults) -> None:
        """Make the next calls of ``method`` fail, one fault per call."""
        self.faults.setdefault(method, []).extend(faults)

    def next_fault(self, method: str):
        queue = self.faults.get(method)
        return queue.pop(0) if queue else None

    def record(self, method: str, params: dict, result: object, at: float | None = None) -> None:
        call = Call(method, params, result) if at is None else Call(method, params, result, at)
        self.calls.append(call)
        self._new_call.set()
        for listen in self.listeners:
            listen(call)

    async def wait_update(self, timeout: float) -> None:
        """Long-poll wait for a new update (returns early once polls are released)."""
        if self._released:
            return
        self._new_update.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._new_update.wait(), timeout)

    def notify_update(self) -> None:
        self._new_update.set()

    def release_polls(self) -> None:
        """Answer pending and future long polls at once (lets a bot stop without waiting)."""
        self._released = True
        self._new_update.set()

    def resume_polls(self) -> None:
        self._released = False

    async def wait_for(self, method: str, predicate=lambda call: True, timeout: float = 30.0, after: int = 0) -> Call:
        """The first call of ``method`` (index ≥ ``after``) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[after:]:
                if call.method == method and predicate(call):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                sent = [(c.method, str(c.params)[:120]) for c in self.calls[after:]]
                raise AssertionError(f"no {method} matching within {timeout}s; calls: {sent}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), min(remaining, 0.5))
