"""Embedding cache keyed by (model id, hash of the normalized text).

Rebuilding after adding one document re-embeds only the new units. SQLite gives
atomic commits, so a build killed mid-way leaves a valid cache behind.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.text.normalize import canonical


def text_key(text: str) -> str:
    return key_of_canonical(canonical(text))


def key_of_canonical(text: str) -> str:
    """:func:`text_key` of a text already in canonical form."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors of unit texts already embedded with a given model."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
            "vec BLOB NOT NULL, PRIMARY KEY (model, key))"
        )
        self._db.commit()

    def get_many(self, model_id: str, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for ``texts``, by text key (missing ones are absent)."""
        return self.get_keys(model_id, [text_key(t) for t in texts])

    def get_keys(self, model_id: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors by text key (:func:`text_key`); missing ones are absent."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE model = ? AND key IN ({marks})", [model_id, *chunk]
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        self.put_keys(model_id, [text_key(t) for t in texts], vectors)

    def put_keys(self, model_id: str, keys: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(model_id, k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)]
        self._db.executemany("INSERT OR REPLACE INTO vectors (model, key, vec) VALUES (?, ?, ?)", rows)
        self._db.commit()

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
        self._db.close()
