"""Create or load the configured VectorIndex by name."""

from __future__ import annotations

from pathlib import Path

from bot.ann.base import VectorIndex
from bot.errors import ConfigError

BACKENDS = ("faiss",)


def create_vector_index(name: str, dim: int, expected_size: int, hnsw_min_units: int) -> VectorIndex:
    """A new, empty VectorIndex of backend ``name``."""
    if name == "faiss":
        from bot.ann.faiss_backend import FaissVectorIndex

        return FaissVectorIndex(dim, expected_size, hnsw_min_units)
    raise ConfigError(f"Chỉ mục vector không hợp lệ: {name!r} (chọn một trong: {', '.join(BACKENDS)})")


def load_vector_index(name: str, path: Path) -> VectorIndex:
    """Load a VectorIndex of backend ``name`` saved at ``path``."""
    if name == "faiss":
        from bot.ann.faiss_backend import FaissVectorIndex

        return FaissVectorIndex.load(path)
    raise ConfigError(f"Chỉ mục vector không hợp lệ: {name!r} (chọn một trong: {', '.join(BACKENDS)})")
