"""Embedding cache keyed by (model id, hash of the normalized text).

Rebuilding after adding one document re-embeds only the new units (:class:`KeyedCache`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.index.cachefile import KeyedCache
from bot.text.normalize import canonical


def text_key(text: str) -> str:
    return key_of_canonical(canonical(text))


def key_of_canonical(text: str) -> str:
    """:func:`text_key` of a text already in canonical form."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors of unit texts already embedded with a given model."""

    def __init__(self, path: Path) -> None:
        self._cache = KeyedCache(path, "vectors", "model", "vec", "BLOB")
        self.path = self._cache.path
        self._db = self._cache.db

    def get_many(self, model_id: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for ``texts``, by text key (missing ones are absent)."""
        return self.get_keys(model_id, [text_key(t) for t in texts])

    def get_keys(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors by text key (:func:`text_key`); missing ones are absent."""
        return {k: np.frombuffer(blob, dtype=np.float32) for k, blob in self._cache.get(model_id, keys).items()}

    def put_many(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.put_keys(model_id, [text_key(t) for t in texts], vectors)

    def put_keys(self, model_id: str, keys: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)]
        self._cache.put(model_id, rows)

    def models(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT model FROM vectors")]

    def drop_other_models(self, model_id: str) -> int:
        """Forget vectors of every other model; returns how many rows went."""
        cur = self._db.execute("DELETE FROM vectors WHERE model != ?", (model_id,))
        self._db.commit()
        return cur.rowcount

    def count(self, model_id: str) -> int:
        return self._db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (model_id,)).fetchone()[0]

    def close(self) -> None:
        self._cache.close()
