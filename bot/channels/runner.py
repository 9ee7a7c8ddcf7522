"""Run the configured channels (Telegram and/or Zalo) in one process until interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.service import Assistant
from bot.settings import Settings

log = logging.getLogger(__name__)
# httpx logs each request URL at INFO, and bot tokens are part of those URLs.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


async def serve(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Start every channel that has a token; stop them all when ``stop`` is set (or on SIGINT/SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    core = Assistant(settings)
    await asyncio.to_thread(core.warm_up)  # load model and index before the first question
    started = []
    try:
        if settings.telegram_token:
            from bot.channels.telegram import app as telegram

            application = telegram.build_app(settings, core)
            await telegram.start(application, settings)
            started.append(("telegram", lambda: telegram.stop(application)))
        if settings.zalo_token:
            from bot.channels.zalo.adapter import ZaloAdapter

            zalo = ZaloAdapter(settings, core)
            await zalo.start()
            started.append(("zalo", zalo.stop))
        log.info("running: %s", ", ".join(name for name, _ in started))
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        for name, shutdown in reversed(started):
            try:
                await shutdown()
            except Exception:
                log.exception("error while stopping %s", name)


def run_channels(settings: Settings) -> None:
    """Blocking entry point used by ``hoidap run``."""
    asyncio.run(serve(settings))
