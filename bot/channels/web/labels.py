"""Names officers read for the channels, on every dashboard page and export."""

CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "web": "Web", "terminal": "Máy chủ"}
