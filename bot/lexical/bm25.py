"""BM25 keyword index on bm25s (sparse matrix scoring, saved as .npy files)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.errors import IndexStoreError
from bot.lexical.base import KeywordIndex

# bm25s logs every build at DEBUG through its own handler; keep it quiet.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class BM25KeywordIndex(KeywordIndex):
    """Okapi BM25 (Lucene variant) over folded syllables and syllable pairs."""

    name = "bm25"

    def __init__(self, retriever=None, size: int = 0) -> None:
        self._retriever = retriever
        self._size = size

    def index(self, documents: Sequence[list[str]]) -> None:
        import bm25s

        # bm25s drops empty documents' rows unless every doc has a token: keep a
        # placeholder so positions stay aligned with units.
        docs = [d if d else ["<empty>"] for d in documents]
        self._retriever = bm25s.BM25(k1=1.2, b=0.75)
        self._retriever.index(docs, show_progress=False)
        self._size = len(docs)

    def scores(self, terms: list[str]) -> np.ndarray:
        """One score per unit: the sum, term by term in query order, of bm25s's precomputed per-term
        scores (what ``bm25s.BM25.get_scores`` computes, without its per-call checks and copies)."""
        vocab = self._retriever.vocab_dict
        ids = [vocab[t] for t in terms if t in vocab]
        scores = np.zeros(self._size, dtype=np.float32)
        if not ids:
            return scores
        matrix = self._retriever.scores
        data, indices, indptr = matrix["data"], matrix["indices"], matrix["indptr"]
        for t in ids:
            start, end = indptr[t], indptr[t + 1]
            # A term's postings name each unit once, so a fancy-indexed add is exact (np.add.at is
            # only needed for repeated indices) and several times faster.
            scores[indices[start:end]] += data[start:end]
        return scores

    def sparse(self, terms: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # BM25 (Lucene idf) gives every shared term a positive score: non-zero = shares a term.
        scores = self.scores(terms)
        positions = np.flatnonzero(scores)
        return positions, scores[positions]

    def save(self, path: Path) -> None:
        self._retriever.save(str(path), show_progress=False)
        (Path(path) / "size.txt").write_text(str(self._size))

    @classmethod
    def load(cls, path: Path) -> BM25KeywordIndex:
        import bm25s

        try:
            # Memory-mapped: the score matrix is read from the page cache, shared between processes.
            retriever = bm25s.BM25.load(str(path), show_progress=False, mmap=True)
            size = int((Path(path) / "size.txt").read_text())
        except (OSError, ValueError) as e:
            raise IndexStoreError(f"Không đọc được chỉ mục từ khóa {path}: {e}") from e
        return cls(retriever, size)
