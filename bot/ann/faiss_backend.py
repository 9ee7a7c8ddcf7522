"""FAISS vector index: exact inner product for small corpora, HNSW for large ones.

Exact search reads every vector for every question (1.5 KB each): memory bandwidth, not
arithmetic, is its cost, so it grows with the corpus and with how busy the machine is.
From ``hnsw_min_units`` on, an HNSW graph visits a few thousand vectors whatever the
corpus size. Measured with ``scripts/bench.py`` on real embeddings (one thread, one query,
top 64): exact search 0.1 / 0.24 / 0.75 / 2.2 / 5.5 ms at 5k / 10k / 20k / 50k / 100k units,
HNSW 0.3–1 ms from 10k on, so the switch is at 15k. Embeddings of one model's language sit
in a narrow cone, which makes the graph's job hard: at 100k, M 32 / efConstruction 80 /
efSearch 256 found only 0.917 of the exact top 10; efConstruction 200 with efSearch 384
finds 0.985 in ~1 ms (efConstruction 320 costs 1.7x the build time for +0.01; M 48 the same
as M 32). ``--sweep`` reruns the grid.

Index files are memory-mapped (``IO_FLAG_MMAP_IFC``): loading is instant, and several
serving processes on one machine share one copy of the vectors in the page cache.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bot.ann.base import VectorIndex
from bot.errors import IndexStoreError

HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 384


class FaissVectorIndex(VectorIndex):
    """``IndexFlatIP`` or ``IndexHNSWFlat`` (inner product), chosen by expected size."""

    name = "faiss"

    def __init__(
        self,
        dim: int,
        expected_size: int = 0,
        hnsw_min_units: int = 15_000,
        index=None,
        m: int = HNSW_M,
        ef_construction: int = HNSW_EF_CONSTRUCTION,
        ef_search: int = HNSW_EF_SEARCH,
    ) -> None:
        import faiss

        self.dim = dim
        if index is None:
            if expected_size >= hnsw_min_units:
                index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = ef_construction
            else:
                index = faiss.IndexFlatIP(dim)
        if hasattr(index, "hnsw"):
            index.hnsw.efSearch = ef_search
        self.index = index
        self._matrix: np.ndarray | None = None

    @property
    def kind(self) -> str:
        return "hnsw" if hasattr(self.index, "hnsw") else "flat"

    def add(self, vectors: np.ndarray) -> None:
        if len(vectors):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
            self._matrix = None

    def matrix(self) -> np.ndarray:
        """The stored vectors as an (n, dim) float32 array, without copying them (read-only)."""
        if self._matrix is None:
            import faiss

            flat = faiss.downcast_index(self.index.storage) if hasattr(self.index, "hnsw") else self.index
            n = int(flat.ntotal)
            if n == 0:
                self._matrix = np.zeros((0, self.dim), dtype=np.float32)
            else:
                view = faiss.rev_swig_ptr(flat.get_xb(), n * self.dim).reshape(n, self.dim)
                view.flags.writeable = False
                self._matrix = view
        return self._matrix

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(np.asarray(queries, dtype=np.float32).reshape(-1, self.dim))
        k = min(k, len(self))
        if k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        return self.index.search(queries, k)

    def scores_many(self, queries: np.ndarray, positions: np.ndarray) -> np.ndarray:
        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        if len(positions) == 0:
            return np.zeros((0, len(queries)), np.float32)
        return self.matrix()[np.asarray(positions, dtype=np.int64)] @ queries.T

    def vector(self, position: int) -> np.ndarray:
        return np.array(self.matrix()[int(position)])

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path) -> FaissVectorIndex:
        import faiss

        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC)
        except RuntimeError as e:
            raise IndexStoreError(f"Không đọc được chỉ mục vector {path}: {e}") from e
        return cls(index.d, index=index)

    def __len__(self) -> int:
        return int(self.index.ntotal)
