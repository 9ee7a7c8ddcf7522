"""Times as officers read them in the configured zone (Vietnam time by default), dd/mm/yyyy HH:mm,
and the zone named wherever a time is shown or exported (a spreadsheet says which clock it uses)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ("Asia/Ho_Chi_Minh", "Asia/Saigon")


def zone_label(timezone: str, when: dt.datetime | None = None) -> str:
    """ "giờ Việt Nam, UTC+07:00" (another zone: its name and offset)."""
    offset = (when or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(timezone)).strftime("%z")
    utc = f"UTC{offset[:3]}:{offset[3:]}"
    return f"giờ Việt Nam, {utc}" if timezone in VIETNAM else f"{timezone}, {utc}"


def local(when: dt.datetime, timezone: str) -> dt.datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)  # SQLite keeps UTC without its zone
    return when.astimezone(ZoneInfo(timezone))


def local_text(when: dt.datetime | None, timezone: str) -> str:
    return local(when, timezone).strftime("%d/%m/%Y %H:%M") if when is not None else ""


def local_day(when: dt.datetime, timezone: str) -> dt.date:
    """The local day ``when`` falls on (statistics count questions per local day)."""
    return local(when, timezone).date()


def utc_bounds(since: dt.date, until: dt.date, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    """Local days ``since`` … ``until`` (inclusive) as UTC instants [start, end)."""
    tz = ZoneInfo(timezone)
    start = dt.datetime.combine(since, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    return start, end
