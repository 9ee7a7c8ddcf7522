"""Segment many texts at build time: cached by content, and on every core when there are many.

Word segmentation is the slowest step of a build (underthesea's CRF, ~3 ms per answer);
its result depends only on the text and the segmenter, so it is kept in a SQLite cache
next to the embedding cache (a rebuild after ``docs add`` segments only the new
answers), and a large batch is split over worker processes (spawned, not forked: the
build process holds FAISS and onnxruntime threads that a fork must not copy).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from bot.index.cachefile import KeyedCache
from bot.segment.base import Segmenter

# Below this many texts a worker's start (~1 s: Python, then underthesea) costs more than it saves.
PARALLEL_MIN = 2_000
CHUNK = 200


class SegmentCache:
    """Words of texts already segmented, by (segmenter, SHA-256 of the text)."""

    def __init__(self, path: Path) -> None:
        self._cache = KeyedCache(path, "words", "segmenter", "words", "TEXT")
        self.path = self._cache.path

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, segmenter: str, keys: Sequence[str]) -> dict[str, list[str]]:
        return {k: json.loads(w) for k, w in self._cache.get(segmenter, keys).items()}

    def put_many(self, segmenter: str, items: Sequence[tuple[str, list[str]]]) -> None:
        self._cache.put(segmenter, [(k, json.dumps(w, ensure_ascii=False)) for k, w in items])

    def close(self) -> None:
        self._cache.close()


_worker: Segmenter | None = None


def _start(name: str) -> None:
    global _worker
    from bot.segment.factory import create_segmenter

    _worker = create_segmenter(name)


def _segment(texts: list[str]) -> list[list[str]]:
    return [_worker.words(t) for t in texts]


def segment_many(
    segmenter: Segmenter,
    texts: Sequence[str],
    cache: SegmentCache | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[list[str]]:
    """``segmenter.words(t)`` for every text, in order (cached, and in ``workers`` processes when many)."""
    from bot.segment.factory import BACKENDS

    cache_id = segmenter.cache_id
    keys = [SegmentCache.key(t) for t in texts]
    known = cache.get_many(cache_id, keys) if cache is not None else {}
    todo = list({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if progress and len(texts) - len(todo):
        progress(len(texts) - len(todo))
    if todo:
        pending = [t for _, t in todo]
        if workers > 1 and len(pending) >= PARALLEL_MIN and segmenter.name in BACKENDS:
            chunks = [pending[i : i + CHUNK] for i in range(0, len(pending), CHUNK)]
            context = multiprocessing.get_context("spawn")
            done: list[list[str]] = []
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=_start, initargs=(segmenter.name,)
            ) as pool:
                for part in pool.map(_segment, chunks):
                    done.extend(part)
                    if progress:
                        progress(len(part))
        else:
            done = []
            for t in pending:
                done.append(segmenter.words(t))
                if progress:
                    progress(1)
        fresh = [(k, w) for (k, _), w in zip(todo, done, strict=True)]
        if cache is not None:
            cache.put_many(cache_id, fresh)
        known.update(fresh)
    return [known[k] for k in keys]
