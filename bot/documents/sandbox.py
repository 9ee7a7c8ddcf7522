"""Parse a file in a child process that cannot take the server's memory or time.

A 3 MB PDF whose streams inflate to 3 GB made ``docs preview`` take 4.3 GB and 33 s, and the
dashboard's server 2.6 GB: pdfminer inflates a stream whole, with no limit. The readers now refuse
such files by measuring inflated sizes first, with limits per stream and per document
(:func:`bot.documents.readers.pdf.check_streams`, :func:`bot.documents.readers.word.check_zip`); and
whatever they miss meets the limits of the process parsing it:

- parsing runs in a child (``multiprocessing``'s *forkserver*: forked from a small, single-threaded
  server process that has the readers imported, not from the big multi-threaded bot, in ~50 ms);
- the child caps its own address space and CPU time (``resource.setrlimit``: ``RLIMIT_AS``,
  ``RLIMIT_CPU``) before reading a byte, and the parent kills it when the wall-clock time is up;
- a child that runs out of memory or time is reported as a file too large to read, in Vietnamese,
  naming the file — the server itself never holds more than the file's bytes.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bot import errors
from bot.documents.model import Document

log = logging.getLogger(__name__)
# Imported once by the fork server, so a child starts with them (``bot.cli``: the ``hoidap`` script, which a
# child imports again as its ``__main__``, costs nothing then).
PRELOAD = [
    "bot.documents.parser",
    "bot.documents.readers.pdf",
    "bot.documents.readers.word",
    "bot.documents.readers.scan",
    "bot.cli",
]
TOO_HEAVY = (
    "tệp cần quá nhiều bộ nhớ hoặc thời gian để đọc (giới hạn {memory} MB, {seconds} giây; có thể là tệp "
    "nén bất thường — “bom nén”); hãy kiểm tra lại tệp, hoặc lưu lại thành .docx/.pdf thông thường rồi gửi lại"
)
# A child that fails with an unexpected error while within this much of its address-space cap is taken
# to have run out of memory: C code refused an allocation does not always raise MemoryError
# ("SystemError: error return without exception set", "zlib.error: insufficient memory").
NEAR_CAP = 128 * 1024 * 1024
SLOW_SUFFIXES = (".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".doc")
_context = None
_context_lock = threading.Lock()
# The last parse: wall-clock seconds and the child's peak resident memory (logs, scripts/measure_bomb.py).
last_run: dict[str, float | None] = {"seconds": None, "peak_bytes": None}


@dataclass(frozen=True)
class ParseLimits:
    """What one parse may use: address space (bytes) and CPU/wall-clock seconds."""

    memory_bytes: int
    seconds: float
    # Files that may need OCR (scans, photos) or a LibreOffice conversion (.doc) may take this long in all.
    slow_seconds: float = 0.0

    @classmethod
    def from_settings(cls, settings) -> ParseLimits:
        return cls(settings.parse_memory_mb * 1024 * 1024, float(settings.parse_seconds), float(settings.ocr_seconds))

    def seconds_for(self, path: Path) -> float:
        """The time ``path`` may take: OCR of a 30-page scan takes minutes, reading a text file must not."""
        if Path(path).suffix.lower() in SLOW_SUFFIXES:
            return max(self.seconds, self.slow_seconds)
        return self.seconds


def _forkserver():
    """The multiprocessing context parsing children come from (made once, the readers preloaded)."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
    return _context


def _peak_address_space() -> int:
    """This process's peak address space (VmPeak), in bytes; 0 if it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _out_of_memory(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, MemoryError) or "MemoryError" in str(error):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def _child(conn, path: str, data: bytes, max_bytes: int | None, memory: int, seconds: float, options=None) -> None:
    """In the child: cap this process, parse, send back ("ok", document dict) or ("error", …)."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        cpu = max(1, int(seconds))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU, then SIGKILL a second later
        from bot.documents import ocr
        from bot.documents.cache import document_to_dict
        from bot.documents.parser import parse_file

        ocr.progress_hook = lambda done, total: conn.send(("progress", done, total))

        doc = parse_file(Path(path), data=data, max_bytes=max_bytes, options=options)
        answer = ("ok", document_to_dict(doc))
    except errors.DocumentError as e:  # readers wrap what the libraries raise, MemoryError included
        answer = ("heavy",) if _out_of_memory(e) else ("error", type(e).__name__, e.detail, e.path, e.line)
    except MemoryError:
        answer = ("heavy",)
    except BaseException as e:  # anything else: unreadable — unless it failed at the end of its memory
        near_cap = _peak_address_space() >= memory - NEAR_CAP
        answer = ("heavy",) if near_cap else ("failed", f"{type(e).__name__}: {e}")
    try:
        conn.send((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, *answer))
    finally:
        conn.close()


def parse_in_child(
    path: Path, data: bytes, max_bytes: int | None, limits: ParseLimits, options=None, progress=None
) -> Document:
    """``parse_file(path, data)`` in a capped child process; its errors raised here as they were.
    ``progress`` (:class:`bot.progress.Progress`) hears of each page OCR'd."""
    from bot.documents.cache import document_from_dict
    from bot.documents.parser import file_sha256

    context = _forkserver()
    seconds = limits.seconds_for(path)
    parent, child = context.Pipe(duplex=False)
    process = context.Process(
        target=_child,
        args=(child, str(path), data, max_bytes, limits.memory_bytes, seconds, options),
        name="hoidap-parse",
        daemon=True,
    )
    began = time.monotonic()
    process.start()
    child.close()
    answer = None
    deadline = began + seconds + 2
    started_stage = False
    try:
        while parent.poll(max(0.0, deadline - time.monotonic())):
            message = parent.recv()
            if message and message[0] == "progress":  # ("progress", done, total); the answer starts with an int
                if progress is not None:
                    if not started_stage:
                        progress.start("Nhận dạng chữ (OCR) các trang", message[2])
                        started_stage = True
                    progress.advance(1)
                continue
            answer = message
            break
    except EOFError:  # the child died without a word: killed by its own limits
        answer = None
    finally:
        process.join(1.0)
        if process.is_alive():
            process.kill()
            process.join()
        parent.close()
    last_run["seconds"] = time.monotonic() - began
    last_run["peak_bytes"] = answer[0] if answer else None
    answer = answer[1:] if answer else None
    log.debug(
        "parsed %s in a child: %.1f s, peak %s bytes", Path(path).name, last_run["seconds"], last_run["peak_bytes"]
    )
    mb, seconds = limits.memory_bytes // (1024 * 1024), round(seconds)
    stopped = process.exitcode is None or process.exitcode < 0  # killed: by us at the deadline, or by RLIMIT_CPU
    if (answer is None and stopped) or (answer is not None and answer[0] == "heavy"):
        log.warning("parsing %s stopped at its limits (exit %s)", Path(path).name, process.exitcode)
        raise errors.DocumentTooLarge(TOO_HEAVY.format(memory=mb, seconds=seconds), path)
    if answer is None:  # the child could not even start (see the log above this line)
        log.error("the parsing child for %s exited with %s before answering", Path(path).name, process.exitcode)
        raise errors.DocumentError("không đọc được tệp (trình đọc không khởi động được)", path)
    if answer[0] == "ok":
        return document_from_dict(answer[1], Path(path), file_sha256(data))
    if answer[0] == "error":
        _, kind, detail, where, line = answer
        raise getattr(errors, kind, errors.DocumentError)(detail, where, line)
    log.error("parsing %s failed in the child: %s", Path(path).name, answer[1])
    raise errors.DocumentError("không đọc được tệp (lỗi khi phân tích)", path)
