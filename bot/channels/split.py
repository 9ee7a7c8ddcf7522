"""Cutting long replies to a channel's message limit without breaking them.

Limits are counted in UTF-16 code units, as Telegram and Zalo count them (an emoji is two).
Cuts fall at blank lines, then line ends, then spaces, and only inside a word when one word is
longer than the limit. HTML parts are built from blocks of plain text, each wrapped in at most one
tag: a block cut in two is closed in one part and reopened in the next, and text is escaped after
cutting, so no part ever holds half a tag or half an entity.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The longest prefix length of ``text`` measuring at most ``limit`` (measure grows with length)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def cut(text: str, limit: int, measure: Callable[[str], int] = utf16_len) -> tuple[str, str]:
    """(head, rest): the longest head within ``limit`` ending at the best boundary; the whitespace
    at the cut belongs to neither."""
    if measure(text) <= limit:
        return text, ""
    n = _fit(text, limit, measure)
    if n == 0:
        raise ValueError(f"limit {limit} too small for {text[:1]!r}")
    window = text[: n + 1]  # a boundary right after the prefix counts too
    for sep, floor in (("\n\n", n // 2), ("\n", n // 2), (" ", 0)):
        i = window.rfind(sep)
        if i > floor and i <= n:
            return text[:i], text[i + len(sep) :]
    return text[:n], text[n:]


def split_text(text: str, limit: int, measure: Callable[[str], int] = utf16_len) -> list[str]:
    """Pieces of ``text`` each measuring at most ``limit``; pieces of only whitespace are dropped."""
    pieces = []
    while text:
        head, text = cut(text, limit, measure)
        if head.strip():
            pieces.append(head)
    return pieces


def _wrap(tag: str | None, text: str) -> str:
    body = escape(text, quote=False)
    return f"<{tag}>{body}</{tag}>" if tag else body


def split_blocks(blocks: list[tuple], limit: int, sep: str = "\n\n") -> list[str]:
    """HTML messages of at most ``limit`` UTF-16 units from ``(tag or None, plain text)`` blocks
    (a third item overrides the separator put before that block).

    Blocks are joined with ``sep``; a block that does not fit is cut, its tag closed at the end of
    one part and reopened at the start of the next.
    """
    parts: list[str] = []
    current = ""
    default_sep = sep
    for block in blocks:
        tag, text = block[0], block[1]
        sep = block[2] if len(block) > 2 else default_sep
        if not text.strip():
            continue
        overhead = utf16_len(_wrap(tag, ""))

        def measure(s: str, overhead: int = overhead) -> int:
            return utf16_len(escape(s, quote=False)) + overhead

        rest = text
        while rest:
            room = limit - (utf16_len(current) + utf16_len(sep) if current else 0)
            whole = _wrap(tag, rest)
            if utf16_len(whole) <= room:
                current = f"{current}{sep}{whole}" if current else whole
                break
            if current and room < max(limit // 3, overhead + 1):
                parts.append(current)  # too little room left here: start the block in a new part
                current = ""
                continue
            head, rest = cut(rest, room, measure)
            if head.strip():
                piece = _wrap(tag, head)
                current = f"{current}{sep}{piece}" if current else piece
            if current:
                parts.append(current)
            current = ""
    if current:
        parts.append(current)
    return parts
