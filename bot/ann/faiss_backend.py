"""FAISS vector index: exact inner product for small corpora, HNSW for large ones.

Exact search over a few thousand 384-d vectors costs well under a millisecond;
past ``hnsw_min_units`` (a size measured by ``scripts/bench.py``) the graph
index keeps search latency flat as the corpus grows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.ann.base import VectorIndex
from bot.errors import IndexStoreError

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class FaissVectorIndex(VectorIndex):
    """``IndexFlatIP`` or ``IndexHNSWFlat`` (inner product), chosen by expected size."""

    name = "faiss"

    def __init__(self, dim: int, expected_size: int = 0, hnsw_min_units: int = 50_000, index=None) -> None:
        import faiss

        self.dim = dim
        if index is None:
            if expected_size >= hnsw_min_units:
                index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            else:
                index = faiss.IndexFlatIP(dim)
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        self.index = index

    @property
    def kind(self) -> str:
        return "hnsw" if hasattr(self.index, "hnsw") else "flat"

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def scores_for(self, query: np.ndarray, positions: np.ndarray) -> np.ndarray:
        if len(positions) == 0:
            return np.zeros(0, np.float32)
        vecs = self.index.reconstruct_batch(np.asarray(positions, dtype=np.int64))
        return vecs @ query.astype(np.float32).ravel()

    def vector(self, position: int) -> np.ndarray:
        return self.index.reconstruct(int(position))

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        import faiss

        try:
            index = faiss.read_index(str(path))
        except RuntimeError as e:
            raise IndexStoreError(f"Không đọc được chỉ mục vector {path}: {e}") from e
        return cls(index.d, index=index)

    def __len__(self) -> int:
        return int(self.index.ntotal)
