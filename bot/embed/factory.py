"""Create the configured Embedder by name."""

from __future__ import annotations

from bot.embed.base import Embedder
from bot.errors import ConfigError
from bot.settings import Settings

BACKENDS = ("onnx", "sentence-transformers")


def create_embedder(settings: Settings) -> Embedder:
    """Return the Embedder named by ``settings.embedder``."""
    if settings.embedder == "onnx":
        from bot.embed.onnx_backend import OnnxEmbedder

        return OnnxEmbedder(settings)
    if settings.embedder == "sentence-transformers":
        from bot.embed.sentence_transformer import SentenceTransformerEmbedder

        segmenter = None
        if settings.model_segmented:
            from bot.segment.factory import create_segmenter

            segmenter = create_segmenter(settings.segmenter)
        return SentenceTransformerEmbedder(settings, segmenter)
    raise ConfigError(
        f"Bộ nhúng (embedder) không hợp lệ: {settings.embedder!r} (chọn một trong: {', '.join(BACKENDS)})"
    )
