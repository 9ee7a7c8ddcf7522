"""A segmenter that keeps syllables as they are (no model, no dependencies)."""

from __future__ import annotations

import re

from bot.segment.base import Segmenter

_TOKEN_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class SyllableSegmenter(Segmenter):
    """Every syllable is its own word; punctuation becomes separate tokens."""

    name = "syllable"

    def words(self, text: str) -> list[str]:
        return _TOKEN_RE.findall(text)
