"""Scanned PDF pages and photos of pages: OCR'd words turned into the PDF reader's lines.

The recognition itself (rendering, clean-up, Tesseract, cache) is :mod:`bot.documents.ocr`; the
Vietnamese corrections are :mod:`bot.documents.ocrfix`. Here the recognised words of a page become
the visual lines :func:`bot.documents.readers.pdf.lay_out` reads every PDF page from, and a report is
kept for the preview: the confidence of each page, its doubtful words, what was corrected, and the
recognised text, which the admin may download, correct and send back as a .txt or .docx.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from bot.documents.ocr import (
    DISABLED,
    LOW_CONFIDENCE,
    NOT_INSTALLED,
    OcrConfig,
    OcrPage,
    PageReader,
    default_config,
    render_pdf_page,
    report_progress,
    tesseract_available,
)
from bot.documents.ocrfix import correct_words, drop_specks, typographic_quotes
from bot.documents.readers import MAX_PDF_PAGES, Extracted
from bot.documents.readers.pdf import _PdfLine, _Word, lay_out
from bot.errors import DocumentError, DocumentTooLarge

MAX_IMAGE_PIXELS = 60_000_000  # a 50-megapixel phone photo fits; a decompression bomb does not
MAX_LOW_WORDS = 30  # doubtful words listed per page in the preview


def _check(config: OcrConfig, path: Path) -> None:
    if not config.enabled:
        raise DocumentError(DISABLED, path)
    if not tesseract_available(config):
        raise DocumentError(NOT_INSTALLED, path)


def _failure(error: Exception, config: OcrConfig, path: Path) -> DocumentError:
    """What went wrong in Tesseract, said to the admin."""
    import pytesseract

    if isinstance(error, pytesseract.TesseractNotFoundError):
        return DocumentError(NOT_INSTALLED, path)
    if "timeout" in str(error).lower():
        return DocumentTooLarge(
            f"nhận dạng chữ một trang quá lâu (giới hạn {config.page_seconds:.0f} giây); hãy tách tệp "
            "thành nhiều phần hoặc gửi bản có lớp chữ",
            path,
        )
    detail = getattr(error, "message", str(error)) or type(error).__name__
    return DocumentError(
        f"nhận dạng chữ (OCR) thất bại: {str(detail).strip()[:160]}; hãy kiểm tra gói tesseract-ocr-vie", path
    )


def page_lines(page: OcrPage) -> tuple[list[_PdfLine], list[dict], list[str]]:
    """Visual lines of a recognised page, top to bottom (words corrected), the corrections made, and the
    words Tesseract was unsure of (as they read after correction, for highlighting)."""
    by_line: dict[tuple[int, int, int], list] = {}
    for w in page.words:
        by_line.setdefault(w.line, []).append(w)
    ordered = sorted(by_line.values(), key=lambda ws: min(w.top for w in ws))
    for ws in ordered:
        ws.sort(key=lambda w: w.x0)
    flat = [w for ws in ordered for w in ws]
    starts, k = set(), 0
    for ws in ordered:
        starts.add(k)
        k += len(ws)
    texts = [typographic_quotes(w.text) for w in flat]
    keep = drop_specks(texts, [w.confidence for w in flat], starts)
    kept = set(keep)
    fixed, changes = correct_words([texts[i] for i in keep], [flat[i].confidence for i in keep])
    cleaned = dict(zip(keep, fixed, strict=True))
    lines: list[_PdfLine] = []
    k = 0
    for ws in ordered:
        words = [
            _Word(part, w.x0, w.x1, w.top, w.bottom)
            for j, w in enumerate(ws)
            if k + j in kept
            for part in [cleaned[k + j]]
        ]
        k += len(ws)
        if words:
            lines.append(_PdfLine(words))
    low = [cleaned[i] for i in keep if flat[i].confidence < LOW_CONFIDENCE]
    return lines, [{"before": c.before, "after": c.after} for c in changes], low


def page_report(page: OcrPage, corrections: list[dict], low: list[str]) -> dict:
    return {
        "page": page.number,
        "confidence": round(page.confidence, 1),
        "words": len(page.words),
        "low": low[:MAX_LOW_WORDS],
        "low_count": len(low),
        "corrections": corrections,
        "seconds": round(page.seconds, 2),
        "cached": page.cached,
    }


def _collect(reader: PageReader, numbers: list[int], pending: dict[int, OcrPage]) -> dict[int, OcrPage]:
    out = dict(pending)
    for n in numbers:
        if n not in out:
            out[n] = reader.result(n)
            report_progress(len(out), len(numbers))
    return out


def ocr_pdf_pages(
    data: bytes, path: Path, blank: list[int], page_count: int, config: OcrConfig | None
) -> tuple[dict[int, list[_PdfLine]], dict]:
    """Lines of the PDF pages ``blank`` (0-based) recognised by OCR, and the OCR report."""
    config = config or default_config()
    sha = hashlib.sha256(data).hexdigest()
    reader = PageReader(sha, config)
    try:
        found: dict[int, OcrPage] = {}
        missing = []
        for i in blank:
            page = reader.cached(i + 1)
            if page is not None:
                found[i + 1] = page
            else:
                missing.append(i)
        if missing:
            _check(config, path)
            import pypdfium2 as pdfium

            try:
                pdf = pdfium.PdfDocument(data)
            except pdfium.PdfiumError as e:
                raise DocumentError(f"không đọc được trang scan của tệp PDF ({e})", path) from e
            try:
                # Rendering is not thread-safe in pdfium: pages are rendered here, one by one, while
                # the pool cleans and recognises those already rendered.
                for i in missing:
                    reader.submit(i + 1, render_pdf_page(pdf, i, config.dpi))
            finally:
                pdf.close()
        pages = _collect(reader, [i + 1 for i in blank], found)
    except (RuntimeError, OSError) as e:
        raise _failure(e, config, path) from e
    finally:
        reader.close()
    out: dict[int, list[_PdfLine]] = {}
    reports = []
    for i in blank:
        lines, corrections, low = page_lines(pages[i + 1])
        out[i] = lines
        reports.append(page_report(pages[i + 1], corrections, low))
    return out, {"pages": reports, "page_count": page_count, "ran": reader.ran}


def combine_pages(images: list[bytes]) -> bytes:
    """Several photos of pages (JPEG/PNG bytes, in page order) as one multi-page TIFF: one document,
    read page by page like the photos themselves."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    pages = [ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB") for data in images]
    out = io.BytesIO()
    pages[0].save(out, format="TIFF", save_all=True, append_images=pages[1:], compression="jpeg", quality=92)
    return out.getvalue()


def read_image(data: bytes, path: Path, config: OcrConfig | None = None) -> Extracted:
    """Photos or scans of pages (JPEG/PNG: one page; TIFF: every frame is a page)."""
    config = config or default_config()
    from PIL import Image, ImageOps, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    sha = hashlib.sha256(data).hexdigest()
    reader = PageReader(sha, config)
    try:
        try:
            image = Image.open(io.BytesIO(data))
            frames = getattr(image, "n_frames", 1)
        except (UnidentifiedImageError, OSError) as e:
            raise DocumentError("không mở được ảnh (tệp JPEG/PNG bị hỏng?)", path) from e
        except Image.DecompressionBombError as e:
            raise DocumentTooLarge("ảnh quá lớn; hãy chụp lại với độ phân giải thấp hơn", path) from e
        if frames > MAX_PDF_PAGES:
            raise DocumentTooLarge(f"ảnh có {frames} trang, vượt giới hạn {MAX_PDF_PAGES} trang", path)
        found = {n: p for n in range(1, frames + 1) if (p := reader.cached(n)) is not None}
        if len(found) < frames:
            _check(config, path)
            for n in range(1, frames + 1):
                if n in found:
                    continue
                image.seek(n - 1)
                # Phones store the picture sideways with an EXIF note saying how to turn it.
                frame = ImageOps.exif_transpose(image.convert("RGB") if image.mode not in ("L", "RGB") else image)
                reader.submit(n, frame.copy(), photo=True)
        pages = _collect(reader, list(range(1, frames + 1)), found)
    except (RuntimeError, OSError) as e:
        raise _failure(e, config, path) from e
    finally:
        reader.close()
    raw_pages, reports = [], []
    for n in range(1, frames + 1):
        lines, corrections, low = page_lines(pages[n])
        raw_pages.append(lines)
        reports.append(page_report(pages[n], corrections, low))
    if not any(raw_pages):
        raise DocumentError("không nhận dạng được chữ nào trong ảnh; hãy chụp lại rõ, thẳng và đủ sáng", path)
    extracted = lay_out(raw_pages)
    extracted.ocr = {"pages": reports, "page_count": frames, "ran": reader.ran}
    return extracted
