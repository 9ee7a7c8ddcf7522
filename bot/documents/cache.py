"""Parse a document once: parsed documents cached by the hash of their bytes.

Every ``docs add`` validates the candidate against the documents already in the
knowledge folder, and every build parses them all; without a cache one heavy
document is parsed again each time. The key is the file's SHA-256 plus a
fingerprint of the parsing code, so a change to the readers or the parser
invalidates every entry by itself. Entries live in memory (a few) and, when a
folder is given, on disk as JSON (written atomically).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from bot.documents.model import Document, DocumentMeta, Item, QAPair, Section, Table
from bot.documents.parser import file_sha256, make_doc_id, parse_file
from bot.documents.readers import read_regular_file, too_large
from bot.errors import DocumentTooLarge

log = logging.getLogger(__name__)
MEMORY_ENTRIES = 64


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the document-reading code: a new parser never serves an old parse."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def document_to_dict(doc: Document) -> dict:
    return {
        "meta": doc.meta.to_dict(),
        "pairs": [
            {
                "number": p.number,
                "question": p.question,
                "answer": p.answer,
                "items": [[i.number, i.text, i.line, i.head, i.header] for i in p.items],
                "line": p.line,
                "tables": [_table_to_list(t) for t in p.tables],
            }
            for p in doc.pairs
        ],
        "sections": [[s.number, s.heading, s.text, s.line] for s in doc.sections],
        "tables": [_table_to_list(t) for t in doc.tables],
        "warnings": doc.warnings,
        "encoding": doc.encoding,
        "ocr": doc.ocr,
    }


def _table_to_list(table: Table) -> list:
    return [list(table.header) if table.header else None, [list(r) for r in table.rows], table.line]


def _table_from_list(data: list) -> Table:
    header, rows, line = data
    return Table(tuple(header) if header else None, tuple(tuple(r) for r in rows), line)


def document_from_dict(data: dict, path: Path, sha256: str) -> Document:
    meta = DocumentMeta.from_dict(data["meta"])
    pairs = [
        QAPair(
            p["number"],
            p["question"],
            p["answer"],
            tuple(Item(*i) for i in p["items"]),
            p["line"],
            tuple(_table_from_list(t) for t in p.get("tables", ())),
        )
        for p in data["pairs"]
    ]
    sections = [Section(*s) for s in data["sections"]]
    return Document(
        make_doc_id(meta.number, path, sha256),
        str(path),
        sha256,
        meta,
        pairs=pairs,
        sections=sections,
        warnings=list(data["warnings"]),
        encoding=data.get("encoding"),
        ocr=data.get("ocr"),
        tables=[_table_from_list(t) for t in data.get("tables", ())],
    )


class ParseCache:
    """``parse(path)`` = ``parse_file(path)``, done once per content. With ``limits``, each parse runs
    in a capped child process (:mod:`bot.documents.sandbox`): what the bot and the CLI use."""

    def __init__(self, folder: Path | None = None, limits=None, options=None) -> None:
        self.folder = Path(folder) if folder else None
        self.limits = limits
        self.options = options  # ReadOptions; None: from the settings
        self._memory: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()
        self.parsed = 0  # documents actually parsed (for tests and logs)

    def _key(self, sha256: str, suffix: str) -> str:
        # The reading options (OCR resolution, languages) change what a scan reads as: part of the key.
        options = hashlib.sha256(self._options().key().encode()).hexdigest()[:8]
        return f"{sha256}{suffix.lower()}-{code_fingerprint()}-{options}"

    def _options(self):
        from bot.documents.readers import default_options

        if self.options is None:
            self.options = default_options()
        return self.options

    def parse(self, path: Path, data: bytes | None = None, max_bytes: int | None = None, progress=None) -> Document:
        """Parse ``path`` (or ``data`` typed by ``path``), reusing an earlier parse of the same bytes.
        ``progress`` hears of each page OCR'd (in a child process: through its pipe)."""
        path = Path(path)
        if data is None:
            from bot.documents.readers import SUPPORTED_SUFFIXES, unsupported

            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise unsupported(path)
            data = read_regular_file(path, max_bytes)
        elif max_bytes is not None and len(data) > max_bytes:
            raise DocumentTooLarge(too_large(len(data), max_bytes), path)
        sha = file_sha256(data)
        key = self._key(sha, path.suffix)
        cached = self._get(key)
        if cached is not None:
            return document_from_dict(cached, path, sha)
        if self.limits is not None:
            from bot.documents.sandbox import parse_in_child

            doc = parse_in_child(path, data, max_bytes, self.limits, self._options(), progress)
        else:
            doc = parse_file(path, data=data, max_bytes=max_bytes, options=self._options())
        self.parsed += 1
        self._put(key, document_to_dict(doc))
        return doc

    def _get(self, key: str) -> dict | None:
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        if self.folder is None:
            return None
        path = self.folder / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        with contextlib.suppress(OSError):  # a read-only cache still serves
            os.utime(path)  # last used, for prune()
        self._remember(key, data)
        return data

    def _put(self, key: str, data: dict) -> None:
        self._remember(key, data)
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
            tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.folder / f"{key}.json")
        except OSError as e:  # a cache that cannot be written only costs time
            log.warning("parse cache not written (%s): %s", self.folder, e)

    def _remember(self, key: str, data: dict) -> None:
        with self._lock:
            self._memory[key] = data
            self._memory.move_to_end(key)
            while len(self._memory) > MEMORY_ENTRIES:
                self._memory.popitem(last=False)

    def prune(self, keep: set[str], older_than: dt.timedelta = dt.timedelta(days=30)) -> int:
        """Delete disk entries of other content hashes not used for ``older_than``."""
        if self.folder is None or not self.folder.is_dir():
            return 0
        limit = dt.datetime.now().timestamp() - older_than.total_seconds()
        removed = 0
        for path in self.folder.glob("*.json"):
            sha = path.name[:64]
            if sha not in keep and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
