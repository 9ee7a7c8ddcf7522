"""Serve the active index version and pick up a new one without restarting.

A build switches ``index/ACTIVE`` atomically; :class:`IndexManager` notices the
change (checking at most once per ``check_interval``), loads the new version in
a background thread and swaps it in only when fully loaded. Questions keep
being answered from the old version meanwhile, and a version that fails to
load is logged and skipped while the old one stays in service.
"""

from __future__ import annotations

import logging
import threading
import time

from bot.errors import HoidapError
from bot.index.store import IndexStore
from bot.index.version import IndexVersion

log = logging.getLogger(__name__)
RETRY_FAILED_AFTER = 30.0


class IndexManager:
    def __init__(self, store: IndexStore, check_interval: float = 1.0) -> None:
        self.store = store
        self.check_interval = check_interval
        self._version: IndexVersion | None = None
        self._lock = threading.Lock()
        self._init_lock = threading.Lock()
        self._loading: str | None = None
        self._failed: dict[str, float] = {}
        self._last_check = 0.0

    def current(self) -> IndexVersion:
        """The version to answer from now (loads the first one synchronously)."""
        if self._version is None:
            with self._init_lock:  # concurrent first callers wait for one load
                if self._version is None:
                    self._last_check = time.monotonic()
                    self._version = IndexVersion(self.store.active_path())
        elif time.monotonic() - self._last_check >= self.check_interval:
            self.refresh()
        return self._version

    def refresh(self, wait: bool = False) -> None:
        """Load the active version if it changed: in a background thread, or now if ``wait``."""
        self._last_check = time.monotonic()
        name = self.store.active_name()
        if name is None or (self._version is not None and name == self._version.name):
            return
        failed_at = self._failed.get(name)
        if failed_at is not None and time.monotonic() - failed_at < RETRY_FAILED_AFTER:
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
            version = IndexVersion(self.store.versions_dir / name)
        except HoidapError:
            self._failed[name] = time.monotonic()
            log.exception("index version %s failed to load; keeping %s", name, self._version and self._version.name)
            return
        finally:
            with self._lock:
                if self._loading == name:
                    self._loading = None
        old = self._version
        self._version = version
        log.info("index switched: %s -> %s", old.name if old else None, name)
