"""Run everything configured in one process: the Telegram and Zalo channels, the one quiz scheduler,
and (``hoidap serve``) the one HTTP app — webhooks, web chat, dashboard, health and metrics.

The HTTP app listens first, so ``/healthz`` answers while the model and index load and ``/readyz``
turns 200 once they are in; the channels start after that (a webhook registered with Telegram or
Zalo finds its route already served).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import uvicorn

from bot.channels.logs import add_secrets
from bot.conversation.scheduler import QuizScheduler
from bot.errors import ConfigError, NoActiveIndex
from bot.service import Assistant
from bot.settings import Settings

log = logging.getLogger(__name__)


def protect_secrets(settings: Settings) -> None:
    """Mask every configured token and webhook secret in all log output from now on."""
    add_secrets(
        *(
            s.get_secret_value()
            for s in (
                settings.telegram_token,
                settings.zalo_token,
                settings.webhook_secret,
                settings.zalo_webhook_secret,
                settings.web_secret,
            )
            if s is not None
        )
    )


def needs_http(settings: Settings) -> bool:
    """Webhook mode needs the HTTP app (the webhooks are its routes)."""
    return (settings.telegram_token is not None and settings.telegram_mode == "webhook") or (
        settings.zalo_token is not None and settings.zalo_mode == "webhook"
    )


class Runner:
    """Starts and stops what ``settings`` configure. ``http``: (host, port) of the web app, port 0 for
    any free port (tests read :attr:`port`); None runs the chat channels only (``hoidap run``)."""

    def __init__(self, settings: Settings, assistant: Assistant | None = None, http: tuple[str, int] | None = None):
        if http is None and needs_http(settings):
            raise ConfigError("Chế độ webhook cần ứng dụng web: chạy `hoidap serve` (hoặc đặt chế độ polling).")
        self.settings = settings
        self._owns_core = assistant is None  # an assistant handed in is closed by whoever made it
        self.core = assistant or Assistant(settings)
        self.http = http
        self.scheduler = QuizScheduler(self.core.conversation(), settings.quiz_tick_seconds)
        self.telegram = self.zalo = None
        # Webhook mode: updates are stored in the database before their 200 (bot.channels.intake).
        self.intake = None
        self.web = None  # the Starlette app
        self.port: int | None = None
        self._server = None
        self._server_task: asyncio.Task | None = None
        self._follower: asyncio.Task | None = None
        self._started: list[tuple[str, object]] = []

    async def start(self) -> None:
        settings = self.settings
        try:
            if needs_http(settings):
                from bot.channels.intake import Intake

                self.intake = Intake.from_settings(settings, await asyncio.to_thread(lambda: self.core.database))
            if settings.telegram_token:
                from bot.channels.telegram.app import TelegramChannel

                self.telegram = TelegramChannel(settings, self.core, self.scheduler, intake=self.intake)
            if settings.zalo_token:
                from bot.channels.zalo.app import ZaloChannel

                self.zalo = ZaloChannel(settings, self.core, scheduler=self.scheduler, intake=self.intake)
            if self.http is not None:
                await self._start_http()
            await asyncio.to_thread(self._warm_up)
            self._follower = asyncio.create_task(self._follow(), name="index-follower")
            if self.web is not None:
                self.web.state.ready = True
            for name, channel in (("telegram", self.telegram), ("zalo", self.zalo)):
                if channel is not None:
                    await channel.start()
                    self._started.append((name, channel.stop))
            if self.intake is not None:  # after the channels: it hands updates to them
                await self.intake.start()
            self.scheduler.start()
            log.info("running: %s", ", ".join([name for name, _ in self._started] + (["web"] if self.web else [])))
        except BaseException:
            await self.stop()
            raise

    def _warm_up(self) -> None:
        """Load model and index before the first question; a fresh installation without an index
        builds one from the knowledge folder first (``/readyz`` says 503 meanwhile)."""
        try:
            self.core.warm_up()
        except NoActiveIndex:
            log.warning("no index yet: building one from %s", self.settings.knowledge_dir)
            self.core.library.build()
            self.core.warm_up()

    async def _follow(self, every: float = 1.0) -> None:
        """Several hosts: download and switch to a version made active on another host (a no-op with
        plain folders, where a build on this host switches ACTIVE itself)."""
        from bot import outages

        while True:
            await asyncio.sleep(every)
            try:
                await asyncio.to_thread(self.core.store.sync)
            except Exception as e:
                outages.failure("database", "the index version in service could not be followed", e)

    async def _start_http(self) -> None:
        from bot.channels.web.app import build_app

        self.web = build_app(self.settings, self.core, telegram=self.telegram, zalo=self.zalo)
        host, port = self.http
        config = uvicorn.Config(
            self.web,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,  # our logging configuration, secrets masked
            access_log=False,
            # The client's address from X-Forwarded-For (per-address limits), believed only when the
            # request comes from a configured proxy: anyone else could write any address there.
            proxy_headers=True,
            forwarded_allow_ips=self.settings.forwarded_allow_ips,
            server_header=False,
        )
        self._server = _Server(config)
        self._server_task = asyncio.create_task(self._server.serve(), name="http")
        while not self._server.started:
            if self._server_task.done():  # the port is taken, the address is wrong
                self._server_task.result()
                raise ConfigError(f"Không mở được cổng {host}:{port}.")
            await asyncio.sleep(0.05)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("web: listening on http://%s:%s", host, self.port)

    async def stop(self) -> None:
        await self.scheduler.stop()
        if self._follower is not None:
            self._follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follower
            self._follower = None
        if self._server is not None:  # no new requests (nginx sends them to the other processes)
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server_task, 30)
            self._server = None
        if self.intake is not None:  # updates being handled finish; the rest go to another process
            await self.intake.stop()
        for name, shutdown in reversed(self._started):
            try:
                await shutdown()
            except Exception:
                log.exception("error while stopping %s", name)
        self._started.clear()
        if self.web is not None:
            await self.web.state.jobs.wait()
        if self._owns_core:
            await asyncio.to_thread(self.core.close)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the runner's stop event ends everything in order."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


async def serve(
    settings: Settings,
    stop: asyncio.Event | None = None,
    assistant: Assistant | None = None,
    http: tuple[str, int] | None = None,
) -> None:
    """Start everything configured; stop it all when ``stop`` is set (or on SIGINT/SIGTERM)."""
    protect_secrets(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = Runner(settings, assistant, http)
    try:
        await runner.start()
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await runner.stop()


def run_channels(settings: Settings, http: tuple[str, int] | None = None) -> None:
    """Blocking entry point used by ``hoidap run`` and ``hoidap serve``."""
    asyncio.run(serve(settings, http=http))
