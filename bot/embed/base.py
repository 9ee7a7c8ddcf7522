"""The Embedder interface: text in, L2-normalized float32 vectors out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np


class Embedder(ABC):
    """Embeds questions and document units into one vector space (cosine = dot)."""

    #: Identifies the model *and* everything that changes its vectors (prompts,
    #: segmentation); stored in the index manifest and keys the embedding cache.
    model_id: str
    dim: int

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for member questions, shape (n, dim)."""

    @abstractmethod
    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors for document units, shape (n, dim); ``progress(k)`` after each batch of k."""
