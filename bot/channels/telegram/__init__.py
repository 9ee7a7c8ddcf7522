"""Telegram channel on python-telegram-bot (async, polling or webhook)."""
