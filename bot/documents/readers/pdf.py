"""PDF: words with their positions (pdfplumber), rebuilt into lines, columns and paragraphs.

Measured on Vietnamese PDFs made like Word makes them (each word placed on its
own, justified; ``scripts/measure_pdf.py``): pypdf's plain mode put every
justified word on its own line, its layout mode kept the justification as runs
of spaces and glued words (``triệtsâu``); pdfplumber's word boxes gave clean
words. So the text comes from pdfplumber's words, and the layout from their
geometry:

- words → lines by their vertical position;
- a vertical gutter that most lines leave empty splits a page into two columns
  (read left, then right; a line crossing the gutter is read where it stands);
- the first and last lines of each page that repeat across pages, or are page
  numbers, are running headers/footers and are dropped;
- a line *wraps* when the next line's first word would not have fit before the
  column's right edge — the paragraph rules of :mod:`bot.documents.layout`
  then join lines into paragraphs, across columns and pages.
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass
from pathlib import Path

from bot.documents.layout import Line, clean_inline, join_lines, strip_running
from bot.documents.readers import (
    MAX_PDF_INFLATED_BYTES,
    MAX_PDF_PAGES,
    MAX_PDF_STREAM_BYTES,
    Extracted,
    encoding_note,
    fix_encoding,
)
from bot.errors import DocumentError, DocumentTooLarge
from bot.text.normalize import fold

PASSWORD_MESSAGE = "PDF có mật khẩu; hãy gửi bản không đặt mật khẩu (hoặc bản .docx)"
_MIN_GUTTER = 10.0  # points of empty space between two columns


@dataclass
class _Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float


@dataclass
class _PdfLine:
    words: list[_Word]

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def text(self) -> str:
        return clean_inline(" ".join(w.text for w in self.words))


def _bomb(detail: str, path: Path) -> DocumentTooLarge:
    return DocumentTooLarge(f"tệp PDF bị từ chối: {detail} (nghi là “bom nén”); hãy xuất lại PDF từ Word", path)


def check_streams(reader, path: Path) -> None:
    """Inflate every stream text extraction would inflate — content streams, forms, fonts, object
    streams; not images, which it never decodes — and refuse the file when one stream inflates past
    :data:`MAX_PDF_STREAM_BYTES` or all of them past :data:`MAX_PDF_INFLATED_BYTES`. pypdf inflates
    with a cap (its ``Configuration``), so measuring a 3 GB stream costs 50 MB, not 3 GB; pdfminer,
    which reads the text afterwards, has no cap of its own."""
    from pypdf import apply_configuration
    from pypdf.errors import LimitReachedError
    from pypdf.generic import IndirectObject, StreamObject

    cap = MAX_PDF_STREAM_BYTES
    total = 0
    caps = {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
    }
    with apply_configuration(**caps):
        for generation, objects in list(reader.xref.items()):
            for number in list(objects):
                try:
                    obj = reader.get_object(IndirectObject(number, generation, reader))
                    if not isinstance(obj, StreamObject) or obj.get("/Subtype") == "/Image":
                        continue
                    size = len(obj.get_data())
                except LimitReachedError:
                    raise _bomb(f"một luồng dữ liệu giải nén ra hơn {cap // 1048576} MB", path) from None
                except Exception:  # a broken object: the text reader decides what it can read
                    continue
                if hasattr(obj, "decoded_self"):
                    obj.decoded_self = None  # measured: do not keep it
                total += size
                if total > MAX_PDF_INFLATED_BYTES:
                    raise _bomb(f"nội dung giải nén ra hơn {MAX_PDF_INFLATED_BYTES // 1048576} MB", path)


def _check_password(data: bytes, path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(PASSWORD_MESSAGE, path)
        pages = len(reader.pages)
        check_streams(reader, path)
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as e:
        raise DocumentError(f"không đọc được tệp PDF ({type(e).__name__})", path) from e
    except Exception as e:  # a PDF that needs a decryption algorithm we lack, among others
        if "decrypt" in str(e).lower() or "password" in str(e).lower():
            raise DocumentError(PASSWORD_MESSAGE, path) from e
        raise DocumentError(f"không đọc được tệp PDF ({type(e).__name__})", path) from e
    if pages > MAX_PDF_PAGES:
        raise DocumentTooLarge(f"PDF có {pages} trang, vượt giới hạn {MAX_PDF_PAGES} trang", path)


def _lines_of(words: list[_Word]) -> list[_PdfLine]:
    """Group words into lines: same baseline band, left to right."""
    lines: list[_PdfLine] = []
    for w in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        if lines:
            last = lines[-1]
            height = max(w.bottom - w.top, 1.0)
            if abs(w.top - last.words[0].top) <= 0.5 * height:
                last.words.append(w)
                continue
        lines.append(_PdfLine([w]))
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def _gutter(lines: list[_PdfLine], left: float, right: float) -> float | None:
    """An x that most lines leave empty with text on both sides: the gap between two columns."""
    width = right - left
    candidates = []
    for line in lines:
        for a, b in zip(line.words, line.words[1:], strict=False):
            mid = (a.x1 + b.x0) / 2
            if b.x0 - a.x1 >= _MIN_GUTTER and left + 0.25 * width <= mid <= left + 0.75 * width:
                candidates.append(mid)
    best, best_score = None, 0
    for x in candidates:
        covering = crossing = 0
        for line in lines:
            if line.x1 <= x or line.x0 >= x:
                continue  # wholly on one side: a short line of one column
            if any(w.x0 < x < w.x1 for w in line.words):
                crossing += 1
            else:
                covering += 1
        if covering >= 4 and covering >= 3 * crossing and covering > best_score:
            best, best_score = x, covering
    return best


def _reading_order(lines: list[_PdfLine]) -> list[list[_PdfLine]]:
    """Columns (or full-width runs) of a page, in reading order."""
    if not lines:
        return []
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    gutter = _gutter(lines, left, right)
    if gutter is None:
        return [lines]
    runs: list[list[_PdfLine]] = []
    pending_left: list[_PdfLine] = []
    pending_right: list[_PdfLine] = []

    def flush() -> None:
        if pending_left:
            runs.append(list(pending_left))
        if pending_right:
            runs.append(list(pending_right))
        pending_left.clear()
        pending_right.clear()

    for line in lines:
        if line.x1 <= gutter:
            pending_left.append(line)
        elif line.x0 >= gutter:
            pending_right.append(line)
        else:
            # Words on both sides with a gutter-wide gap between them: two columns on one baseline.
            # (A centred title line may also have a space near the middle; its gap is a word space.)
            lefts = [w for w in line.words if w.x1 <= gutter]
            rights = [w for w in line.words if w.x0 >= gutter]
            if len(lefts) + len(rights) == len(line.words) and rights[0].x0 - lefts[-1].x1 >= _MIN_GUTTER:
                pending_left.append(_PdfLine(lefts))
                pending_right.append(_PdfLine(rights))
            else:
                flush()
                runs.append([line])
    flush()
    return runs


@dataclass
class _Placed:
    """A visual line with the geometry the wrap test needs."""

    line: Line
    top: float
    x1: float
    right: float  # right edge of its column on its page
    first_word: float  # width of its first word
    space: float  # width of a space in its font, roughly


def _place(run: list[_PdfLine], number: int) -> list[_Placed]:
    right = max(ln.x1 for ln in run)
    pitch = statistics.median([b.top - a.top for a, b in zip(run, run[1:], strict=False)] or [0.0])
    out = []
    for i, line in enumerate(run):
        first = line.words[0]
        gap = i > 0 and pitch > 0 and line.top - run[i - 1].top > 1.8 * pitch
        out.append(
            _Placed(
                Line(line.text, number + i, None, gap),
                line.top,
                line.x1,
                right,
                first.x1 - first.x0,
                max((first.bottom - first.top) * 0.25, 1.5),
            )
        )
    return out


def read_pdf(data: bytes, path: Path, config=None) -> Extracted:
    """Paragraphs of a PDF; pages with no text layer are OCR'd with ``config`` (:class:`~bot.documents.ocr.OcrConfig`)."""
    _check_password(data, path)
    try:
        import pdfplumber

        raw_pages: list[list[_PdfLine]] = []
        with pdfplumber.open(io.BytesIO(data), password="") as pdf:
            for page in pdf.pages:
                words = [
                    _Word(w["text"], w["x0"], w["x1"], w["top"], w["bottom"])
                    for w in page.extract_words(x_tolerance=1.5, y_tolerance=2.5, keep_blank_chars=False)
                    if w["text"].strip()
                ]
                raw_pages.append(_lines_of(words))
                page.flush_cache()
    except DocumentError:
        raise
    except Exception as e:  # pdfminer raises many types for malformed files
        message = str(e).lower()
        if "password" in message or "encrypt" in message:
            raise DocumentError(PASSWORD_MESSAGE, path) from e
        raise DocumentError(f"không đọc được tệp PDF ({type(e).__name__})", path) from e
    ocr = None
    if not all(raw_pages):
        # Pages without a text layer are scans: their words are recognised (page by page, so a PDF
        # mixing typed and scanned pages is read whole) and laid out below like a text layer's.
        from bot.documents.readers.scan import ocr_pdf_pages

        blank = [i for i, page in enumerate(raw_pages) if not page]
        recognised, ocr = ocr_pdf_pages(data, path, blank, len(raw_pages), config)
        for i, lines in recognised.items():
            raw_pages[i] = lines
    if not any(raw_pages):
        raise DocumentError("PDF không có chữ (kể cả khi nhận dạng bản scan); hãy gửi bản có chữ hoặc .docx", path)
    extracted = lay_out(raw_pages)
    extracted.ocr = ocr
    return extracted


def lay_out(raw_pages: list[list[_PdfLine]]) -> Extracted:
    """Paragraphs of pages of visual lines (from a text layer or from OCR), in reading order."""
    # Running headers/footers are judged on whole visual lines, top to bottom, before columns are split
    # (a centred "- 3 -" would otherwise straddle the gutter).
    # Compared without diacritics: OCR may read a running header's marks differently on each page.
    wrapped_pages = [[Line(fold(ln.text), 0) for ln in page] for page in raw_pages]
    kept, _ = strip_running(wrapped_pages)
    kept_ids = {id(ln) for page in kept for ln in page}
    removed = [
        ln.text
        for raw, wrappers in zip(raw_pages, wrapped_pages, strict=True)
        for ln, w in zip(raw, wrappers, strict=True)
        if id(w) not in kept_ids
    ]
    placed: list[_Placed] = []
    for raw, wrappers in zip(raw_pages, wrapped_pages, strict=True):
        body = [ln for ln, w in zip(raw, wrappers, strict=True) if id(w) in kept_ids]
        for run in _reading_order(body):
            placed.extend(_place(run, len(placed) + 1))
    for here, nxt in zip(placed, placed[1:], strict=False):
        # Wrapped: the next line's first word would not have fit before this column's right edge
        # (measured across columns and pages too, so a paragraph goes on after a page break).
        here.line.wraps = here.x1 + nxt.space + nxt.first_word > here.right - 0.5
    lines = [p.line for p in placed]
    texts, encoding = fix_encoding([ln.text for ln in lines])
    for ln, text in zip(lines, texts, strict=True):
        ln.text = text
    notes = encoding_note(encoding)
    if removed:
        notes.append(f"Đã bỏ {len(removed)} dòng đầu/chân trang và số trang (ví dụ “{removed[0]}”).")
    return Extracted(join_lines(lines), notes, encoding, removed)
