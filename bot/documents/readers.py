"""Read a source file into text lines: .txt, .md, .docx (python-docx), .pdf (pypdf).

Readers only extract text; structure is the parser's job. Every failure is a
:class:`DocumentError` naming the file (and the line, where there is one).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from bot.errors import DocumentError, DocumentTooLarge, UnsupportedFileType

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf")
# A .docx is a zip: refuse archives that would inflate past this (zip bombs).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200


def read_lines(path: Path, data: bytes | None = None, max_bytes: int | None = None) -> list[str]:
    """Return the text lines of ``path`` (or of ``data`` if given, typed by ``path``'s suffix)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFileType(
            f"định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; hãy gửi tệp .txt, .md, .docx hoặc .pdf",
            path,
        )
    if data is None:
        try:
            size = path.stat().st_size
        except OSError as e:
            raise DocumentError(f"không đọc được tệp ({e.strerror})", path) from e
        if max_bytes is not None and size > max_bytes:
            raise DocumentTooLarge(_too_large(size, max_bytes), path)
        data = path.read_bytes()
    elif max_bytes is not None and len(data) > max_bytes:
        raise DocumentTooLarge(_too_large(len(data), max_bytes), path)
    if not data.strip():
        raise DocumentError("tệp rỗng, không có nội dung", path)
    if suffix in (".txt", ".md"):
        lines = decode_text(data, path).splitlines()
        if suffix == ".md":
            lines = [_strip_markdown(line) for line in lines]
        return lines
    if suffix == ".docx":
        return _read_docx(data, path)
    return _read_pdf(data, path)


def _too_large(size: int, limit: int) -> str:
    return f"tệp quá lớn ({size / 1048576:.1f} MB); giới hạn là {limit / 1048576:.0f} MB"


def decode_text(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without BOM) or BOM-marked UTF-16; name the line of bad bytes."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise DocumentError("tệp UTF-16 bị lỗi mã hóa", path) from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DocumentError(
            f"có byte không giải mã được bằng UTF-8 (vị trí {e.start}); hãy lưu tệp với mã hóa UTF-8",
            path,
            line,
        ) from e
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DocumentError("tệp chứa dữ liệu nhị phân, không phải văn bản", path, line)
    return text


_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)")


def _strip_markdown(line: str) -> str:
    """Drop heading hashes and bold markers: structure words stay, formatting goes."""
    return _MD_EMPHASIS.sub("", _MD_HEADING.sub("", line))


def _check_zip(data: bytes, path: Path) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("tệp .docx không hợp lệ (không phải định dạng Word/zip)", path)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as e:
        raise DocumentError("tệp .docx bị hỏng", path) from e
    if total > MAX_UNZIPPED_BYTES or total > MAX_COMPRESSION_RATIO * max(len(data), 1):
        raise DocumentError("tệp .docx bị từ chối: nội dung giải nén quá lớn (nghi là zip bomb)", path)


def _read_docx(data: bytes, path: Path) -> list[str]:
    _check_zip(data, path)
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises many types for malformed packages
        raise DocumentError(f"không mở được tệp .docx ({type(e).__name__})", path) from e
    lines: list[str] = []
    for para in document.paragraphs:
        lines.extend(para.text.split("\n"))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                lines.append(" ".join(dict.fromkeys(cells)))
    return lines


def _read_pdf(data: bytes, path: Path) -> list[str]:
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as e:  # pypdf raises many types for malformed files
        raise DocumentError(f"không đọc được tệp PDF ({type(e).__name__})", path) from e
    if not any(p.strip() for p in pages):
        raise DocumentError("PDF không có lớp chữ (có thể là bản scan); hãy gửi bản có chữ hoặc .docx", path)
    lines: list[str] = []
    for page in pages:
        lines.extend(page.splitlines())
    return lines
