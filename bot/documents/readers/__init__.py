"""Read a source file into paragraphs: .txt/.md, .docx (python-docx), .pdf (pdfplumber; scanned pages
by OCR), photos of pages .jpg/.png (OCR), old .doc (converted by LibreOffice).

Readers extract *what a reader of the document sees*, in reading order, as
:class:`~bot.documents.layout.Block` paragraphs (and table rows); structure
(questions, answers, items) is the parser's job. Every failure is a
:class:`DocumentError` naming the file (and the line, where there is one).

Limits keep the cost of one document bounded (issue: a 4 MB one-paragraph text
or a 60 MB-XML .docx held builds for hours): a paragraph longer than
:data:`MAX_BLOCK_CHARS`, more than :data:`MAX_BLOCKS` paragraphs, a .docx whose
XML inflates past :data:`MAX_DOCX_XML_BYTES`, a PDF of more than
:data:`MAX_PDF_PAGES` pages or one whose streams inflate past
:data:`MAX_PDF_STREAM_BYTES` (one) or :data:`MAX_PDF_INFLATED_BYTES` (all) is
refused with a message saying so. Whatever these miss meets the memory and time
limits of the child process the bot parses in (:mod:`bot.documents.sandbox`).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.encoding import ENCODING_NAMES, is_vietnamese, looks_like_tcvn3, repair_legacy
from bot.documents.layout import Block
from bot.documents.ocr import OcrConfig
from bot.errors import DocumentError, DocumentTooLarge, UnsupportedFileType

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")  # photos and scans of pages (.tif: several pages)
SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".pdf", ".doc", *IMAGE_SUFFIXES)
MAX_BLOCK_CHARS = 12_000  # one paragraph: about four pages of dense prose
MAX_BLOCKS = 20_000  # paragraphs (and table rows) in one document
MAX_DOCX_XML_BYTES = 40 * 1024 * 1024  # XML of a .docx once inflated (images do not count)
MAX_PDF_PAGES = 1_500
# Inflated size of a PDF's streams that text extraction decodes (images excluded): one stream, and all.
MAX_PDF_STREAM_BYTES = 50 * 1024 * 1024
MAX_PDF_INFLATED_BYTES = 200 * 1024 * 1024


@dataclass
class Extracted:
    """What a reader got out of a file."""

    blocks: list[Block]
    notes: list[str] = field(default_factory=list)  # said in the preview (encoding converted, footers dropped)
    encoding: str | None = None  # "tcvn3" / "vni" when the text was converted to Unicode
    removed: list[str] = field(default_factory=list)  # running headers/footers and page numbers dropped
    # Pages read by OCR: confidence, doubtful words, corrections (bot.documents.readers.scan); None: no OCR.
    ocr: dict | None = None

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


def unsupported(name: str | Path) -> UnsupportedFileType:
    suffix = Path(name).suffix.lower()
    return UnsupportedFileType(
        f"định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; hãy gửi tệp .txt, .md, .docx, .doc, .pdf "
        "hoặc ảnh chụp trang .jpg/.png",
        name,
    )


def read_regular_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file, refusing links and special files (opened without following links)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as e:
        if Path(path).is_symlink():
            raise DocumentError("là liên kết (symlink), không phải tệp thường; bị từ chối", path) from e
        raise DocumentError(f"không đọc được tệp ({e.strerror})", path) from e
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise DocumentError("không phải tệp thường; bị từ chối", path)
        if max_bytes is not None and info.st_size > max_bytes:
            raise DocumentTooLarge(too_large(info.st_size, max_bytes), path)
        return f.read()


def too_large(size: int, limit: int) -> str:
    return f"tệp quá lớn ({size / 1048576:.1f} MB); giới hạn là {limit / 1048576:.0f} MB"


@dataclass(frozen=True)
class ReadOptions:
    """What readers need from the settings, passed explicitly: parsing runs in a child process forked
    from a server started earlier, whose environment may not be this process's."""

    ocr: OcrConfig = field(default_factory=OcrConfig)
    soffice_cmd: str = "soffice"  # LibreOffice, which converts old .doc files

    @classmethod
    def from_settings(cls, settings) -> ReadOptions:
        return cls(OcrConfig.from_settings(settings), settings.libreoffice_cmd)

    def key(self) -> str:
        """What a parsed document depends on besides its bytes and the code (the parse cache's key)."""
        return self.ocr.key()


def default_options() -> ReadOptions:
    from bot.settings import get_settings

    return ReadOptions.from_settings(get_settings())


def read_document(
    path: Path, data: bytes | None = None, max_bytes: int | None = None, options: ReadOptions | None = None
) -> Extracted:
    """Paragraphs of ``path`` (or of ``data``, typed by ``path``'s suffix), checked against the limits.
    Scanned pages and photos are recognised, old .doc files converted, as ``options`` say (default: as
    the settings say)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise unsupported(path)
    if data is None:
        data = read_regular_file(path, max_bytes)
    elif max_bytes is not None and len(data) > max_bytes:
        raise DocumentTooLarge(too_large(len(data), max_bytes), path)
    if not data.strip():
        raise DocumentError("tệp rỗng, không có nội dung", path)
    options = options or default_options()
    if suffix in (".txt", ".md"):
        from bot.documents.readers.txt import read_text

        extracted = read_text(data, path, markdown=suffix == ".md")
    elif suffix == ".docx":
        from bot.documents.readers.word import read_docx

        extracted = read_docx(data, path)
    elif suffix == ".doc":
        from bot.documents.readers.legacy import read_doc

        extracted = read_doc(data, path, options.soffice_cmd)
    elif suffix in IMAGE_SUFFIXES:
        from bot.documents.readers.scan import read_image

        extracted = read_image(data, path, options.ocr)
    else:
        from bot.documents.readers.pdf import read_pdf

        extracted = read_pdf(data, path, options.ocr)
    check_limits(extracted.blocks, path)
    check_vietnamese(extracted, path)
    return extracted


def check_limits(blocks: list[Block], path: Path) -> None:
    if len(blocks) > MAX_BLOCKS:
        raise DocumentTooLarge(
            f"văn bản có quá nhiều đoạn ({len(blocks)}; tối đa {MAX_BLOCKS}); hãy tách thành nhiều tệp", path
        )
    for b in blocks:
        if len(b.text) > MAX_BLOCK_CHARS:
            raise DocumentTooLarge(
                f"đoạn văn quá dài ({len(b.text)} ký tự; tối đa {MAX_BLOCK_CHARS} ký tự một đoạn); "
                "hãy chia đoạn này thành các đoạn ngắn hơn",
                path,
                b.line,
            )


def fix_encoding(texts: list[str]) -> tuple[list[str], str | None]:
    """Convert TCVN3/VNI mojibake to Unicode when the whole text says it is one (see encoding.py)."""
    repaired = repair_legacy("\n".join(texts))
    if repaired.encoding is None:
        return texts, None
    from bot.documents.encoding import tcvn3_to_unicode, vni_to_unicode

    convert = tcvn3_to_unicode if repaired.encoding == "tcvn3" else vni_to_unicode
    return [convert(t) for t in texts], repaired.encoding


def encoding_note(encoding: str | None) -> list[str]:
    if encoding is None:
        return []
    return [f"Văn bản gõ bằng bảng mã {ENCODING_NAMES[encoding]}; đã chuyển sang Unicode — hãy kiểm tra lại chữ."]


def check_vietnamese(extracted: Extracted, path: Path) -> None:
    text = extracted.text
    ok, ratio = is_vietnamese(text)
    if ok:
        return
    if looks_like_tcvn3(text):
        raise DocumentError(
            "chữ bị lỗi phông (có vẻ gõ bằng bảng mã cũ TCVN3/ABC hoặc VNI) và không chuyển được sang Unicode; "
            "hãy mở bằng Word, chuyển mã sang Unicode (Unikey: Công cụ chuyển mã) rồi gửi lại",
            path,
        )
    raise DocumentError(
        f"nội dung không phải văn bản tiếng Việt (chỉ {ratio:.0%} số từ là âm tiết tiếng Việt); hãy kiểm tra lại tệp",
        path,
    )
