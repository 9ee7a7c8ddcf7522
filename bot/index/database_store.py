"""Index versions and documents kept in the database, each host caching them in its own folders.

With several hosts there is no folder they all see (a shared NFS folder is a single point of failure
and breaks file locks, atomic renames and memory-mapped FAISS files). PostgreSQL is the source of
truth instead:

- every built version is stored as one archive of its folder (a blob named by its sha256, in
  chunks), with its manifest; the version in service is the ``index.active`` row of ``app_state``;
- the documents of the knowledge set are rows ``knowledge_files`` (path → blob), and every source
  file a kept version was built from stays a blob, so a rollback can restore it on any host.

Each host's ``index/`` folder is a cache: :meth:`DatabaseIndexStore.sync` (run every second by a
serving process, and before the first load) downloads a version that became active elsewhere, checks
its archive against its sha256, unpacks it, loads it completely, and only then switches the local
``ACTIVE`` — the running bot notices and swaps it in as it does after a local build. A new host with
empty folders and the database URL serves the current version as soon as it is downloaded.

Builds, rollbacks and document changes run one at a time across hosts (the advisory lock in
:class:`bot.services.library.Library`); before one, the host's knowledge folder is brought up to date from the database
(:meth:`pull_knowledge`), and after it the folder is published back (:meth:`push_knowledge`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import delete, select

from bot.errors import IndexStoreError
from bot.index.store import READY, IndexStore, VersionInfo, valid_name
from bot.index.version import load_manifest
from bot.storage.blobs import BlobStore, sha256_file
from bot.storage.models import AppState, KnowledgeFile, StoredVersion, utcnow

log = logging.getLogger(__name__)
ACTIVE_KEY = "index.active"
SYNCED = "knowledge-synced.json"  # in the index folder: the knowledge files this host last had in sync


class DatabaseIndexStore(IndexStore):
    """An :class:`IndexStore` whose folders cache what the database holds."""

    def __init__(self, root: Path, db) -> None:
        super().__init__(root)
        self.db = db
        self.blobs = BlobStore(db)

    # --- the database's view ------------------------------------------------------------------
    def stored_active(self) -> str | None:
        with self.db.session() as s:
            row = s.get(AppState, ACTIVE_KEY)
            return row.value if row is not None and valid_name(row.value) else None

    def stored_versions(self) -> dict[str, StoredVersion]:
        with self.db.session() as s:
            return {v.name: v for v in s.scalars(select(StoredVersion).order_by(StoredVersion.name))}

    def _set_stored_active(self, name: str) -> None:
        with self.db.session() as s:
            row = s.get(AppState, ACTIVE_KEY)
            if row is None:
                s.add(AppState(key=ACTIVE_KEY, value=name))
            else:
                row.value = name

    # --- publishing a version ---------------------------------------------------------------------
    def publish(self, name: str) -> None:
        """Store local version ``name`` in the database (once): its folder as one archive, and its manifest."""
        with self.db.session() as s:
            if s.get(StoredVersion, name) is not None:
                return
        folder = self.versions_dir / name
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.staging_dir, prefix=".publish-") as tmp:
            archive = Path(tmp) / f"{name}.tar"
            with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
                for path in sorted(folder.rglob("*")):
                    if path.is_file() and not path.is_symlink():
                        tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
            sha = self.blobs.put_file(archive)
        manifest = (folder / "manifest.json").read_text(encoding="utf-8")
        with self.db.session() as s:
            if s.get(StoredVersion, name) is None:
                s.add(StoredVersion(name=name, archive=sha, manifest=manifest, created_at=utcnow()))
        log.info("index version %s stored in the database (archive %s)", name, sha[:12])

    def activate(self, name: str) -> None:
        """Serve ``name`` everywhere: stored in the database, made active there, then here."""
        if not self.is_ready(name):
            raise IndexStoreError(f"Không có phiên bản chỉ mục hoàn chỉnh tên {name}")
        self.publish(name)
        self._set_stored_active(name)
        super().activate(name)

    # --- following the database --------------------------------------------------------------------
    def sync(self) -> str | None:
        """Bring this host to the version active in the database (download, check, switch); returns it.
        Nothing stored yet (a new installation): the local active version is published, if any."""
        name = self.stored_active()
        if name is None:
            local = self.active_name()
            if local is not None and self.is_ready(local):  # the first host with an index seeds the database
                for version in IndexStore.versions(self):
                    self.publish(version.name)  # its older versions too: rollback targets for every host
                self.activate(local)
            return local
        if name != self.active_name():
            self.check(name)  # downloads it if needed, loads it completely
            IndexStore.activate(self, name)
            log.info("index version %s is active in the database: switched to it", name)
            self._prune_cache()
        return name

    def fetch(self, name: str) -> Path:
        """This host's copy of stored version ``name`` (downloaded and unpacked if missing)."""
        final = self.versions_dir / name
        if (final / READY).is_file():
            return final
        with self.db.session() as s:
            stored = s.get(StoredVersion, name)
            archive = stored.archive if stored is not None else None
        if archive is None:
            raise IndexStoreError(f"Không có phiên bản chỉ mục hoàn chỉnh tên {name}")
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.staging_dir, prefix=f".fetch-{name}-") as tmp:
            tar_path = self.blobs.fetch(archive, Path(tmp) / f"{name}.tar")  # checked against its sha256
            unpacked = Path(tmp) / name
            unpacked.mkdir()
            with tarfile.open(tar_path) as tar:
                tar.extractall(unpacked, filter="data")  # no absolute paths, links out or devices
            if not (unpacked / READY).is_file():
                raise IndexStoreError(f"Phiên bản {name} trong cơ sở dữ liệu không đầy đủ (thiếu READY)")
            self.versions_dir.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(unpacked, final)  # atomic: a version folder is complete or absent
            except OSError:
                if not (final / READY).is_file():  # not another process's complete copy
                    raise
                return final
        log.info("index version %s downloaded from the database", name)
        return final

    def check(self, name: str):
        if valid_name(name) and not self.is_ready(name):
            try:
                self.fetch(name)
            except IndexStoreError:
                raise
            except Exception as e:
                raise IndexStoreError(f"Không tải được phiên bản {name} từ cơ sở dữ liệu: {e}") from e
        return super().check(name)

    def versions(self) -> list[VersionInfo]:
        """The versions stored in the database (this host may not have downloaded them all yet)."""
        stored = self.stored_versions()
        active = self.stored_active() or self.active_name()
        out = []
        for name, row in stored.items():
            path = self.versions_dir / name
            try:
                info = load_manifest(path, name) if (path / READY).is_file() else _manifest(row.manifest, name)
            except IndexStoreError:
                continue
            out.append(VersionInfo(name, path, name == active, info.model_dump(mode="json"), info))
        local = {v.name for v in out}
        out += [v for v in super().versions() if v.name not in local and not stored]
        return sorted(out, key=lambda v: v.name)

    def new_staging(self) -> tuple[str, Path]:
        """Names follow the versions of every host, not only this one's cache."""
        stored = [n for n in self.stored_versions() if n[1:5].isdigit()]
        local = [p.name for p in self.versions_dir.iterdir()] if self.versions_dir.is_dir() else []
        floor = max((int(n[1:5]) for n in stored + local if n[1:5].isdigit()), default=0)
        name, path = super().new_staging()
        if int(name[1:5]) <= floor:
            path.rmdir()
            name = f"v{floor + 1:04d}{name[5:]}"
            path = self.staging_dir / name
            path.mkdir(parents=True)
        return name, path

    # --- retention across hosts ----------------------------------------------------------------------
    def prune(self, keep: int) -> list[str]:
        """Keep the newest ``keep`` versions in the database (never the active one), the blobs they and
        the knowledge set need, and only those versions in this host's cache."""
        stored = self.stored_versions()
        active = self.stored_active()
        removable = [n for n in stored if n != active]
        extra = max(len(stored) - keep, 0)
        removed = removable[:extra]
        if removed:
            with self.db.session() as s:
                s.execute(delete(StoredVersion).where(StoredVersion.name.in_(removed)))
        kept = {n: v for n, v in stored.items() if n not in removed}
        needed = {v.archive for v in kept.values()}
        for v in kept.values():
            needed |= {d["sha256"] for d in json.loads(v.manifest).get("documents", [])}
        with self.db.session() as s:
            needed |= set(s.scalars(select(KnowledgeFile.sha256)))
        self.blobs.keep_only(needed)
        self._prune_cache()
        return removed

    def _prune_cache(self) -> None:
        """Versions the database no longer keeps are dropped from this host's cache (never the active one)."""
        stored = self.stored_versions()
        active = self.active_name()
        if self.versions_dir.is_dir():
            for path in self.versions_dir.iterdir():
                if valid_name(path.name) and path.name not in stored and path.name != active:
                    shutil.rmtree(path, ignore_errors=True)
        self._prune_sources()

    # --- source files of versions ---------------------------------------------------------------------
    def keep_source(self, sha256: str, data: bytes) -> None:
        super().keep_source(sha256, data)
        self.blobs.put_bytes(data)

    def source_path(self, sha256: str) -> Path:
        path = super().source_path(sha256)
        if not path.is_file() and self.blobs.has(sha256):
            self.blobs.fetch(sha256, path)
        return path

    # --- the knowledge set ----------------------------------------------------------------------------
    def pull_knowledge(self, knowledge) -> None:
        """Make this host's knowledge folder hold the database's set: files missing or different here are
        written from the database (a different local file goes to the folder's history first); files this
        host had in sync before and that are no longer in the set (removed on another host) go to history.
        Files never synced (copied in by hand) stay: the next change publishes them."""
        with self.db.session() as s:
            wanted = {k.path: k.sha256 for k in s.scalars(select(KnowledgeFile))}
        if not wanted:
            return  # nothing published yet: this folder will seed the set
        synced = self._synced()
        local = _local_files(knowledge)
        for rel, sha in wanted.items():
            if local.get(rel) == sha:
                continue
            target = knowledge.folder / rel
            if target.exists():
                knowledge.set_aside(target)
            self.blobs.fetch(sha, target)
            log.info("knowledge: %s written from the database", rel)
        for rel, sha in local.items():
            if rel not in wanted and synced.get(rel) == sha:
                knowledge.set_aside(knowledge.folder / rel)
                log.info("knowledge: %s was removed on another host (kept in history)", rel)
        self._save_synced(wanted)

    def push_knowledge(self, knowledge) -> None:
        """Publish this host's knowledge folder as the set (after a change made here under the lock)."""
        local = _local_files(knowledge)
        for rel, sha in local.items():
            self.blobs.put_file(knowledge.folder / rel, sha)
        with self.db.session() as s:
            s.execute(delete(KnowledgeFile).where(KnowledgeFile.path.not_in(list(local) or [""])))
            present = {k.path: k for k in s.scalars(select(KnowledgeFile))}
            for rel, sha in local.items():
                row = present.get(rel)
                if row is None:
                    s.add(KnowledgeFile(path=rel, sha256=sha, updated_at=utcnow()))
                elif row.sha256 != sha:
                    row.sha256, row.updated_at = sha, utcnow()
        self._save_synced(local)

    def _synced(self) -> dict[str, str]:
        try:
            data = json.loads((self.root / SYNCED).read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _save_synced(self, files: dict[str, str]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{SYNCED}.{os.getpid()}"
        tmp.write_text(json.dumps(files, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.root / SYNCED)


def _manifest(text: str, name: str):
    from pydantic import ValidationError

    from bot.index.version import Manifest

    try:
        return Manifest.model_validate_json(text)
    except ValidationError as e:
        raise IndexStoreError(f"Chỉ mục {name}: manifest.json không hợp lệ") from e


def _local_files(knowledge) -> dict[str, str]:
    """The knowledge folder's regular files: path inside it → sha256."""
    root = knowledge.folder
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in knowledge.files()}


def open_store(settings, database=None) -> IndexStore:
    """The index store of ``settings``: plain folders (one host), or folders caching the database
    (``HOIDAP_INDEX_STORAGE``; by default whenever the database is PostgreSQL). ``database``: a
    callable giving the :class:`~bot.storage.db.Database` (opened only when needed)."""
    kind = settings.index_storage
    if kind == "auto":
        kind = "database" if settings.database_url.startswith("postgresql") else "folder"
    if kind == "folder":
        return IndexStore(settings.index_dir)
    if database is None:
        from bot.storage.db import Database

        db = Database(settings.database_url)
    else:
        db = database()
    return DatabaseIndexStore(settings.index_dir, db)
