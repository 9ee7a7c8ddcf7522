"""Run the configured channels (Telegram and/or Zalo) and the one quiz scheduler in one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.channels.logs import add_secrets
from bot.conversation.scheduler import QuizScheduler
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
            )
            if s is not None
        )
    )


async def serve(settings: Settings, stop: asyncio.Event | None = None, assistant: Assistant | None = None) -> None:
    """Start every channel that has a token; stop them all when ``stop`` is set (or on SIGINT/SIGTERM)."""
    protect_secrets(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    core = assistant or Assistant(settings)
    await asyncio.to_thread(core.warm_up)  # load model and index before the first question
    scheduler = QuizScheduler(core.conversation(), settings.quiz_tick_seconds)
    started = []
    try:
        if settings.telegram_token:
            from bot.channels.telegram.app import TelegramChannel

            telegram = TelegramChannel(settings, core, scheduler)
            await telegram.start()
            started.append(("telegram", telegram.stop))
        if settings.zalo_token:
            from bot.channels.zalo.app import ZaloChannel

            zalo = ZaloChannel(settings, core, scheduler=scheduler)
            await zalo.start()
            started.append(("zalo", zalo.stop))
        scheduler.start()
        log.info("running: %s", ", ".join(name for name, _ in started))
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
        await scheduler.stop()
        for name, shutdown in reversed(started):
            try:
                await shutdown()
            except Exception:
                log.exception("error while stopping %s", name)
        await asyncio.to_thread(core.close)


def run_channels(settings: Settings) -> None:
    """Blocking entry point used by ``hoidap run``."""
    asyncio.run(serve(settings))
