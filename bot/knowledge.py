"""The knowledge folder: the source documents admins add, replace and remove.

Files are stored under a name derived from the document itself (its number, or
a slug of its title plus a content hash) — a name sent by a user never decides
a path on disk. Every change is validated first (type, size, parse, duplicate)
so nothing changes when a document is refused, and every change can be undone
(a failed build puts the folder back).

A document with the same number as a loaded one (or, without a number, the same
title) is a *new version of it*: the preview says “Sẽ thay thế …” with a short
diff, and confirming replaces it. Replaced and removed files are moved to
``.history/`` inside the folder — kept, never served. Only regular files are
documents (see :mod:`bot.documents.sources`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.cache import ParseCache
from bot.documents.metadata import number_key
from bot.documents.model import Document, format_date
from bot.documents.readers import SUPPORTED_SUFFIXES, read_regular_file, unsupported
from bot.documents.sources import own_file, scan_folder
from bot.errors import DocumentNotFound, DuplicateDocument, IndexStoreError
from bot.text.normalize import fold

PREVIEW_QUESTIONS = 3
MAX_CHANGES = 8
HISTORY = ".history"


@dataclass
class DocumentSummary:
    doc_id: str
    file: str
    title: str
    number: str | None
    name: str  # "Chỉ thị số 46-CT/TU"
    questions: int
    items: int
    sections: int
    sha256: str
    first_questions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    replaces: str | None = None  # file of the same document it would replace
    # Shown in previews (chat, CLI, web) so an admin checks what was parsed before confirming.
    date: str | None = None  # "03/4/2024"
    issuer: str | None = None
    items_per_question: dict[int, int] = field(default_factory=dict)  # question number -> items
    changes: list[str] = field(default_factory=list)  # when replacing: questions added/removed/changed
    replaces_name: str | None = None  # "Quy định số 31-QĐ/TU (qd-31.txt)": what "Sẽ thay thế …" names
    encoding: str | None = None  # legacy encoding the text was converted from ("TCVN3 (ABC)", "VNI-Windows")
    # Read by OCR: each scanned page's confidence and doubtful words, and the recognised text, which the
    # admin downloads, corrects and sends back (.txt/.docx) as a replacement of the same document.
    ocr_pages: list[dict] = field(default_factory=list)
    ocr_text: str | None = None

    @property
    def ocr(self) -> bool:
        return self.ocr_text is not None

    def ocr_marked(self) -> list[tuple[str, bool]]:
        """The recognised text as (piece, doubtful) runs: words Tesseract was unsure of are highlighted."""
        doubtful = {w for p in self.ocr_pages for w in p.get("low", [])}
        out: list[tuple[str, bool]] = []
        for piece in re.split(r"(\s+)", self.ocr_text or ""):
            low = piece.strip() in doubtful
            if out and out[-1][1] == low:
                out[-1] = (out[-1][0] + piece, low)
            else:
                out.append((piece, low))
        return out

    @classmethod
    def of(cls, doc: Document, file: str) -> DocumentSummary:
        from bot.documents.encoding import ENCODING_NAMES

        return cls(
            doc_id=doc.doc_id,
            file=file,
            title=doc.meta.title,
            number=doc.meta.number,
            name=doc.meta.short_name,
            questions=len(doc.pairs),
            items=sum(len(p.items) for p in doc.pairs),
            sections=len(doc.sections),
            sha256=doc.sha256,
            first_questions=[f"Câu hỏi {p.number}: {p.question}" for p in doc.pairs[:PREVIEW_QUESTIONS]]
            or [s.text[:120] for s in doc.sections[:PREVIEW_QUESTIONS]],
            warnings=list(doc.warnings),
            date=format_date(doc.meta.date) if doc.meta.date else None,
            issuer=doc.meta.issuer,
            items_per_question={p.number: len(p.items) for p in doc.pairs},
            encoding=ENCODING_NAMES.get(doc.encoding) if doc.encoding else None,
            ocr_pages=list(doc.ocr["pages"]) if doc.ocr else [],
            ocr_text=doc.ocr["text"] if doc.ocr else None,
        )

    def describe(self) -> list[str]:
        """The preview as plain lines (what ``hoidap docs add`` prints; channels render their own)."""
        lines = [self.title, f"Số hiệu: {self.number or '(không có)'}"]
        if self.date:
            lines.append(f"Ngày ban hành: {self.date}")
        if self.issuer:
            lines.append(f"Cơ quan ban hành: {self.issuer}")
        if self.questions:
            per = ", ".join(f"câu {q}: {n}" for q, n in self.items_per_question.items() if n)
            lines.append(f"Tìm thấy: {self.questions} câu hỏi, {self.items} mục" + (f" ({per})" if per else ""))
        else:
            lines.append(f"Tìm thấy: {self.sections} đoạn (văn bản không theo dạng hỏi–đáp)")
        lines += [f"  • {q[:150]}" for q in self.first_questions]
        if self.replaces:
            lines.append(f"Sẽ thay thế {self.replaces_name or self.replaces}; bản cũ được lưu vào lịch sử.")
            lines += [f"  ± {c}" for c in self.changes]
        lines += [f"⚠ {w}" for w in self.warnings]
        return lines


@dataclass
class FileChange:
    """A change to the knowledge folder, undone when the build that follows it fails."""

    created: list[Path] = field(default_factory=list)  # files written
    moved: list[tuple[Path, Path]] = field(default_factory=list)  # (original, its copy in history)

    def undo(self) -> None:
        for path in self.created:
            path.unlink(missing_ok=True)
        for original, kept in reversed(self.moved):
            if kept.exists():
                original.parent.mkdir(parents=True, exist_ok=True)
                os.replace(kept, original)


def same_document(a: Document, b: Document) -> bool:
    """Two versions of one document: same number, or — neither having one — the same title."""
    if a.meta.number and b.meta.number:
        return number_key(a.meta.number) == number_key(b.meta.number)
    if not a.meta.number and not b.meta.number:
        return " ".join(fold(a.meta.title).split()) == " ".join(fold(b.meta.title).split())
    return False


def _snippet(old: str, new: str, width: int = 6) -> str:
    """The changed words of two texts with a little context: “…không quá 45 ngày…” → “…không quá 60 ngày…”."""
    a, b = old.split(), new.split()
    ops = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if op[0] != "equal"]
    if not ops:
        return ""
    _, i1, _, j1, _ = ops[0]
    _, _, i2, _, j2 = ops[-1]
    if i2 - i1 > 3 * width or j2 - j1 > 3 * width:  # a rewrite, not an edit: no snippet
        return ""

    def part(words: list[str], lo: int, hi: int) -> str:
        start, end = max(0, lo - width // 2), min(len(words), hi + width // 2)
        return ("…" if start else "") + " ".join(words[start:end]) + ("…" if end < len(words) else "")

    return f"“{part(a, i1, i2)}” → “{part(b, j1, j2)}”"


def diff_documents(old: Document, new: Document) -> list[str]:
    """Short lines saying what changed between two versions of a document."""
    changes: list[str] = []
    if old.meta.date != new.meta.date:
        changes.append(
            f"Ngày ban hành: {format_date(old.meta.date) if old.meta.date else '(không có)'} → "
            f"{format_date(new.meta.date) if new.meta.date else '(không có)'}"
        )
    if " ".join(old.meta.title.split()) != " ".join(new.meta.title.split()):
        changes.append("Tiêu đề thay đổi.")
    if old.pairs or new.pairs:
        before = {p.number: p for p in old.pairs}
        after = {p.number: p for p in new.pairs}
        for n in sorted(after.keys() - before.keys()):
            changes.append(f"Thêm Câu hỏi {n}: {after[n].question[:90]}")
        for n in sorted(before.keys() - after.keys()):
            changes.append(f"Bỏ Câu hỏi {n}: {before[n].question[:90]}")
        for n in sorted(before.keys() & after.keys()):
            a, b = before[n], after[n]
            if a.question != b.question:
                changes.append(f"Câu hỏi {n}: sửa câu hỏi {_snippet(a.question, b.question)}".rstrip())
            if a.answer != b.answer:
                detail = _snippet(a.answer, b.answer)
                items = f" ({len(a.items)} → {len(b.items)} mục)" if len(a.items) != len(b.items) else ""
                changes.append(f"Câu hỏi {n}: sửa câu trả lời{items} {detail}".rstrip())
    else:
        a = [s.text for s in old.sections]
        b = [s.text for s in new.sections]
        added = removed = edited = 0
        first = ""
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            if op == "insert":
                added += j2 - j1
            elif op == "delete":
                removed += i2 - i1
            elif op == "replace":
                edited += min(i2 - i1, j2 - j1)
                added += max(0, (j2 - j1) - (i2 - i1))
                removed += max(0, (i2 - i1) - (j2 - j1))
                first = first or _snippet(a[i1], b[j1])
        parts = [f"{label} {n} đoạn" for label, n in (("thêm", added), ("bỏ", removed), ("sửa", edited)) if n]
        if parts:
            changes.append(("Đoạn văn: " + ", ".join(parts) + (f" — {first}" if first else "")).strip())
    if not changes:
        changes.append("Nội dung chữ không đổi (chỉ khác định dạng tệp).")
    if len(changes) > MAX_CHANGES:
        changes = changes[:MAX_CHANGES] + [f"… và {len(changes) - MAX_CHANGES} thay đổi khác."]
    return changes


def _history_name(path: Path) -> str:
    return f"{dt.datetime.now().strftime('%Y%m%d-%H%M%S-%f')}-{path.name}"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class KnowledgeBase:
    def __init__(self, folder: Path, max_bytes: int, cache: ParseCache | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.cache = cache or ParseCache()
        self.history = self.folder / HISTORY

    def scan(self):
        """Regular source files and notices about what was refused (links, special files)."""
        from bot.documents.sources import Scan

        return scan_folder(self.folder) if self.folder.is_dir() else Scan()

    def files(self) -> list[Path]:
        return self.scan().files

    def documents(self) -> list[tuple[Path, Document]]:
        """Every parsed document in the folder (a broken file raises, naming it). Parsed once per content."""
        return [(f, self.cache.parse(f, max_bytes=self.max_bytes)) for f in self.files()]

    def summaries(self) -> list[DocumentSummary]:
        return [DocumentSummary.of(doc, path.name) for path, doc in self.documents()]

    def _candidate(self, path: Path, original_name: str | None, progress=None) -> tuple[Document, str]:
        name = original_name or Path(path).name
        if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
            raise unsupported(name)
        # The user's file name only labels messages and picks the reader; the bytes come from ``path``.
        data = read_regular_file(Path(path), self.max_bytes)
        return self.cache.parse(Path(name), data=data, max_bytes=self.max_bytes, progress=progress), name

    def preview(self, path: Path, original_name: str | None = None, progress=None) -> DocumentSummary:
        """Parse a candidate file (nothing is stored) and say what adding it would do.

        Raises :class:`DuplicateDocument` when the same content is already present.
        When it is a new version of a loaded document, ``replaces``/``replaces_name``
        name that document and ``changes`` says what differs.
        """
        return self._preview(path, original_name, progress)[0]

    def _preview(self, path: Path, original_name: str | None, progress=None) -> tuple[DocumentSummary, Path | None]:
        doc, name = self._candidate(path, original_name, progress)
        summary = DocumentSummary.of(doc, name)
        replaced = None
        for existing_path, existing in self.documents():
            if existing.sha256 == doc.sha256:
                raise DuplicateDocument(f"văn bản này đã có trong kho (trùng nội dung với {existing_path.name})", name)
            if existing.doc_id == doc.doc_id or same_document(existing, doc):
                replaced = existing_path
                summary.replaces = existing_path.name
                summary.replaces_name = f"{existing.meta.short_name} ({existing_path.name})"
                summary.changes = diff_documents(existing, doc)
        return summary, replaced

    def set_aside(self, path: Path) -> Path:
        """Move a file out of the set into the folder's history (never deleted)."""
        return self._to_history(path)

    def _to_history(self, path: Path) -> Path:
        self.history.mkdir(parents=True, exist_ok=True)
        kept = self.history / _history_name(path)
        os.replace(path, kept)
        return kept

    def add(
        self, path: Path, original_name: str | None = None, replace: bool = False
    ) -> tuple[DocumentSummary, FileChange]:
        """Validate and store one document: its summary and the change made (to undo it if the build fails).

        A new version of a loaded document replaces it only when ``replace`` is
        true; the old file goes to ``.history/``.
        """
        summary, replaced = self._preview(path, original_name)
        if replaced is not None and not replace:
            raise DuplicateDocument(
                f"đã có văn bản cùng số hiệu {summary.number or summary.doc_id} (tệp {summary.replaces}); "
                "muốn thay thế thì xác nhận thay thế (CLI: --replace)",
                original_name or Path(path).name,
            )
        suffix = Path(original_name or path).suffix.lower()
        self.folder.mkdir(parents=True, exist_ok=True)
        change = FileChange()
        if replaced is not None:
            change.moved.append((replaced, self._to_history(replaced)))
        target = self.folder / f"{summary.doc_id}{suffix}"
        if target.exists():  # a file of another name's slot: never overwrite, keep it in history
            change.moved.append((target, self._to_history(target)))
        tmp = target.with_name(target.name + ".partial")
        try:
            shutil.copyfile(path, tmp)
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            change.undo()
            raise
        change.created.append(target)
        summary.file = target.name
        return summary, change

    def remove(self, doc_id: str) -> tuple[Path, FileChange]:
        """Move a document's file to ``.history/``; returns its path and the change (to undo it)."""
        for path, doc in self.documents():
            if doc.doc_id == doc_id or path.name == doc_id:
                return path, FileChange(moved=[(path, self._to_history(path))])
        raise DocumentNotFound(f"không có văn bản mã “{doc_id}” (xem: hoidap docs list)")

    def restore(self, documents: list[dict], source: Callable[[str], Path]) -> tuple[list[str], list[str], FileChange]:
        """Make the folder hold exactly ``documents`` (manifest entries: sha256, file, path).

        Files of other content go to ``.history/``; missing ones are written from
        ``source(sha256) -> Path`` (the index's content-addressed copies). Checks
        everything first: if a file cannot be restored nothing changes.
        Returns (files restored, files moved to history, the change).
        """
        wanted = {d["sha256"]: d for d in documents}
        present: dict[str, Path] = {}
        extra: list[Path] = []
        for path in self.files():
            sha = _sha256_file(path)
            if sha in wanted and sha not in present:
                present[sha] = path
            else:
                extra.append(path)
        missing = [d for sha, d in wanted.items() if sha not in present]
        for d in missing:
            if not own_file(source(d["sha256"])):  # a link planted in index/sources/ restores nothing
                raise IndexStoreError(
                    f"không còn tệp gốc của {d.get('file')} (sha256 {d['sha256'][:12]}) để khôi phục kho văn bản"
                )
        change = FileChange()
        restored: list[str] = []
        try:
            for path in extra:
                change.moved.append((path, self._to_history(path)))
            for d in missing:
                rel = Path(d.get("path") or d["file"])
                if rel.is_absolute() or ".." in rel.parts:
                    rel = Path(Path(d["file"]).name)
                target = self.folder / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists():
                    change.moved.append((target, self._to_history(target)))
                tmp = target.with_name(target.name + ".partial")
                shutil.copyfile(source(d["sha256"]), tmp)
                tmp.replace(target)
                change.created.append(target)
                restored.append(rel.as_posix())
        except BaseException:
            change.undo()
            raise
        return restored, [p.name for p in extra], change
