"""Versioned index folders with an atomically switched ``ACTIVE`` pointer.

Layout under ``index/``::

    ACTIVE                      name of the active version (replaced with os.replace)
    versions/<name>/            one complete build; READY is written last
    staging/<name>/             a build in progress (deleted if it fails or is killed)
    cache/embeddings.sqlite     embedding cache shared by builds
    cache/documents/            parsed documents by content hash
    sources/<sha256>            the source files of the kept versions, by content (for rollback)
    build.lock                  held (flock) while a build runs

A reader only ever follows ``ACTIVE`` to a version with ``READY``, so a build
that dies at any point leaves the previous version active and loadable. Only
names listed by :meth:`IndexStore.versions` can be activated, and a version is
loaded and checked completely before it is (a version with a missing or
corrupt file is refused and the active one stays).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.errors import IndexBuildError, IndexStoreError, NoActiveIndex
from bot.index.version import VERSION_NAME_RE, IndexVersion, Manifest, load_manifest

READY = "READY"
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class VersionInfo:
    name: str
    path: Path
    active: bool
    manifest: dict
    info: Manifest | None = None

    @property
    def built_at(self) -> str:
        return self.manifest.get("built_at", "")


def valid_name(name: str) -> bool:
    """A version name as builds make them (``v0003-20261128-101500``): never a path."""
    return bool(VERSION_NAME_RE.match(name))


class IndexStore:
    """Finds, activates, rolls back and prunes index versions."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.staging_dir = self.root / "staging"
        self.pointer = self.root / "ACTIVE"
        self.sources_dir = self.root / "sources"

    # --- reading -----------------------------------------------------------
    def active_name(self) -> str | None:
        """The name ``ACTIVE`` points at (None when missing, empty or not a version name)."""
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return None
        return name if name and valid_name(name) else None

    def active_path(self) -> Path:
        name = self.active_name()
        if name is None:
            if self.versions():
                raise IndexStoreError(
                    "Tệp ACTIVE trống hoặc hỏng; hãy chọn một phiên bản: hoidap index rollback <phiên bản>"
                )
            raise NoActiveIndex("Chưa có chỉ mục nào. Hãy chạy: hoidap build")
        path = self.versions_dir / name
        if path.is_symlink() or not (path / READY).is_file():
            raise IndexStoreError(f"Phiên bản chỉ mục đang dùng ({name}) không đầy đủ; hãy chạy: hoidap build")
        return path

    def is_ready(self, name: str) -> bool:
        path = self.versions_dir / name
        return valid_name(name) and not path.is_symlink() and (path / READY).is_file()

    def versions(self) -> list[VersionInfo]:
        """Complete versions (READY and a valid manifest), oldest first."""
        if not self.versions_dir.is_dir():
            return []
        active = self.active_name()
        out = []
        for path in sorted(self.versions_dir.iterdir()):
            if not valid_name(path.name) or path.is_symlink() or not (path / READY).is_file():
                continue  # a link named like a version is not one of ours: never listed, never served
            try:
                info = load_manifest(path)
            except IndexStoreError:
                continue
            out.append(VersionInfo(path.name, path, path.name == active, info.model_dump(mode="json"), info))
        return out

    def resolve(self, name: str | None = None) -> str:
        """A listed version name: ``name`` itself, or by default the newest complete one older than the active."""
        listed = [v.name for v in self.versions()]
        if name is None:
            active = self.active_name()
            older = [n for n in listed if active is None or n < active]
            if not older:
                raise IndexStoreError("Không có phiên bản cũ hơn để quay lại.")
            return older[-1]
        if name not in listed:
            shown = name if len(name) <= 60 else name[:57] + "…"
            raise IndexStoreError(
                f"Không có phiên bản chỉ mục “{shown}”; chọn một tên trong danh sách: hoidap index versions"
            )
        return name

    def check(self, name: str) -> IndexVersion:
        """Load version ``name`` completely (every file, every cross-check); IndexStoreError if it cannot serve."""
        if not self.is_ready(name):
            raise IndexStoreError(f"Không có phiên bản chỉ mục hoàn chỉnh tên {name}")
        return IndexVersion(self.versions_dir / name)

    # --- several hosts (bot.index.database_store): nothing to do with plain folders -------------
    def sync(self) -> str | None:
        """Follow the version in service elsewhere; returns the active name."""
        return self.active_name()

    def pull_knowledge(self, knowledge) -> None:
        """Bring the knowledge folder up to date before a change."""

    def push_knowledge(self, knowledge) -> None:
        """Publish the knowledge folder after a change."""

    # --- writing -----------------------------------------------------------
    @contextmanager
    def build_lock(self, wait: float = 0.0):
        """Exclusive lock for the duration of a build (waiting up to ``wait`` seconds for one running);
        released by the OS if we die."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "build.lock", os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError as e:
                    if time.monotonic() >= deadline:
                        raise IndexBuildError("Đang có một lần xây dựng chỉ mục khác; hãy đợi nó xong.") from e
                    time.sleep(0.1)
            yield
        finally:
            os.close(fd)

    def new_staging(self) -> tuple[str, Path]:
        """A fresh, empty staging folder and the version name it will get.

        Names sort in build order: a sequence number, then the time for people.
        """
        existing = [p.name for p in self.versions_dir.iterdir()] if self.versions_dir.is_dir() else []
        seq = max((int(n[1:5]) for n in existing if n[1:5].isdigit()), default=0) + 1
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        name = f"v{seq:04d}-{stamp}"
        path = self.staging_dir / name
        path.mkdir(parents=True)
        return name, path

    def clean_staging(self) -> None:
        """Remove leftovers of builds that died (call with the build lock held)."""
        if self.staging_dir.is_dir():
            for path in self.staging_dir.iterdir():
                shutil.rmtree(path, ignore_errors=True)

    def commit(self, name: str, staging: Path) -> Path:
        """Mark a finished staging folder ready and move it into ``versions/``."""
        _write_atomic(staging / READY, dt.datetime.now().isoformat(timespec="seconds"))
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        final = self.versions_dir / name
        os.replace(staging, final)
        _fsync_dir(self.versions_dir)
        return final

    def activate(self, name: str) -> None:
        """Point ``ACTIVE`` at version ``name`` (atomic). Callers load it first (:meth:`check`)."""
        if not self.is_ready(name):
            raise IndexStoreError(f"Không có phiên bản chỉ mục hoàn chỉnh tên {name}")
        _write_atomic(self.pointer, name + "\n")

    def rollback(self, name: str | None = None) -> str:
        """Activate a listed version (default: the one before the active), after loading it completely."""
        name = self.resolve(name)
        self.check(name)
        self.activate(name)
        return name

    # --- source files by content ---------------------------------------------------------
    def source_path(self, sha256: str) -> Path:
        return self.sources_dir / sha256

    def keep_source(self, sha256: str, data: bytes) -> None:
        """Store a version's source file under its hash (once), so a rollback can restore it."""
        target = self.source_path(sha256)
        if target.is_file():
            return
        self.sources_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{sha256}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)

    def prune(self, keep: int) -> list[str]:
        """Delete the oldest complete versions beyond ``keep``; never the active one."""
        active = self.active_name()
        versions = [v.name for v in self.versions()]
        removable = [n for n in versions if n != active]
        extra = len(versions) - keep
        removed = []
        for name in removable[: max(extra, 0)]:
            shutil.rmtree(self.versions_dir / name, ignore_errors=True)
            removed.append(name)
        self._prune_sources()
        return removed

    def _prune_sources(self) -> None:
        """Drop stored source files no kept version needs (versions being built keep theirs: lock held)."""
        if not self.sources_dir.is_dir():
            return
        needed = {d.sha256 for v in self.versions() if v.info for d in v.info.documents}
        for path in self.sources_dir.iterdir():
            if path.is_file() and not path.name.startswith(".") and path.name not in needed:
                path.unlink(missing_ok=True)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
