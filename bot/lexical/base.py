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

    @abstractmethod
    def top(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` (scores, positions) with a positive score."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index under directory ``path``."""
