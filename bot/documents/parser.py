"""Turn the lines of a source file into a :class:`Document`.

Q&A form (detected by ``Câu hỏi N:`` lines)::

    HỎI - ĐÁP Về Chỉ thị số 46-CT/TU, ngày 03/4/2024 của …      ← title
    Câu hỏi 1: <question, possibly over several lines>
    Trả lời: <answer may start here>
    - bullet …            or      (1) numbered item …

Anything else is a free-form document: paragraphs under their headings
(``I.``, ``1.``, ``Điều 3``, ``Chương II``, lines in capitals, Markdown ``#``).

Problems are :class:`DocumentError` with file and line: empty file, question
numbers that skip or repeat, a question with no answer, an answer with no
question, item numbers that skip or repeat.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from bot.documents.metadata import parse_title
from bot.documents.model import Document, Item, QAPair, Section
from bot.documents.readers import read_lines
from bot.errors import DocumentError
from bot.text.normalize import fold

# Accept the markers typed with or without diacritics ("Cau hoi 3:", "Tra loi:").
_QUESTION_RE = re.compile(r"^\s*C[aâ]u(?:\s+h[oỏ]i)?\s+(?:s[oố]\s+)?(\d{1,4})\s*[:.)–-]\s*(.*)$", re.IGNORECASE)
_ANSWER_RE = re.compile(r"^\s*Tr[aả]\s+l[oờ]i\s*[:.–-]?\s*(.*)$", re.IGNORECASE)
_NUMBERED_RE = re.compile(r"^\s*\((\d{1,3})\)\s*(.*)$")
_BULLET_RE = re.compile(r"^\s*[-–•+*]\s+(.*)$")
_HEADING_RE = re.compile(
    r"^\s*(?:[IVXLC]{1,6}\.\s|\d{1,2}(?:\.\d{1,2})*\.\s|Điều\s+\d+|Chương\s+[IVXLC\d]+|Mục\s+\d+|Phần\s+[IVXLC\d]+)",
    re.IGNORECASE,
)


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(number: str | None, path: Path, sha256: str) -> str:
    """Stable id: from the document number (``46-ct-tu``), else the file name plus a hash."""
    base = number if number else Path(path).stem
    slug = re.sub(r"[^a-z0-9]+", "-", fold(base)).strip("-")[:48] or "tai-lieu"
    return slug if number else f"{slug}-{sha256[:6]}"


def parse_file(path: Path, data: bytes | None = None, max_bytes: int | None = None) -> Document:
    """Read and parse one source file. Example: ``parse_file(Path("knowledge/ct46.txt"))``."""
    path = Path(path)
    if data is None:
        lines = read_lines(path, max_bytes=max_bytes)
        data = path.read_bytes()
    else:
        lines = read_lines(path, data=data, max_bytes=max_bytes)
    return parse_lines(lines, path, file_sha256(data))


def parse_lines(lines: list[str], path: Path, sha256: str) -> Document:
    """Parse already-extracted lines (1-based line numbers in errors)."""
    numbered = [(i + 1, unicodedata.normalize("NFC", line).strip()) for i, line in enumerate(lines)]
    content = [(n, text) for n, text in numbered if text]
    if not content:
        raise DocumentError("tệp rỗng, không có nội dung", path)
    title_line, title = content[0]
    meta = parse_title(title)
    if any(_QUESTION_RE.match(text) for _, text in content[1:]):
        pairs = _parse_qa(content[1:], path)
        meta = replace(meta, is_qa=True)
        doc = Document(make_doc_id(meta.number, path, sha256), str(path), sha256, meta, pairs=pairs)
    else:
        sections = _parse_sections(content[1:], path)
        if not sections:
            raise DocumentError("không có nội dung nào ngoài dòng tiêu đề", path, title_line)
        doc = Document(make_doc_id(meta.number, path, sha256), str(path), sha256, meta, sections=sections)
    return doc


def _parse_qa(content: list[tuple[int, str]], path: Path) -> list[QAPair]:
    pairs: list[QAPair] = []
    # Text before the first question is preamble (subtitle, issuing body): skipped.
    current: dict | None = None

    def finish() -> None:
        if current is None:
            return
        if current["answer_line"] is None:
            raise DocumentError(f"Câu hỏi {current['number']} không có phần “Trả lời”", path, current["line"])
        if not current["answer"]:
            raise DocumentError(
                f"Câu hỏi {current['number']} có “Trả lời” nhưng nội dung trả lời trống",
                path,
                current["answer_line"],
            )
        items = _items(current["answer"], path)
        pairs.append(
            QAPair(
                number=current["number"],
                question=" ".join(current["question"]).strip(),
                answer="\n".join(text for _, text in current["answer"]),
                items=tuple(items),
                line=current["line"],
            )
        )

    seen: dict[int, int] = {}
    for line_no, text in content:
        q = _QUESTION_RE.match(text)
        if q:
            finish()
            number = int(q.group(1))
            if number in seen:
                raise DocumentError(f"số câu hỏi {number} bị trùng (đã có ở dòng {seen[number]})", path, line_no)
            expected = pairs[-1].number + 1 if pairs else 1
            if number != expected:
                raise DocumentError(
                    f"số câu hỏi không liên tục: gặp Câu hỏi {number}, cần Câu hỏi {expected}", path, line_no
                )
            seen[number] = line_no
            current = {"number": number, "line": line_no, "question": [q.group(2)], "answer": [], "answer_line": None}
            continue
        a = _ANSWER_RE.match(text)
        if a and current is not None and current["answer_line"] is None:
            current["answer_line"] = line_no
            if a.group(1).strip():
                current["answer"].append((line_no, a.group(1).strip()))
            continue
        if a and current is None:
            raise DocumentError("“Trả lời” xuất hiện trước mọi câu hỏi", path, line_no)
        if current is None:
            continue
        if current["answer_line"] is None:
            current["question"].append(text)  # question continues on the next line
        else:
            current["answer"].append((line_no, text))
    finish()
    return pairs


def _items(answer: list[tuple[int, str]], path: Path) -> list[Item]:
    """Enumerated points of an answer: ``(n)`` items, or ``-`` bullets numbered 1, 2, …"""
    numbered = [(ln, _NUMBERED_RE.match(t)) for ln, t in answer]
    numbered = [(ln, m) for ln, m in numbered if m]
    if numbered:
        items: list[Item] = []
        for ln, m in numbered:
            n = int(m.group(1))
            expected = items[-1].number + 1 if items else 1
            if n != expected:
                kind = "bị trùng" if any(i.number == n for i in items) else "không liên tục"
                raise DocumentError(f"số thứ tự ({n}) {kind}, cần ({expected})", path, ln)
            items.append(Item(n, _full_line(answer, ln), ln))
        return items
    bullets = [(ln, t) for ln, t in answer if _BULLET_RE.match(t)]
    if len(bullets) >= 2:
        return [Item(k, t, ln) for k, (ln, t) in enumerate(bullets, 1)]
    return []


def _full_line(answer: list[tuple[int, str]], line_no: int) -> str:
    return next(t for ln, t in answer if ln == line_no)


def _is_heading(text: str) -> bool:
    """A numbered title (``II. Nhiệm vụ``, ``Điều 3``) or a short line in capitals.

    A numbered line that reads like a sentence (long, ends with ``.``/``;``) is
    content, as in directives whose points are numbered paragraphs.
    """
    if _HEADING_RE.match(text):
        return len(text) <= 120 and not text.endswith((".", ";"))
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(text) <= 150 and all(c.isupper() for c in letters)


def _parse_sections(content: list[tuple[int, str]], path: Path) -> list[Section]:
    sections: list[Section] = []
    headings: dict[int, str] = {}  # level -> current heading at that level
    for line_no, text in content:
        if _is_heading(text):
            level = _heading_level(text)
            headings = {lv: h for lv, h in headings.items() if lv < level}
            headings[level] = text
            continue
        heading = " › ".join(headings[lv] for lv in sorted(headings))
        sections.append(Section(len(sections) + 1, heading, text, line_no))
    return sections


def _heading_level(text: str) -> int:
    if re.match(r"^\s*(Phần|Chương)\b", text, re.IGNORECASE):
        return 1
    if re.match(r"^\s*[IVXLC]{1,6}\.\s", text) or re.match(r"^\s*(Mục|Điều)\b", text, re.IGNORECASE):
        return 2
    m = re.match(r"^\s*(\d{1,2}(?:\.\d{1,2})*)\.\s", text)
    if m:
        return 2 + m.group(1).count(".") + 1
    return 1
