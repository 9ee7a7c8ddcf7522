"""The KeywordIndex interface: lexical relevance of every unit to a question."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np


class KeywordIndex(ABC):
    """Scores units by shared terms (see ``bot.text.analysis.lexical_terms``)."""

    name: str = "base"

    @abstractmethod
    def index(self, documents: Sequence[list[str]]) -> None:
        """Build from one term list per unit, in unit order."""

    @abstractmethod
    def scores(self, terms: list[str]) -> np.ndarray:
        """One score per unit (0 where no term is shared)."""

    def sparse(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(positions, scores) of the units sharing a term with ``terms``, positions ascending."""
        scores = self.scores(terms)
        positions = np.flatnonzero(scores > 0)
        return positions, scores[positions]

    def top(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, positions) with a positive score, best first."""
        positions, scores = self.sparse(terms)
        if k <= 0 or not len(positions):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        if len(positions) > k:
            part = np.argpartition(-scores, k - 1)[:k]
            positions, scores = positions[part], scores[part]
        order = np.argsort(-scores, kind="stable")
        return scores[order], positions[order].astype(np.int64)

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index under directory ``path``."""
