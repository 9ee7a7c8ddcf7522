"""Serve the active index version and pick up a new one without restarting.

A build switches ``index/ACTIVE`` atomically; :class:`IndexManager` notices the
change (checking at most once per ``check_interval``), loads the new version in
a background thread and swaps it in only when fully loaded and checked.
Questions keep being answered from the old version meanwhile.

A version that fails to load is logged once, marked failed and not tried again
(it is retried only if its folder is rebuilt: its ``READY`` stamp changes); the
old version stays in service. At start, when ``ACTIVE`` is empty, names no
version, or names one that cannot load, the newest complete version that loads
is served instead, with a warning.
"""

from __future__ import annotations

import logging
import threading
import time

from bot.errors import HoidapError, IndexStoreError, NoActiveIndex
from bot.index.store import READY, IndexStore
from bot.index.version import IndexVersion

log = logging.getLogger(__name__)


class FixedIndex:
    """An index manager that always serves one version: scratch indexes (the preview's self-test,
    leave-one-document-out measures) answered by an :class:`~bot.answer.answerer.Answerer`."""

    def __init__(self, version: IndexVersion) -> None:
        self.version = version

    def current(self) -> IndexVersion:
        return self.version


class IndexManager:
    def __init__(self, store: IndexStore, check_interval: float = 1.0) -> None:
        self.store = store
        self.check_interval = check_interval
        self._version: IndexVersion | None = None
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._loading: str | None = None
        self._failed: dict[str, float | None] = {}  # name -> READY mtime when it failed
        self._last_check = 0.0

    def current(self) -> IndexVersion:
        """The version to answer from now (loads the first one synchronously)."""
        if self._version is None:
            with self._init_lock:  # concurrent first callers wait for one load
                if self._version is None:
                    self._last_check = time.monotonic()
                    self._version = self._first_load()
        elif time.monotonic() - self._last_check >= self.check_interval:
            self.refresh()
        return self._version

    def failed(self) -> set[str]:
        """Versions that failed to load and are not retried."""
        return set(self._failed)

    def _stamp(self, name: str) -> float | None:
        try:
            return (self.store.versions_dir / name / READY).stat().st_mtime
        except OSError:
            return None

    def _is_failed(self, name: str) -> bool:
        return name in self._failed and self._failed[name] == self._stamp(name)

    def _mark_failed(self, name: str, error: Exception) -> None:
        self._failed[name] = self._stamp(name)
        log.error(
            "index version %s cannot be served (%s); keeping %s and not retrying it",
            name,
            error,
            self._version.name if self._version else None,
        )

    def _first_load(self) -> IndexVersion:
        try:  # several hosts: the version in service may have to be downloaded first
            self.store.sync()
        except Exception as e:  # the database out of reach: serve what this host has
            log.warning("index: could not follow the database (%s); serving this host's copy", e)
        name = self.store.active_name()
        if name is not None:
            try:
                return self.store.check(name)
            except HoidapError as e:
                self._mark_failed(name, e)
                first_error: HoidapError = e
        else:
            first_error = NoActiveIndex("Chưa có chỉ mục nào. Hãy chạy: hoidap build")
        for info in reversed(self.store.versions()):
            if info.name == name:
                continue
            try:
                version = self.store.check(info.name)
            except HoidapError as e:
                self._mark_failed(info.name, e)
                continue
            log.warning(
                "index/ACTIVE %s; serving the newest complete version %s instead",
                f"names {name}, which cannot be served" if name else "is empty or broken",
                info.name,
            )
            return version
        if isinstance(first_error, NoActiveIndex) or name is None:
            raise NoActiveIndex("Chưa có chỉ mục nào. Hãy chạy: hoidap build") from None
        raise IndexStoreError(str(first_error)) from first_error

    def refresh(self, wait: bool = False) -> None:
        """Load the active version if it changed: in a background thread, or now if ``wait``."""
        self._last_check = time.monotonic()
        name = self.store.active_name()
        if name is None or (self._version is not None and name == self._version.name):
            return
        if self._is_failed(name):
            return
        with self._lock:
            if self._loading == name:
                return
            self._loading = name
        if wait:
            self._load(name)
        else:
            threading.Thread(target=self._load, args=(name,), name=f"index-load-{name}", daemon=True).start()

    def _load(self, name: str) -> None:
        try:
            version = self.store.check(name)
        except HoidapError as e:
            self._mark_failed(name, e)
            return
        finally:
            with self._lock:
                if self._loading == name:
                    self._loading = None
        old = self._version
        self._version = version
        log.info("index switched: %s -> %s", old.name if old else None, name)
