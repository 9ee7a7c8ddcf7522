"""Chat channels (Telegram, Zalo): thin adapters over the core in ``bot.service``."""
