"""Create or load the configured KeywordIndex by name."""

from __future__ import annotations

from pathlib import Path

from bot.errors import ConfigError
from bot.lexical.base import KeywordIndex

BACKENDS = ("bm25",)


def create_keyword_index(name: str) -> KeywordIndex:
    """A new, empty KeywordIndex of backend ``name``."""
    if name == "bm25":
        from bot.lexical.bm25 import BM25KeywordIndex

        return BM25KeywordIndex()
    raise ConfigError(f"Chỉ mục từ khóa không hợp lệ: {name!r} (chọn một trong: {', '.join(BACKENDS)})")


def load_keyword_index(name: str, path: Path) -> KeywordIndex:
    """Load a KeywordIndex of backend ``name`` saved under ``path``."""
    if name == "bm25":
        from bot.lexical.bm25 import BM25KeywordIndex

        return BM25KeywordIndex.load(path)
    raise ConfigError(f"Chỉ mục từ khóa không hợp lệ: {name!r} (chọn một trong: {', '.join(BACKENDS)})")
