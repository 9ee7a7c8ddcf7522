"""A build cache on disk: values by (space, key) in one SQLite table, where the space is what the
value depends on besides the text (the model, the segmenter) and the key is a hash of the text.

SQLite gives atomic commits, so a build killed mid-way leaves a valid cache behind; WAL lets a
second build read while one writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path


class KeyedCache:
    """``table`` with columns (``space``, key, ``value``); values are stored as given (TEXT or BLOB)."""

    def __init__(self, path: Path, table: str, space: str, value: str, value_type: str) -> None:
        self.path = Path(path)
        self.table, self.space, self.value = table, space, value
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            f"CREATE TABLE IF NOT EXISTS {table} ({space} TEXT NOT NULL, key TEXT NOT NULL, "
            f"{value} {value_type} NOT NULL, PRIMARY KEY ({space}, key))"
        )
        self.db.commit()

    def get(self, space: str, keys: Sequence[str]) -> dict[str, object]:
        """Stored values of ``keys`` in ``space`` (missing ones are absent)."""
        unique = list(dict.fromkeys(keys))
        found: dict[str, object] = {}
        for start in range(0, len(unique), 500):  # SQLite's limit on bound parameters
            chunk = unique[start : start + 500]
            rows = self.db.execute(
                f"SELECT key, {self.value} FROM {self.table} WHERE {self.space} = ? "
                f"AND key IN ({','.join('?' * len(chunk))})",
                [space, *chunk],
            )
            found.update(rows)
        return found

    def put(self, space: str, items: Sequence[tuple[str, object]]) -> None:
        self.db.executemany(
            f"INSERT OR REPLACE INTO {self.table} ({self.space}, key, {self.value}) VALUES (?, ?, ?)",
            [(space, k, v) for k, v in items],
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()
