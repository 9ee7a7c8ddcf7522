"""The VectorIndex interface: nearest units by inner product of unit vectors."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np


class VectorIndex(ABC):
    """Stores L2-normalized vectors by position; inner product = cosine."""

    name: str = "base"

    @abstractmethod
    def add(self, vectors: np.ndarray) -> None:
        """Append vectors (n, dim); their positions continue the existing ones."""

    @abstractmethod
    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, positions) of each query row, shapes (m, k); positions -1 are padding."""

    @abstractmethod
    def scores_many(self, queries: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Exact inner products of the vectors at ``positions`` with each query row, shape (len(positions), m)."""

    @abstractmethod
    def vector(self, position: int) -> np.ndarray:
        """The stored vector at ``position``."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index to ``path``."""

    @abstractmethod
    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, positions) for one query vector, padding dropped."""
        scores, ids = self.search_many(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def scores_for(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the vectors at ``positions``."""
        return self.scores_many(np.asarray(query, dtype=np.float32).reshape(1, -1), positions)[:, 0]
