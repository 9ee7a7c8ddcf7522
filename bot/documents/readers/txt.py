"""Plain text and Markdown: decode, convert legacy encodings, join hard-wrapped lines.

A file with one paragraph per line (the usual) is read line by line; a file
wrapped at a fixed width (e-mail, old editors) is joined back into paragraphs
by :mod:`bot.documents.layout`. Form feeds split pages, whose running headers
and footers are dropped like a PDF's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from bot.documents.layout import Block, Line, clean_inline, join_lines, mark_text_wraps, strip_running, text_wrap_width
from bot.documents.readers import Extracted, encoding_note, fix_encoding
from bot.errors import DocumentError

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MD_EMPHASIS = re.compile(r"(\*\*|__)")


def decode_text(data: bytes, path: Path) -> str:
    """Decode UTF-8 (with or without BOM) or BOM-marked UTF-16; name the line of bad bytes.

    Bytes that are not UTF-8 get one more chance as an 8-bit legacy Vietnamese
    file (TCVN3/VNI): if converting it yields Vietnamese, it is accepted.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise DocumentError("tệp UTF-16 bị lỗi mã hóa", path) from e
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        legacy = data.decode("latin-1")
        _, encoding = fix_encoding([legacy])
        if encoding is not None:
            return legacy  # converted by the caller, which says so in the preview
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


def _strip_markdown(line: str) -> str:
    """Drop heading hashes and bold markers: structure words stay, formatting goes."""
    return _MD_EMPHASIS.sub("", _MD_HEADING.sub("", line))


def read_text(data: bytes, path: Path, markdown: bool = False) -> Extracted:
    text = decode_text(data, path)
    (text,), encoding = fix_encoding([text])
    raw_pages = text.split("\f")
    pages: list[list[Line]] = []
    number = 0
    for raw in raw_pages:
        page = []
        for raw_line in raw.splitlines():
            number += 1  # as str.splitlines counts them (a form feed ends a line too)
            if markdown:
                raw_line = _strip_markdown(raw_line)
            page.append(Line(clean_inline(raw_line), number))
        pages.append(page)
    removed: list[str] = []
    if len(pages) > 1:
        pages, removed = strip_running(pages)
    lines = [ln for page in pages for ln in page]
    width = text_wrap_width([ln.text for ln in lines])
    mark_text_wraps(lines, width)
    notes = encoding_note(encoding)
    if width is not None:
        notes.append(f"Tệp xuống dòng cứng (khoảng {width} ký tự một dòng): đã nối các dòng thành đoạn văn.")
    if removed:
        notes.append(f"Đã bỏ {len(removed)} dòng đầu/chân trang lặp lại (ví dụ “{removed[0]}”).")
    return Extracted(_tables(join_lines(lines)), notes, encoding, removed)


def _tables(blocks: list[Block]) -> list[Block]:
    """Runs of two or more lines of cells ("Loại việc | Thời hạn") are a table: the first is its header."""
    out = list(blocks)
    i, table = 0, 0
    while i < len(out):
        cells = out[i].text.count(" | ")
        j = i
        while cells and j < len(out) and out[j].text.count(" | ") == cells:
            j += 1
        if j - i >= 2:
            table += 1
            for k in range(i, j):
                out[k] = replace(out[k], kind="header" if k == i else "row", table=table)
        i = max(j, i + 1)
    return out
