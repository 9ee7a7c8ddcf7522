"""Optical character recognition of scanned pages and photos: render, clean up, Tesseract, cache.

Offices send the signed, stamped leaflet as a scan, or photograph a page. Such a page has no text
layer, so its words are recognised by Tesseract (Debian ``tesseract-ocr`` + ``tesseract-ocr-vie``,
driven with pytesseract) after the page has been:

- rendered with pypdfium2 at :attr:`OcrConfig.dpi` (a 200 dpi scan rendered at 300 dpi is upsampled,
  which Tesseract's LSTM reads better than the scan's own pixels);
- for a photo, flattened: the page quadrilateral is found (largest four-cornered contour) and warped
  to a rectangle, so lines photographed at an angle are straight again;
- deskewed (the angle whose row profile is sharpest, searched to ±3°) and binarised (Otsu for scans,
  a local threshold for photos, whose light is uneven), specks smaller than any diacritic removed.

Tesseract's words come back with their boxes, in points, so the PDF reader lays them out like the
words of a text layer (lines, columns, running headers, wraps: :mod:`bot.documents.readers.pdf`).

Cost: pages are recognised in parallel (one single-threaded ``tesseract`` per core; the process
calling this is the capped parsing child of :mod:`bot.documents.sandbox`, whose limits its
``tesseract`` children inherit), each with a time limit; and every result is cached in SQLite by the
sha256 of the file, the page number and the settings that change the result, so a rebuild, or a
second preview, never runs Tesseract again for the same page.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Bump when preprocessing changes what Tesseract sees: cached results of the old pipeline are not reused.
PIPELINE_VERSION = "3"
PSM = 3  # fully automatic page segmentation: finds columns and blocks itself
LOW_CONFIDENCE = 60  # Tesseract word confidence (0-100) below which the preview highlights a word
NOT_INSTALLED = (
    "tệp là bản scan/ảnh chụp nhưng máy chủ chưa cài Tesseract OCR (gói Debian tesseract-ocr và "
    "tesseract-ocr-vie); hãy nhờ quản trị cài đặt, hoặc gửi bản có lớp chữ (.docx, .pdf xuất từ Word)"
)
DISABLED = (
    "tệp là bản scan/ảnh chụp và nhận dạng chữ (OCR) đang tắt (HOIDAP_OCR_ENABLED=false); hãy gửi bản có "
    "lớp chữ (.docx, .pdf xuất từ Word) hoặc bật OCR"
)


@dataclass(frozen=True)
class OcrConfig:
    """How pages are recognised. Everything that changes the result is in :meth:`key`."""

    enabled: bool = True
    dpi: int = 300
    languages: str = "vie"
    page_seconds: float = 120.0
    workers: int = 0  # 0 = every core
    cache_path: Path | None = None
    tesseract_cmd: str = "tesseract"

    @classmethod
    def from_settings(cls, settings) -> OcrConfig:
        return cls(
            enabled=settings.ocr_enabled,
            dpi=settings.ocr_dpi,
            languages=settings.ocr_languages,
            page_seconds=float(settings.ocr_page_seconds),
            workers=settings.ocr_workers,
            cache_path=Path(settings.index_dir) / "cache" / "ocr.sqlite",
            tesseract_cmd=settings.ocr_tesseract_cmd,
        )

    def key(self) -> str:
        """The settings a recognised page depends on (not where it is cached or how fast)."""
        return f"dpi={self.dpi};lang={self.languages};psm={PSM};pipeline={PIPELINE_VERSION}"

    def worker_count(self) -> int:
        return self.workers or len(os.sched_getaffinity(0)) or 1


def default_config() -> OcrConfig:
    from bot.settings import get_settings

    return OcrConfig.from_settings(get_settings())


@dataclass
class OcrWord:
    """A recognised word, its box in points from the page's top left, its confidence (0-100)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float
    line: tuple[int, int, int]  # Tesseract's (block, paragraph, line)


@dataclass
class OcrPage:
    number: int  # 1-based
    words: list[OcrWord] = field(default_factory=list)
    seconds: float = 0.0  # Tesseract's time (0 when served from the cache)
    cached: bool = False

    @property
    def confidence(self) -> float:
        """Mean word confidence, weighted by word length (a misread long word counts more)."""
        total = sum(len(w.text) for w in self.words)
        if not total:
            return 0.0
        return sum(w.confidence * len(w.text) for w in self.words) / total

    def to_json(self) -> str:
        return json.dumps({"words": [[*asdict(w).values()] for w in self.words], "seconds": self.seconds})

    @classmethod
    def from_json(cls, number: int, text: str) -> OcrPage:
        data = json.loads(text)
        words = [
            OcrWord(t, x0, top, x1, bottom, conf, tuple(line)) for t, x0, top, x1, bottom, conf, line in data["words"]
        ]
        return cls(number, words, data.get("seconds", 0.0), cached=True)


# --- cache -------------------------------------------------------------------------------------
class OcrCache:
    """Recognised pages by (sha256 of the file, page, settings) in one SQLite file; no path: no cache."""

    def __init__(self, path: Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, result TEXT NOT NULL, created REAL NOT NULL)"
            )
            # Which file a page came from, so pages of files no index version holds any more can go
            # (added after the first release: older rows have none and are pruned by age alone).
            if "file" not in {row[1] for row in conn.execute("PRAGMA table_info(pages)")}:
                conn.execute("ALTER TABLE pages ADD COLUMN file TEXT")
            self._conn = conn
        return self._conn

    def get(self, key: str, number: int) -> OcrPage | None:
        try:
            with self._lock:
                conn = self._connect()
                if conn is None:
                    return None
                row = conn.execute("SELECT result FROM pages WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error as e:  # a broken cache only costs time
            log.warning("OCR cache not read (%s): %s", self.path, e)
            return None
        return OcrPage.from_json(number, row[0]) if row else None

    def put(self, key: str, page: OcrPage, file_sha256: str | None = None) -> None:
        try:
            with self._lock:
                conn = self._connect()
                if conn is None:
                    return
                with conn:
                    conn.execute(
                        "INSERT OR REPLACE INTO pages (key, result, created, file) VALUES (?, ?, ?, ?)",
                        (key, page.to_json(), time.time(), file_sha256),
                    )
        except sqlite3.Error as e:
            log.warning("OCR cache not written (%s): %s", self.path, e)

    def prune(self, keep: set[str], older_than: float) -> int:
        """Delete the pages of files not in ``keep`` (sha256) recognised more than ``older_than`` seconds
        ago: a scan no kept index version holds is not read again soon, and each page is tens of KB."""
        try:
            with self._lock:
                conn = self._connect()
                if conn is None:
                    return 0
                limit = time.time() - older_than
                with conn:
                    stale = [
                        key
                        for key, file in conn.execute("SELECT key, file FROM pages WHERE created < ?", (limit,))
                        if file not in keep
                    ]
                    conn.executemany("DELETE FROM pages WHERE key = ?", [(k,) for k in stale])
                return len(stale)
        except sqlite3.Error as e:
            log.warning("OCR cache not pruned (%s): %s", self.path, e)
            return 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def page_key(file_sha256: str, number: int, config: OcrConfig) -> str:
    return hashlib.sha256(f"{file_sha256}:{number}:{config.key()}".encode()).hexdigest()


# --- image clean-up ----------------------------------------------------------------------------
def _cv2():
    import cv2

    cv2.setNumThreads(1)  # one page per core already; OpenCV's own threads would only contend
    return cv2


def to_gray(image):
    """A PIL image (any mode) as an 8-bit grey numpy array."""
    import numpy as np

    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    array = np.asarray(image)
    if array.ndim == 3:
        array = _cv2().cvtColor(array, _cv2().COLOR_RGB2GRAY)
    return array


def _order_corners(points):
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    import numpy as np

    pts = points.reshape(4, 2).astype("float32")
    s, d = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array([pts[s.argmin()], pts[d.argmin()], pts[s.argmax()], pts[d.argmax()]], dtype="float32")


def find_page(gray):
    """The four corners of the page in a photo (the largest convex four-cornered contour covering a fifth
    of the picture or more), or None when there is none (a flat scan, a page filling the frame)."""
    cv2 = _cv2()
    scale = 1000 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    scale = min(scale, 1.0)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    edges = cv2.Canny(blurred, 50, 150)
    edges = cv2.dilate(edges, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 5)))
    contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = small.shape[0] * small.shape[1]
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:5]:
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4 and cv2.contourArea(approx) >= 0.2 * area:
            if cv2.contourArea(approx) >= 0.97 * area:
                return None  # the frame itself: nothing to flatten
            return _order_corners(approx) / scale
    return None


def flatten_page(gray, corners, min_width: int):
    """Warp the quadrilateral ``corners`` to an upright rectangle at least ``min_width`` wide."""
    import numpy as np

    cv2 = _cv2()
    tl, tr, br, bl = corners
    width = max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl))
    height = max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr))
    zoom = max(1.0, min_width / max(width, 1.0))
    w, h = int(width * zoom), int(height * zoom)
    target = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], dtype="float32")
    matrix = cv2.getPerspectiveTransform(corners.astype("float32"), target)
    return cv2.warpPerspective(gray, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)


def skew_angle(binary_ink, limit: float = 3.0, step: float = 0.1) -> float:
    """Degrees the text lines are turned by: the rotation that makes the ink's row profile sharpest."""
    import numpy as np

    cv2 = _cv2()
    scale = 1200 / max(binary_ink.shape)
    small = cv2.resize(binary_ink, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else binary_ink
    h, w = small.shape
    centre = (w / 2, h / 2)
    best, best_score = 0.0, -1.0
    for angle in np.arange(-limit, limit + step / 2, step):
        matrix = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        turned = cv2.warpAffine(small, matrix, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        profile = turned.sum(axis=1, dtype=np.float64)
        score = float(np.square(np.diff(profile)).sum())
        if score > best_score:
            best, best_score = float(angle), score
    return best


def remove_specks(ink, dpi: int):
    """Ink (white on black) without dust: blots smaller than any mark of a letter at this resolution.

    Only size is safe: the dot of ``ạ``, a colon or the acute over ``ấ`` are small and may lie well
    away from their letter (measured: removing small blots far from letters lost colons and tones).
    """
    import numpy as np

    cv2 = _cv2()
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    tiny = max(2, int(4 * (dpi / 300) ** 2))
    drop = (stats[:, cv2.CC_STAT_AREA] <= tiny) & (np.arange(count) > 0)
    if drop.any():
        ink = ink.copy()
        ink[drop[labels]] = 0
    return ink


def clean_page(gray, dpi: int, photo: bool = False):
    """Deskewed, binarised page (black text on white) ready for Tesseract."""

    cv2 = _cv2()
    if photo:
        corners = find_page(gray)
        if corners is not None:
            gray = flatten_page(gray, corners, min_width=int(5.8 * dpi))  # an A5 page's width at least
        # Uneven light: a threshold relative to the neighbourhood (about 2.5 mm square).
        block = max(15, int(dpi / 10) | 1)
        binary = cv2.adaptiveThreshold(
            cv2.GaussianBlur(gray, (3, 3), 0), 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, block, 15
        )
    else:
        _, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = 255 - binary
    ink = remove_specks(ink, dpi)
    angle = skew_angle(ink)
    if abs(angle) >= 0.05:
        h, w = ink.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        ink = cv2.warpAffine(ink, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=0)
        _, ink = cv2.threshold(ink, 127, 255, cv2.THRESH_BINARY)
    return 255 - ink


# --- Tesseract ----------------------------------------------------------------------------------
def tesseract_available(config: OcrConfig) -> bool:
    import shutil

    return shutil.which(config.tesseract_cmd) is not None


def recognise(image, number: int, dpi: int, config: OcrConfig) -> OcrPage:
    """Tesseract's words of one cleaned page (a numpy array), boxes converted to points."""
    import pytesseract
    from PIL import Image

    pytesseract.pytesseract.tesseract_cmd = config.tesseract_cmd
    began = time.monotonic()
    data = pytesseract.image_to_data(
        Image.fromarray(image),
        lang=config.languages,
        config=f"--psm {PSM} --dpi {dpi} -c preserve_interword_spaces=0",
        output_type=pytesseract.Output.DICT,
        timeout=config.page_seconds,
    )
    to_points = 72.0 / dpi
    words = []
    for i, text in enumerate(data["text"]):
        text = (text or "").strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, top, width, height = (data[k][i] for k in ("left", "top", "width", "height"))
        words.append(
            OcrWord(
                text,
                left * to_points,
                top * to_points,
                (left + width) * to_points,
                (top + height) * to_points,
                conf,
                (data["block_num"][i], data["par_num"][i], data["line_num"][i]),
            )
        )
    return OcrPage(number, words, time.monotonic() - began)


# The process-wide environment of tesseract children: one thread each (pages are the parallelism).
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
# Told (pages done, pages to recognise) after each page: the parsing child sends it to the parent, which
# shows it (``hoidap docs preview``). One document is read per process at a time, so one hook suffices.
progress_hook: Callable[[int, int], None] | None = None


def report_progress(done: int, total: int) -> None:
    if progress_hook is not None:
        try:
            progress_hook(done, total)
        except Exception:  # progress is a courtesy: never the reason a document fails
            log.debug("OCR progress not reported", exc_info=True)


class PageReader:
    """Recognises the pages of one file in parallel, serving and filling the cache."""

    def __init__(self, file_sha256: str, config: OcrConfig) -> None:
        self.sha = file_sha256
        self.config = config
        self.cache = OcrCache(config.cache_path)
        self.pool = ThreadPoolExecutor(max_workers=config.worker_count(), thread_name_prefix="ocr")
        # Rendered pages waiting for a worker hold memory (an A4 page at 300 dpi: 9 MB of grey): at most two
        # per worker are in flight, so a 300-page scan fits the parsing child's address space like a 3-page one.
        self.in_flight = threading.BoundedSemaphore(2 * config.worker_count())
        self.futures: dict[int, Future] = {}
        self.ran = 0  # pages Tesseract actually read (the rest came from the cache)

    def cached(self, number: int) -> OcrPage | None:
        return self.cache.get(page_key(self.sha, number, self.config), number)

    def submit(self, number: int, image, photo: bool = False) -> None:
        """Queue page ``number`` (a PIL image at :attr:`OcrConfig.dpi`) for cleaning and recognition; waits
        while enough pages are already queued."""
        self.in_flight.acquire()
        try:
            self.futures[number] = self.pool.submit(self._read, number, image, photo)
        except BaseException:
            self.in_flight.release()
            raise

    def _read(self, number: int, image, photo: bool) -> OcrPage:
        try:
            cleaned = clean_page(to_gray(image), self.config.dpi, photo)
            del image
            page = recognise(cleaned, number, self.config.dpi, self.config)
        finally:
            self.in_flight.release()
        self.cache.put(page_key(self.sha, number, self.config), page, self.sha)
        return page

    def result(self, number: int) -> OcrPage:
        page = self.futures.pop(number).result()
        self.ran += 1
        return page

    def close(self) -> None:
        for future in self.futures.values():
            future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.cache.close()


def render_pdf_page(pdf, index: int, dpi: int):
    """Page ``index`` (0-based) of an open pypdfium2 document as a grey PIL image at ``dpi``."""
    page = pdf[index]
    try:
        return page.render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        page.close()
