"""Times as officers read them: Vietnam time (Asia/Ho_Chi_Minh), dd/mm/yyyy HH:mm, the zone named
where a time leaves the page (exports). The database keeps UTC; only display converts."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
ZONE_LABEL = "giờ Việt Nam"


def local(when: dt.datetime) -> dt.datetime:
    """``when`` in Vietnam time (a naive time, as SQLite returns them, is UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(ZONE)


def show(when: dt.datetime | str | None) -> str:
    """dd/mm/yyyy HH:mm in Vietnam time; an ISO string (index versions' ``built_at``) is read first."""
    if when is None or when == "":
        return ""
    if isinstance(when, str):
        try:
            when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return when
        if when.tzinfo is None:  # versions built before times carried their offset: the host's time
            when = when.astimezone()
    return f"{local(when):%d/%m/%Y %H:%M}"


_DAY = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")


def parse_day(text: str | None) -> dt.date | None:
    """A day typed by an officer: 2026-12-07 (the browser's date field) or 07/12/2026; None if empty
    or not a date."""
    if not text:
        return None
    match = _DAY.match(text)
    try:
        if match:
            return dt.date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def day_start(day: dt.date) -> dt.datetime:
    """The instant a Vietnam day begins, in UTC (for queries on UTC columns)."""
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(dt.UTC)
