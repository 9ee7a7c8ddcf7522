"""The knowledge folder: the source documents admins add, replace and remove.

Files are stored under a name derived from the document itself (its number, or
a slug of its title plus a content hash) — a name sent by a user never decides
a path on disk. Every change is validated first (type, size, parse, duplicate)
so nothing changes when a document is refused.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.model import Document
from bot.documents.parser import parse_file
from bot.documents.readers import SUPPORTED_SUFFIXES
from bot.errors import DocumentNotFound, DuplicateDocument, UnsupportedFileType
from bot.index.builder import find_sources

PREVIEW_QUESTIONS = 3


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

    @classmethod
    def of(cls, doc: Document, file: str) -> DocumentSummary:
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
        )


class KnowledgeBase:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def files(self) -> list[Path]:
        return find_sources([self.folder]) if self.folder.is_dir() else []

    def documents(self) -> list[tuple[Path, Document]]:
        """Every parsed document in the folder (a broken file raises, naming it)."""
        return [(f, parse_file(f, max_bytes=self.max_bytes)) for f in self.files()]

    def summaries(self) -> list[DocumentSummary]:
        return [DocumentSummary.of(doc, path.name) for path, doc in self.documents()]

    def preview(self, path: Path, original_name: str | None = None) -> DocumentSummary:
        """Parse a candidate file (nothing is stored) and say what adding it would do.

        Raises :class:`DuplicateDocument` when the same content is already present.
        """
        name = original_name or Path(path).name
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnsupportedFileType(
                f"định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; hãy gửi tệp .txt, .md, .docx hoặc .pdf",
                name,
            )
        # The user's file name only labels messages and picks the reader; the bytes come from ``path``.
        doc = parse_file(Path(name), data=Path(path).read_bytes(), max_bytes=self.max_bytes)
        summary = DocumentSummary.of(doc, name)
        for existing_path, existing in self.documents():
            if existing.sha256 == doc.sha256:
                raise DuplicateDocument(f"văn bản này đã có trong kho (trùng nội dung với {existing_path.name})", name)
            if existing.doc_id == doc.doc_id:
                summary.replaces = existing_path.name
        return summary

    def add(
        self, path: Path, original_name: str | None = None, replace: bool = False
    ) -> tuple[DocumentSummary, Path, tuple[Path, bytes] | None]:
        """Validate and store one document: its summary, stored path, and the file it replaced (with its bytes).

        A document with the same number as an existing one replaces it only when
        ``replace`` is true.
        """
        summary = self.preview(path, original_name)
        if summary.replaces and not replace:
            raise DuplicateDocument(
                f"đã có văn bản cùng số hiệu {summary.number or summary.doc_id} (tệp {summary.replaces}); "
                "muốn thay thế thì xác nhận thay thế (CLI: --replace)",
                original_name or Path(path).name,
            )
        suffix = Path(original_name or path).suffix.lower()
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{summary.doc_id}{suffix}"
        replaced = None
        if summary.replaces:
            old = self.folder / summary.replaces
            replaced = (old, old.read_bytes())
            old.unlink()
        tmp = target.with_name(target.name + ".partial")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
        summary.file = target.name
        return summary, target, replaced

    def remove(self, doc_id: str) -> tuple[Path, bytes]:
        """Delete a document's file from the folder; returns its path and bytes (to put it back)."""
        for path, doc in self.documents():
            if doc.doc_id == doc_id or path.name == doc_id:
                data = path.read_bytes()
                path.unlink()
                return path, data
        raise DocumentNotFound(f"không có văn bản mã “{doc_id}” (xem: hoidap docs list)")
