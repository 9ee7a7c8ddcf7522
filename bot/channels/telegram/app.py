"""Build and run the Telegram application (python-telegram-bot 22).

``build_app`` registers every handler in one place. ``start``/``stop`` run it
inside an existing asyncio loop (polling or webhook), so the Zalo adapter can
share the process and tests can drive it against a fake Bot API server.
"""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    PollAnswerHandler,
    PollHandler,
    filters,
)

from bot.channels.ratelimit import UserRateLimiter
from bot.channels.telegram import admin
from bot.channels.telegram import handlers as h
from bot.channels.telegram import quiz as q
from bot.channels.telegram.ordering import PerMemberUpdateProcessor
from bot.errors import ConfigError
from bot.settings import Settings

log = logging.getLogger(__name__)
# httpx logs each request URL at INFO, and the bot token is part of every Bot API URL.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

# The menu members see; officers' quiz commands are described in the README and /help.
COMMANDS = [
    BotCommand("hoi", "Hỏi về văn bản: /hoi câu hỏi"),
    BotCommand("bxh", "Bảng xếp hạng câu đố của nhóm"),
    BotCommand("help", "Văn bản đang trả lời và cách hỏi"),
    BotCommand("start", "Giới thiệu trợ lý"),
]


def build_app(settings: Settings, core) -> Application:
    """The Telegram application with all handlers registered, talking to ``settings.telegram_base_url``."""
    if settings.telegram_token is None:
        raise ConfigError("Chưa cấu hình HOIDAP_TELEGRAM_TOKEN (lấy từ @BotFather).")
    app = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_base_url)
        .base_file_url(settings.telegram_base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(PerMemberUpdateProcessor(64))
        .build()
    )
    app.bot_data.update(core=core, settings=settings, limiter=UserRateLimiter(settings.questions_per_minute))

    messages = filters.UpdateType.MESSAGE | filters.UpdateType.EDITED_MESSAGE
    app.add_handler(CommandHandler("start", h.start))
    app.add_handler(CommandHandler("help", h.help_command))
    app.add_handler(CommandHandler("hoi", h.hoi))
    for name, fn in (
        ("quiz_on", q.quiz_on),
        ("quiz_off", q.quiz_off),
        ("quiz_now", q.quiz_now),
        ("quiz_preview", q.quiz_preview),
        ("quiz_skip", q.quiz_skip),
        ("quiz_stats", q.quiz_stats),
        ("bxh", q.leaderboard),
        ("officer_add", q.officer_add),
        ("officer_remove", q.officer_remove),
    ):
        app.add_handler(CommandHandler(name, fn))
    for name, fn in (
        ("docs", admin.docs_command),
        ("reindex", admin.reindex_command),
        ("rollback", admin.rollback_command),
        ("unanswered", admin.unanswered_command),
    ):
        app.add_handler(CommandHandler(name, fn))
    app.add_handler(MessageHandler(filters.Document.ALL & filters.UpdateType.MESSAGE, admin.on_document))
    app.add_handler(CallbackQueryHandler(admin.on_upload_button, pattern=r"^u\|"))
    app.add_handler(PollAnswerHandler(q.on_poll_answer))
    app.add_handler(PollHandler(q.on_poll))
    app.add_handler(CallbackQueryHandler(h.on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & messages, h.on_text))
    app.add_handler(
        MessageHandler(
            ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL & filters.UpdateType.MESSAGE, h.on_not_text
        )
    )
    app.add_error_handler(h.on_error)
    return app


async def on_startup(app: Application) -> None:
    """Publish the command menu (``setMyCommands``) and re-register quiz schedules from the database."""
    await app.bot.set_my_commands(COMMANDS)
    count = await q.register_schedules(app)
    log.info("telegram: %d quiz schedule(s) registered", count)


async def start(app: Application, settings: Settings) -> None:
    """Initialize and start receiving updates in the running loop (polling or webhook)."""
    await app.initialize()
    await on_startup(app)
    await app.start()
    if settings.telegram_mode == "webhook":
        if not settings.webhook_url or settings.webhook_secret is None:
            raise ConfigError("Chế độ webhook cần HOIDAP_WEBHOOK_URL và HOIDAP_WEBHOOK_SECRET.")
        await app.updater.start_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=urlparse(settings.webhook_url).path.lstrip("/"),
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        log.info("telegram: webhook on %s:%s", settings.webhook_listen, settings.webhook_port)
    else:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("telegram: polling")


async def stop(app: Application) -> None:
    """Stop receiving updates and release resources."""
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
