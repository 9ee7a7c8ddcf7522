"""Files kept in the database by content: documents' source files and index version archives.

Each blob is named by the sha256 of its bytes and stored as ``blob_chunks`` of at most ``CHUNK``
bytes (chunked bytea rather than PostgreSQL large objects: plain rows are copied by ``pg_dump``
and replication like everything else, and work on SQLite too). A blob is written in one transaction
(all its chunks or none) and checked against its name when read back: a corrupted or truncated copy
is refused, never served.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import delete, select

from bot.errors import IndexStoreError
from bot.storage.models import Blob, BlobChunk, utcnow

CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class BlobStore:
    def __init__(self, db) -> None:
        self.db = db

    def has(self, sha256: str) -> bool:
        with self.db.session() as s:
            return s.get(Blob, sha256) is not None

    def put_file(self, path: Path, sha256: str | None = None) -> str:
        """Store a file (once: a blob already there is not written again); returns its sha256."""
        sha256 = sha256 or sha256_file(path)
        if self.has(sha256):
            return sha256
        size = Path(path).stat().st_size
        with self.db.session() as s, open(path, "rb") as f:
            s.add(Blob(sha256=sha256, size=size, created_at=utcnow()))
            s.flush()
            h = hashlib.sha256()
            for seq, block in enumerate(iter(lambda: f.read(CHUNK), b"")):
                h.update(block)
                s.add(BlobChunk(sha256=sha256, seq=seq, data=block))
                s.flush()  # one chunk in memory at a time
                s.expunge_all()
            if h.hexdigest() != sha256:  # the file changed while we read it: store nothing
                raise IndexStoreError(f"tệp {Path(path).name} thay đổi trong lúc lưu vào cơ sở dữ liệu")
        return sha256

    def put_bytes(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if self.has(sha256):
            return sha256
        with self.db.session() as s:
            s.add(Blob(sha256=sha256, size=len(data), created_at=utcnow()))
            s.flush()
            for seq, start in enumerate(range(0, max(len(data), 1), CHUNK)):
                s.add(BlobChunk(sha256=sha256, seq=seq, data=data[start : start + CHUNK]))
        return sha256

    def fetch(self, sha256: str, target: Path) -> Path:
        """Write blob ``sha256`` to ``target`` (atomically), checking every byte against its name."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
        h = hashlib.sha256()
        size = 0
        try:
            with self.db.session() as s, open(tmp, "wb") as f:
                blob = s.get(Blob, sha256)
                if blob is None:
                    raise IndexStoreError(f"không có tệp {sha256[:12]} trong cơ sở dữ liệu")
                chunks = s.execute(
                    select(BlobChunk.data).where(BlobChunk.sha256 == sha256).order_by(BlobChunk.seq),
                    execution_options={"yield_per": 1},  # streamed: one chunk in memory at a time
                )
                for (data,) in chunks:
                    h.update(data)
                    size += len(data)
                    f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if h.hexdigest() != sha256 or size != blob.size:
                raise IndexStoreError(
                    f"tệp {sha256[:12]} trong cơ sở dữ liệu bị hỏng (sha256 hoặc kích thước không khớp)"
                )
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def read(self, sha256: str) -> bytes:
        with self.db.session() as s:
            data = b"".join(s.scalars(select(BlobChunk.data).where(BlobChunk.sha256 == sha256).order_by(BlobChunk.seq)))
        if hashlib.sha256(data).hexdigest() != sha256:
            raise IndexStoreError(f"tệp {sha256[:12]} trong cơ sở dữ liệu bị hỏng hoặc không có")
        return data

    def keep_only(self, needed: Iterable[str]) -> int:
        """Delete every blob not in ``needed``; returns how many."""
        needed = set(needed)
        with self.db.session() as s:
            gone = [sha for sha in s.scalars(select(Blob.sha256)) if sha not in needed]
            for start in range(0, len(gone), 500):
                batch = gone[start : start + 500]
                s.execute(delete(BlobChunk).where(BlobChunk.sha256.in_(batch)))
                s.execute(delete(Blob).where(Blob.sha256.in_(batch)))
        return len(gone)
