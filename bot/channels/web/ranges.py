"""The date range of a dashboard page or export: the last 7, 30 or 90 days, or from–to (local days,
both included), read from the query string (``?days=30`` or ``?from=2026-11-01&to=2026-11-30``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

PRESETS = (7, 30, 90)
DEFAULT = 30
MAX_DAYS = 3650
BAD_RANGE = (
    "Khoảng ngày không hợp lệ: chọn “từ ngày” trước “đến ngày”, dạng ngày/tháng/năm. Đang hiện {days} ngày gần nhất."
)


@dataclass(frozen=True)
class DateRange:
    since: dt.date
    until: dt.date
    preset: int | None  # 7, 30, 90; None for a custom range
    error: str | None = None

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    @property
    def label(self) -> str:
        if self.preset:
            return f"{self.preset} ngày gần nhất"
        return f"từ {self.since:%d/%m/%Y} đến {self.until:%d/%m/%Y}"

    @property
    def query(self) -> str:
        """The same range in a link (exports keep the page's range)."""
        if self.preset:
            return f"days={self.preset}"
        return f"from={self.since.isoformat()}&to={self.until.isoformat()}"

    @property
    def stamp(self) -> str:
        """For file names: ``2026-11-01_2026-11-30``."""
        return f"{self.since.isoformat()}_{self.until.isoformat()}"


def _last(days: int, today: dt.date, preset: int | None, error: str | None = None) -> DateRange:
    return DateRange(today - dt.timedelta(days=days - 1), today, preset, error)


def date_range(params, today: dt.date) -> DateRange:
    """The range asked for; a wrong one falls back to the default with a Vietnamese note."""
    start, end = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    if start or end:
        try:
            since = dt.date.fromisoformat(start) if start else today - dt.timedelta(days=DEFAULT - 1)
            until = dt.date.fromisoformat(end) if end else today
        except ValueError:
            return _last(DEFAULT, today, DEFAULT, BAD_RANGE.format(days=DEFAULT))
        if since > until or (until - since).days >= MAX_DAYS:
            return _last(DEFAULT, today, DEFAULT, BAD_RANGE.format(days=DEFAULT))
        return DateRange(since, until, None)
    try:
        days = int(params.get("days") or DEFAULT)
    except ValueError:
        return _last(DEFAULT, today, DEFAULT, BAD_RANGE.format(days=DEFAULT))
    days = max(1, min(MAX_DAYS, days))
    return _last(days, today, days if days in PRESETS else None)
