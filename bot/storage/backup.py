"""``hoidap backup FILE`` and ``hoidap restore FILE``: the database, the documents and the index versions
in one archive, consistent while the bot runs.

A backup holds the cluster's build lock (no build, rollback or document change anywhere meanwhile;
one that runs is waited for) and takes the database with its own tool — ``pg_dump`` (one snapshot) for
PostgreSQL, SQLite's online backup API for the embedded default — then the knowledge folder and the
complete index versions (not the caches, which rebuild themselves). Every member is listed with its
sha256 in ``backup.json``; a restore checks them all before touching anything.

A restore goes into an empty database and empty folders (``--force`` overwrites), then brings the
schema to the current revision: a backup made by an older release restores into a newer one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url

from bot.errors import HoidapError

FORMAT = 1
MANIFEST = "backup.json"


class BackupError(HoidapError):
    """A backup or restore that cannot be done (with the reason, in Vietnamese)."""


def _libpq(url: str) -> tuple[str, dict]:
    """A SQLAlchemy PostgreSQL URL as pg_dump/pg_restore take it, the password in the environment
    (never on a command line other users can read)."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict, what: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"Không tìm thấy {command[0]} (gói postgresql-client) để {what}.")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} thất bại khi {what}: {done.stderr.strip()[-500:]}")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _files(settings) -> list[tuple[Path, str]]:
    """(file on disk, name in the archive): the knowledge set, the complete index versions, their
    source files, ACTIVE. Caches and builds in progress are left out."""
    out = []
    knowledge = Path(settings.knowledge_dir)
    if knowledge.is_dir():
        for path in sorted(knowledge.rglob("*")):
            rel = path.relative_to(knowledge)
            if path.is_file() and not path.is_symlink() and not rel.parts[0].startswith("."):
                out.append((path, f"knowledge/{rel.as_posix()}"))
    index = Path(settings.index_dir)
    for folder in ("versions", "sources"):
        for path in sorted((index / folder).rglob("*")) if (index / folder).is_dir() else []:
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                out.append((path, f"index/{path.relative_to(index).as_posix()}"))
    if (index / "ACTIVE").is_file():
        out.append((index / "ACTIVE", "index/ACTIVE"))
    return out


def backup(assistant, target: Path) -> dict:
    """Write the backup to ``target`` (atomically); returns its manifest."""
    settings = assistant.settings
    url = settings.database_url
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with assistant.library.quiesced(), tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as tmp:
        tmp = Path(tmp)
        if url.startswith("postgresql"):
            dump, kind = tmp / "database.dump", "postgresql"
            dsn, env = _libpq(url)
            _run(
                ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={dump}", f"--dbname={dsn}"],
                env,
                "sao lưu cơ sở dữ liệu",
            )
        elif url.startswith("sqlite") and assistant.database.sqlite_path:
            dump, kind = tmp / "database.sqlite", "sqlite"
            source = sqlite3.connect(assistant.database.sqlite_path)
            copy = sqlite3.connect(dump)
            try:
                source.backup(copy)  # online: a consistent copy while others write
            finally:
                copy.close()
                source.close()
        else:
            raise BackupError("Chỉ sao lưu được PostgreSQL hoặc tệp SQLite.")
        members = [(dump, dump.name), *_files(settings)]
        manifest = {
            "format": FORMAT,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": kind,
            "active": assistant.store.active_name(),
            "files": {name: _sha256(path) for path, name in members},
        }
        partial = tmp / "backup.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for path, name in members:
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, target)
    return manifest


def _empty(settings, db) -> list[str]:
    """What is already there (restoring over it needs --force)."""
    found = []
    tables = set(sa_inspect(db.engine).get_table_names())
    if tables - {"alembic_version"}:
        found.append("cơ sở dữ liệu đã có bảng")
    for folder in (settings.knowledge_dir, Path(settings.index_dir) / "versions"):
        if Path(folder).is_dir() and any(Path(folder).iterdir()):
            found.append(f"thư mục {folder} không trống")
    return found


def restore(settings, source: Path, force: bool = False) -> dict:
    """Restore a backup into the configured database and folders; returns its manifest."""
    from bot.storage.db import Database

    source = Path(source)
    with tempfile.TemporaryDirectory(prefix="hoidap-restore-") as tmp:
        tmp = Path(tmp)
        try:
            with tarfile.open(source) as tar:
                tar.extractall(tmp, filter="data")  # no absolute paths, no links out, no devices
        except (tarfile.TarError, OSError) as e:
            raise BackupError(f"{source.name} không phải bản sao lưu đọc được: {e}") from e
        try:
            manifest = json.loads((tmp / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise BackupError(f"{source.name} thiếu {MANIFEST}: không phải bản sao lưu của hoidap") from e
        if manifest.get("format") != FORMAT:
            raise BackupError(f"Định dạng sao lưu {manifest.get('format')} không được hỗ trợ.")
        for name, sha in manifest["files"].items():
            path = tmp / name
            if not path.is_file() or _sha256(path) != sha:
                raise BackupError(f"Bản sao lưu bị hỏng: {name} không khớp mã kiểm tra; không khôi phục gì.")
        extra = [p for p in tmp.rglob("*") if p.is_file() and p.relative_to(tmp).as_posix() not in manifest["files"]]
        if [p for p in extra if p.name != MANIFEST]:
            raise BackupError("Bản sao lưu có tệp không được liệt kê; không khôi phục gì.")

        url = settings.database_url
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        if kind != manifest["database"]:
            raise BackupError(
                f"Bản sao lưu là {manifest['database']}, còn HOIDAP_DATABASE_URL là {kind}: hãy khôi phục vào cùng loại."
            )
        db = Database(url, migrate=False)
        try:
            present = _empty(settings, db)
            if present and not force:
                raise BackupError("Không khôi phục đè: " + "; ".join(present) + " (dùng --force để ghi đè).")
            if kind == "postgresql":
                dsn, env = _libpq(url)
                clean = ["--clean", "--if-exists"] if force else []
                _run(
                    ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", *clean, f"--dbname={dsn}"]
                    + [str(tmp / "database.dump")],
                    env,
                    "khôi phục cơ sở dữ liệu",
                )
            else:
                db.dispose()
                target = Path(db.sqlite_path)
                target.parent.mkdir(parents=True, exist_ok=True)
                for suffix in ("-wal", "-shm"):
                    Path(str(target) + suffix).unlink(missing_ok=True)
                shutil.copyfile(tmp / "database.sqlite", target)
        finally:
            db.dispose()
        Database(url).dispose()  # migrations up to this release's schema

        for folder, root in (("knowledge", settings.knowledge_dir), ("index", settings.index_dir)):
            unpacked = tmp / folder
            if not unpacked.is_dir():
                continue
            root = Path(root)
            root.mkdir(parents=True, exist_ok=True)
            for path in sorted(unpacked.rglob("*")):
                if path.is_file():
                    dest = root / path.relative_to(unpacked)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)
    return manifest
