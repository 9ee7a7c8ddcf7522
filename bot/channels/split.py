"""Split long replies at paragraph boundaries to fit a channel's message limit."""

from __future__ import annotations


def split_message(text: str, limit: int) -> list[str]:
    """Pieces of ``text`` no longer than ``limit``, cut at blank lines, then lines, then spaces.

    Official answers are never cut mid-word unless a single word exceeds the limit.
    """
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for para in _units(text, limit):
        candidate = f"{current}\n{para}" if current else para
        if len(candidate) <= limit:
            current = candidate
        else:
            if current:
                parts.append(current)
            current = para
    if current:
        parts.append(current)
    return parts


def _units(text: str, limit: int) -> list[str]:
    """Lines of ``text``, each broken further at spaces when longer than ``limit``."""
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            out.append(line[:cut])
            line = line[cut:].lstrip(" ")
        out.append(line)
    return out
