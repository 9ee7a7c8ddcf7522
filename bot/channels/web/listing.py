"""What the dashboard's lists share (the habits of Django admin and Metabase): filters read from the
query string, a date range in Vietnam time, a count, and pages whose links keep the filters."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request

from bot.localtime import day_start, parse_day

PAGE_SIZE = 25


@dataclass(frozen=True)
class Range:
    """A date range typed in the form (inclusive days, Vietnam time), and the UTC instants it spans."""

    first: dt.date | None
    last: dt.date | None

    @property
    def since(self) -> dt.datetime | None:
        return day_start(self.first) if self.first else None

    @property
    def until(self) -> dt.datetime | None:
        return day_start(self.last + dt.timedelta(days=1)) if self.last else None

    def holds(self, when: dt.datetime) -> bool:
        when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)


def date_range(request: Request) -> Range:
    """``from`` and ``to`` (2026-12-07 from a date field, or 07/12/2026); a reversed range is swapped."""
    first = parse_day(request.query_params.get("from"))
    last = parse_day(request.query_params.get("to"))
    if first and last and first > last:
        first, last = last, first
    return Range(first, last)


def text(request: Request, name: str, limit: int = 200) -> str:
    return (request.query_params.get(name) or "").strip()[:limit]


@dataclass(frozen=True)
class Pager:
    """Page ``number`` (from 1) of ``total`` rows, ``size`` a page; links keep the other parameters."""

    number: int
    size: int
    total: int
    params: tuple[tuple[str, str], ...]
    path: str

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first_row(self) -> int:
        return min(self.total, self.offset + 1)

    @property
    def last_row(self) -> int:
        return min(self.total, self.offset + self.size)

    def link(self, number: int) -> str:
        query = [(k, v) for k, v in self.params if k != "page" and v] + ([("page", str(number))] if number > 1 else [])
        return self.path + ("?" + urlencode(query) if query else "")

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None

    def rows(self, items: list) -> list:
        """This page's share of a list filtered in Python (the unanswered groups, the review queue)."""
        return items[self.offset : self.offset + self.size]


def pager(request: Request, total: int, size: int = PAGE_SIZE) -> Pager:
    try:
        number = int(request.query_params.get("page", "1"))
    except ValueError:
        number = 1
    params = tuple((k, v) for k, v in request.query_params.multi_items())
    pages = max(1, math.ceil(total / size))
    return Pager(max(1, min(number, pages)), size, total, params, request.url.path)
