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
        known = [t for t in terms if t in self._retriever.vocab_dict]
        if not known:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

    def top(self, terms: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.scores(terms)
        k = min(k, self._size)
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        part = np.argpartition(-scores, k - 1)[:k]
        part = part[np.argsort(-scores[part])]
        keep = scores[part] > 0
        return scores[part][keep], part[keep].astype(np.int64)

    def save(self, path: Path) -> None:
        self._retriever.save(str(path), show_progress=False)
        (Path(path) / "size.txt").write_text(str(self._size))

    @classmethod
    def load(cls, path: Path) -> BM25KeywordIndex:
        import bm25s

        try:
            retriever = bm25s.BM25.load(str(path), show_progress=False, mmap=False)
            size = int((Path(path) / "size.txt").read_text())
        except (OSError, ValueError) as e:
            raise IndexStoreError(f"Không đọc được chỉ mục từ khóa {path}: {e}") from e
        return cls(retriever, size)
