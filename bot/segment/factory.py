"""Create the configured Segmenter by name."""

from __future__ import annotations

from bot.errors import ConfigError
from bot.segment.base import Segmenter

BACKENDS = ("underthesea", "syllable")


def create_segmenter(name: str) -> Segmenter:
    """Return a Segmenter for ``name`` (one of :data:`BACKENDS`)."""
    if name == "underthesea":
        from bot.segment.underthesea_backend import UndertheseaSegmenter

        return UndertheseaSegmenter()
    if name == "syllable":
        from bot.segment.syllable import SyllableSegmenter

        return SyllableSegmenter()
    raise ConfigError(f"Bộ tách từ không hợp lệ: {name!r} (chọn một trong: {', '.join(BACKENDS)})")
