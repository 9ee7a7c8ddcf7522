"""Best-effort writes that never hold up a reply: question logs, feedback, confirmations, chat memory.

The answer is delivered first; what is recorded about it goes through this queue and is
written by one background thread. A write that fails because the database is busy, read-only
or gone is retried with backoff (tenacity); the operator is told once, clearly, per kind of
trouble, and again when writing works again. Nothing here raises into the caller.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from bot.storage.db import Database

log = logging.getLogger(__name__)

MAX_PENDING = 10_000  # beyond this the oldest writes are dropped (and said so), memory stays bounded
ATTEMPTS = 12  # with the backoff below: about ten minutes of trying before a write is given up


@dataclass
class _Job:
    what: str
    write: Callable[[Session], None]


def trouble_kind(error: BaseException) -> str | None:
    """What is wrong with the database, in a word, for errors worth retrying; None otherwise."""
    text = str(getattr(error, "orig", None) or error).lower()
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "read-only"
    if "no such table" in text or "unable to open" in text or "does not exist" in text:
        return "missing"
    if "locked" in text or "busy" in text:
        return "busy"
    if isinstance(error, OperationalError) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return "unreachable"
    return None


EXPLAIN = {
    "read-only": "the database became read-only (file or folder permissions, or a read-only replica)",
    "missing": "the database or its tables are gone (file deleted or database dropped while running)",
    "busy": "the database is locked by another writer",
    "unreachable": "the database cannot be reached",
}


class Journal:
    """A queue of writes done by one daemon thread, in order, each retried until it succeeds or times out."""

    def __init__(self, db: Database, attempts: int = ATTEMPTS, max_wait: float = 60.0) -> None:
        self.db = db
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._attempts = attempts
        self._max_wait = max_wait
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._reported: set[str] = set()
        self.dropped = 0

    def submit(self, what: str, write: Callable[[Session], None]) -> None:
        """Queue ``write(session)``; returns at once. ``what`` names it in logs ("question log")."""
        if self._queue.qsize() >= MAX_PENDING:
            self.dropped += 1
            log.error("journal: %d writes pending; dropping %s", MAX_PENDING, what)
            return
        self._queue.put(_Job(what, write))
        self._ensure_thread()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is done (or given up); False on timeout."""
        done = threading.Event()

        def mark(_session: Session) -> None:
            done.set()

        self.submit("flush marker", mark)
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued (up to ``timeout``), then stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self.flush(timeout)
            self._queue.put(None)
            self._thread.join(timeout)

    # --- the writer thread ------------------------------------------------------------------
    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hoidap-journal", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._write(job)
            except Exception:  # a bug in a write must not kill the writer
                log.exception("journal: %s failed and was dropped", job.what)

    def _write(self, job: _Job) -> None:
        retrying = Retrying(
            retry=retry_if_exception(lambda e: trouble_kind(e) is not None),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.5, max=self._max_wait),
            before_sleep=self._on_retry,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    self._recreate_if_vanished()
                    with self.db.session() as s:
                        job.write(s)
        except Exception as e:
            kind = trouble_kind(e)
            if kind is None:
                raise
            self.dropped += 1
            if f"gave up: {kind}" not in self._reported:  # said once; the count is kept in .dropped
                self._reported.add(f"gave up: {kind}")
                log.error("journal: gave up writing %s (and will say so only once): %s", job.what, EXPLAIN[kind])
            return
        if self._reported:
            log.warning(
                "journal: the database accepts writes again (after: %s; %d writes given up)",
                ", ".join(sorted(self._reported)),
                self.dropped,
            )
            self._reported.clear()

    def _on_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        kind = trouble_kind(error) if error else None
        if kind and kind not in self._reported:
            self._reported.add(kind)  # said once per kind of trouble, not at every retry
            log.error("journal: %s; writes are kept and retried in the background (%s)", EXPLAIN[kind], error)

    def _recreate_if_vanished(self) -> None:
        """A deleted SQLite file: open connections keep writing into the unlinked inode, silently
        losing everything. Say so once, and recreate an empty schema so logging continues."""
        path = self.db.sqlite_path
        if path is None or Path(path).exists():
            return
        if "vanished" not in self._reported:
            self._reported.add("vanished")
            log.error("journal: the database file %s was deleted while running; recreating an empty one", path)
        self.db.engine.dispose()
        self.db.upgrade()
