"""Linked phrasings as extra question units of their answers, kept in memory beside the index.

The index versions stay as they were built; the phrasings admins linked (or marked out of scope)
live in the database and are laid over whichever version is active: each is normalised like a
member's message and embedded with the same model and query adapter, and kept in a small matrix.
Only phrasings not seen before are embedded, so a new link is in service within seconds, in every
process (each polls the database's phrasing revision), without a rebuild or a restart.

A message then meets them by cosine: the nearest linked phrasing at or above the calibrated
``phrase_link`` threshold answers with its official answer; the nearest out-of-scope mark at or
above ``phrase_oos`` (and closer than any link) makes the bot refuse. Both thresholds are fitted
by ``hoidap calibrate`` on our own labelled questions (see :mod:`bot.answer.fit`).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from bot import outages
from bot.learning import store
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    phrasing_id: int
    kind: str  # store.LINK | store.OUT_OF_SCOPE
    text: str
    target: store.Target | None


@dataclass(frozen=True)
class Match:
    entry: Entry
    similarity: float


@dataclass
class Snapshot:
    """Phrasings in service for one index version (two vectors each: whole message and question part)."""

    version: str
    revision: tuple
    entries: list[Entry] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 1), np.float32))
    owners: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # row → entry index

    def nearest(self, queries: np.ndarray) -> tuple[Match | None, Match | None]:
        """The closest linked phrasing and the closest out-of-scope mark to any of ``queries``."""
        if not self.entries or queries.size == 0:
            return None, None
        sims = (self.vectors @ np.asarray(queries, np.float32).T).max(axis=1)
        best: dict[str, Match] = {}
        for row in np.argsort(-sims):
            entry = self.entries[int(self.owners[row])]
            if entry.kind not in best:
                best[entry.kind] = Match(entry, float(sims[row]))
            if len(best) == 2:
                break
        return best.get(store.LINK), best.get(store.OUT_OF_SCOPE)


class PhrasingMemory:
    """Keeps the :class:`Snapshot` of the active version up to date (polling at most every ``interval``)."""

    def __init__(self, db: Database, interval: float = 2.0) -> None:
        self.db = db
        self.interval = interval
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._vectors: dict[tuple[str, str], np.ndarray] = {}  # (version, text) → its vectors
        self._reconciled: str | None = None

    def invalidate(self) -> None:
        """A link or mark changed in this process: look at the database on the next question
        (other processes see it within ``interval``)."""
        self._checked = 0.0

    def snapshot(self, retriever) -> Snapshot:
        """Phrasings in service for the retriever's version (reloaded when the database changed)."""
        version = retriever.version
        now = time.monotonic()
        current = self._snapshot
        if current is not None and current.version == version.name and now - self._checked < self.interval:
            return current
        with self._lock:
            try:
                if self._reconciled != version.name:
                    store.reconcile(self.db, version)  # links follow the document versions
                    self._reconciled = version.name
                rev = store.revision(self.db)
            except Exception as e:  # the database is unwell: answer without phrasings rather than not at all
                outages.failure("database", "answering without the admins' phrasings", e)
                self._checked = now
                return (
                    current if current is not None and current.version == version.name else Snapshot(version.name, ())
                )
            self._checked = now
            current = self._snapshot
            if current is not None and current.version == version.name and current.revision == rev:
                return current
            self._snapshot = self._load(retriever, rev)
            return self._snapshot

    def _load(self, retriever, rev: tuple) -> Snapshot:
        version = retriever.version
        rows = store.listed(self.db, (store.ACTIVE,))
        entries: list[Entry] = []
        for row in rows:
            target = store._target_of(row)
            if row.kind == store.LINK and (target is None or store.resolve(version, target) is None):
                continue
            entries.append(Entry(row.id, row.kind, row.text, target if row.kind == store.LINK else None))
        missing = [e.text for e in entries if (version.name, e.text) not in self._vectors]
        if missing:
            texts, owners = [], []
            for i, text in enumerate(missing):
                query = retriever.query(text)
                for t in dict.fromkeys((query.dense_full, query.dense_focus)):
                    texts.append(t)
                    owners.append(i)
            vecs = retriever.embedder.embed_queries(texts)
            for i, text in enumerate(missing):
                self._vectors[(version.name, text)] = vecs[[k for k, o in enumerate(owners) if o == i]]
            log.info("phrasings: %d new embedded (%d in service)", len(missing), len(entries))
        self._vectors = {k: v for k, v in self._vectors.items() if k[0] == version.name}
        if not entries:
            return Snapshot(version.name, rev)
        blocks = [self._vectors[(version.name, e.text)] for e in entries]
        owners = np.concatenate([np.full(len(b), i, np.int64) for i, b in enumerate(blocks)])
        return Snapshot(version.name, rev, entries, np.vstack(blocks).astype(np.float32), owners)
