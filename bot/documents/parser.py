"""Turn the paragraphs of a source file into a :class:`Document`.

Q&A form (detected by ``Câu hỏi N:`` paragraphs)::

    HỎI - ĐÁP                                                   ← title block: every
    Về Hướng dẫn số 12-HD/BTG, ngày 10/01/2025 của …            ← line before the first
    về công tác …                                               ← question, joined
    Câu hỏi 1: <question, possibly over several paragraphs>
    Trả lời: <answer may start here>
    (1) numbered item …   1. …   a) …   - bullet …   or a table, one item per row

Anything else is a free-form document: paragraphs under their headings
(``I.``, ``1.``, ``Điều 3``, ``Chương II``, lines in capitals, Markdown ``#``);
its title block is the first line and the lines that continue it.

Problems that make a document unusable are :class:`DocumentError` with file
and line: empty file, question numbers that skip or repeat, a question with no
answer, an answer with no question, ``(n)`` item numbers that skip or repeat,
an answer over :data:`MAX_ANSWER_CHARS`. Problems an admin should look at but
that do not stop the document become ``Document.warnings`` (shown in previews).
"""

from __future__ import annotations

import hashlib
import re
import statistics
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.documents.layout import Block, clean_inline, is_page_number
from bot.documents.metadata import (
    DOC_TYPES,
    NUMBER_PATTERN,
    NUMBER_RE,
    DocNumber,
    canonical_number,
    number_key,
    parse_date,
    parse_title,
    type_of_code,
)
from bot.documents.model import CELL_SEP, Document, DocumentMeta, Item, QAPair, Section, Table, labelled
from bot.documents.readers import read_document, read_regular_file, too_large
from bot.errors import DocumentError, DocumentTooLarge
from bot.text.normalize import fold

# Accept the markers typed with or without diacritics ("Cau hoi 3:", "Tra loi:").
_QUESTION_RE = re.compile(r"^\s*C[aâ]u(?:\s+h[oỏ]i)?\s+(?:s[oố]\s+)?(\d{1,4})\s*[:.)–-]\s*(.*)$", re.IGNORECASE)
_ANSWER_RE = re.compile(r"^\s*Tr[aả]\s+l[oờ]i\s*[:.–-]?\s*(.*)$", re.IGNORECASE)
_NUMBERED_RE = re.compile(r"^\s*\((\d{1,3})\)\s*(.*)$")
_DOTTED_RE = re.compile(r"^\s*(\d{1,3})[.)]\s+\S")
_LETTER_RE = re.compile(r"^\s*([a-zđ])\)\s+\S")
_BULLET_RE = re.compile(r"^\s*[-–•+*◦▪●]\s+(.*)$")
_HEADING_RE = re.compile(
    r"^\s*(?:[IVXLC]{1,6}\.\s|\d{1,2}(?:\.\d{1,2})*\.\s|Điều\s+\d+|Chương\s+[IVXLC\d]+|Mục\s+\d+|Phần\s+[IVXLC\d]+)",
    re.IGNORECASE,
)
# Where a title starts: "HỎI - ĐÁP", or a document type in capitals ("HƯỚNG DẪN"). Lines above are the masthead.
_TITLE_START_RE = re.compile(
    r"^\s*(?:H[ỎO]I\s*[-–—]?\s*Đ[ÁA]P|TÀI LIỆU|" + "|".join(t.upper() for t in DOC_TYPES) + r")\b"
)
# A title goes on with a line that starts small, or with the words that continue one ("Về …", "(…)").
_TITLE_CONTINUES_RE = re.compile(r"^\s*(?:Về\b|V/v\b|\(|Của\b|Ngày\b|Số\b)")
_MASTHEAD_NUMBER_RE = re.compile(rf"\bSố\s*:?\s*({NUMBER_PATTERN})")

MAX_ANSWER_CHARS = 40_000  # the whole official answer to one question
SHORT_ANSWER = 15  # characters: "Có." is worth a look
LONG_ANSWER = 6_000


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(number: str | None, path: Path, sha256: str) -> str:
    """Stable id: from the document number (``46-ct-tu``), else the file name plus a hash."""
    base = number if number else Path(path).stem
    slug = re.sub(r"[^a-z0-9]+", "-", fold(base)).strip("-")[:48] or "tai-lieu"
    return slug if number else f"{slug}-{sha256[:6]}"


def parse_file(path: Path, data: bytes | None = None, max_bytes: int | None = None, options=None) -> Document:
    """Read and parse one source file. Example: ``parse_file(Path("knowledge/ct46.txt"))``.
    ``options``: :class:`~bot.documents.readers.ReadOptions` (OCR, LibreOffice); default from the settings."""
    path = Path(path)
    if data is None:
        from bot.documents.readers import SUPPORTED_SUFFIXES, unsupported

        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise unsupported(path)
        data = read_regular_file(path, max_bytes)
    elif max_bytes is not None and len(data) > max_bytes:
        raise DocumentTooLarge(too_large(len(data), max_bytes), path)
    extracted = read_document(path, data=data, max_bytes=max_bytes, options=options)
    doc = parse_blocks(extracted.blocks, path, file_sha256(data))
    doc.warnings[:0] = extracted.notes
    doc.encoding = extracted.encoding
    if extracted.ocr is not None:
        # Kept for the preview (confidence, doubtful words, the text to download and correct) and marked in
        # the metadata citations carry, so the dashboard can tell an OCR'd document from a typed one.
        doc.ocr = {**extracted.ocr, "text": extracted.text}
        doc.meta = replace(doc.meta, ocr=True)
        doc.warnings[:0] = ocr_notes(extracted.ocr)
    return doc


def ocr_notes(ocr: dict) -> list[str]:
    """What the preview says about a document read by OCR."""
    pages = ocr["pages"]
    corrected = sum(len(p["corrections"]) for p in pages)
    low = sum(p["low_count"] for p in pages)
    scanned = ", ".join(f"trang {p['page']}: {p['confidence']:.0f}%" for p in pages)
    notes = [
        f"Văn bản được nhận dạng chữ (OCR) từ {len(pages)}/{ocr['page_count']} trang ảnh scan/chụp "
        f"(độ tin cậy {scanned}); đã sửa {corrected} lỗi dấu tiếng Việt — hãy đối chiếu với bản gốc."
    ]
    if low:
        sample = ", ".join(f"“{w}”" for p in pages for w in p["low"][:3])[:200]
        notes.append(
            f"{low} từ nhận dạng kém chắc chắn (ví dụ {sample}): hãy tải văn bản nhận dạng về, sửa rồi gửi lại."
        )
    return notes


def parse_lines(lines: list[str], path: Path, sha256: str) -> Document:
    """Parse already-extracted lines, one paragraph each (1-based line numbers in errors)."""
    return parse_blocks([Block(clean_inline(t), i + 1) for i, t in enumerate(lines)], path, sha256)


def parse_blocks(blocks: list[Block], path: Path, sha256: str) -> Document:
    """Parse a reader's paragraphs into a document (title block, Q&A pairs or sections, warnings)."""
    content = [replace(b, text=unicodedata.normalize("NFC", b.text).strip()) for b in blocks]
    content = [b for b in content if b.text]
    if not content:
        raise DocumentError("tệp rỗng, không có nội dung", path)
    warnings: list[str] = []
    first_question = next((i for i, b in enumerate(content) if _QUESTION_RE.match(b.text)), None)
    if first_question is not None:
        for b in content[:first_question]:
            if b.kind == "p" and _ANSWER_RE.match(b.text):
                raise DocumentError("“Trả lời” xuất hiện trước mọi câu hỏi", path, b.line)
        title, masthead = _title_block(content[:first_question], qa=True)
        body = content[first_question:]
    else:
        title, masthead = _title_block(content, qa=False)
        body = content[len(masthead) + len(title) :]
    if title:
        meta = parse_title(" ".join(b.text for b in title))
    else:
        meta = DocumentMeta(title=Path(path).stem)
        warnings.append("Không thấy dòng tiêu đề trước Câu hỏi 1: văn bản được gọi theo tên tệp.")
    meta = _from_masthead(meta, masthead, _own_type(title[0].text) if title else None)
    if not meta.number:
        warnings.append("Tiêu đề không có số hiệu văn bản: văn bản được gọi theo tiêu đề.")
    if first_question is not None:
        pairs = _parse_qa(body, path, warnings)
        doc = Document(
            make_doc_id(meta.number, path, sha256), str(path), sha256, replace(meta, is_qa=True), pairs=pairs
        )
        _answer_warnings(pairs, warnings)
    else:
        sections = _parse_sections(body, path)
        if not sections:
            line = title[0].line if title else content[0].line
            raise DocumentError("không có nội dung nào ngoài dòng tiêu đề", path, line)
        doc = Document(make_doc_id(meta.number, path, sha256), str(path), sha256, meta, sections=sections)
        doc.tables = tables_of(body)
    _layout_warnings(content, warnings)
    doc.warnings.extend(warnings)
    return doc


def _title_block(pre: list[Block], qa: bool) -> tuple[list[Block], list[Block]]:
    """(title lines, masthead lines above them) from the lines before the body.

    In a Q&A everything before ``Câu hỏi 1`` is title, masthead or preamble, so a title set in capitals
    goes on over capital lines; in a free-form document a capital line may be its first heading.
    """
    if not pre:
        return [], []
    start = next((i for i, b in enumerate(pre[:8]) if b.kind == "p" and _TITLE_START_RE.match(b.text)), 0)
    if not all(_masthead_like(b.text) for b in pre[:start]):
        start = 0  # what is above is text, not a masthead: never drop it
    title = [pre[start]]
    for b in pre[start + 1 : start + 6]:
        prev = title[-1].text
        short_head = len(prev) <= 40 and not NUMBER_RE.search(prev)  # "HỎI - ĐÁP", "KẾ HOẠCH" alone
        capitals = qa and _all_caps(prev) and _all_caps(b.text)  # a title set in capitals, over several lines
        if (
            b.kind != "p"
            or _HEADING_RE.match(b.text)
            or _QUESTION_RE.match(b.text)
            or b.text.endswith((".", ":", ";"))
            or len(b.text) > 400
            or not (short_head or capitals or b.text[:1].islower() or _TITLE_CONTINUES_RE.match(b.text))
        ):
            break
        title.append(b)
    return title, pre[:start]


def _own_type(first_title_line: str) -> str | None:
    """ "KẾ HOẠCH …" → "Kế hoạch": a title that starts with its document's type in capitals (not "HỎI - ĐÁP")."""
    for t in DOC_TYPES:
        if first_title_line.startswith(t.upper()):
            return t
    return None


def _all_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _masthead_like(text: str) -> bool:
    """The lines above a title: organisation names in capitals, "Số …", "…, ngày …", "*", "-----"."""
    letters = [c for c in text if c.isalpha()]
    return len(text) <= 80 and (
        not letters or all(c.isupper() for c in letters) or bool(re.search(r"\bngày\b|^Số\b", text))
    )


def _from_masthead(meta: DocumentMeta, masthead: list[Block], own_type: str | None) -> DocumentMeta:
    """Number and date printed above the title ("Số 25-KH/TU", "Yên Bái, ngày …").

    They fill what the title lacks. And when the title starts with the document's own type ("KẾ HOẠCH /
    thực hiện Chỉ thị số 05-CT/TU, ngày … của …"), the number, date and issuer in the title are those of
    the document it implements: the masthead's number and date are this one's.
    """
    number = date = None
    for b in masthead:
        date = date or parse_date(b.text)
        if number is None and (m := _MASTHEAD_NUMBER_RE.search(b.text)):
            number = canonical_number(m.group(1))
    if own_type and number:
        own = type_of_code(DocNumber.parse(number).type_code) or own_type
        same = meta.number and number_key(meta.number) == number_key(number)
        if not same:
            return replace(meta, number=number, doc_type=own, date=date or None, issuer=None, subject=None)
    if meta.date is None and date:
        meta = replace(meta, date=date)
    if meta.number is None and number:
        meta = replace(meta, number=number, doc_type=meta.doc_type or type_of_code(DocNumber.parse(number).type_code))
    return meta


def _parse_qa(content: list[Block], path: Path, warnings: list[str]) -> list[QAPair]:
    pairs: list[QAPair] = []
    current: dict | None = None

    def finish() -> None:
        if current is None:
            return
        if current["answer_line"] is None:
            raise DocumentError(f"Câu hỏi {current['number']} không có phần “Trả lời”", path, current["line"])
        answer: list[Block] = current["answer"]
        if not answer:
            raise DocumentError(
                f"Câu hỏi {current['number']} có “Trả lời” nhưng nội dung trả lời trống",
                path,
                current["answer_line"],
            )
        text = "\n".join(b.text for b in answer)
        if len(text) > MAX_ANSWER_CHARS:
            raise DocumentTooLarge(
                f"câu trả lời cho Câu hỏi {current['number']} quá dài ({len(text)} ký tự; tối đa {MAX_ANSWER_CHARS})",
                path,
                current["answer_line"],
            )
        items = _items(current["number"], answer, path, warnings)
        pairs.append(
            QAPair(
                number=current["number"],
                question=" ".join(current["question"]).strip(),
                answer=text,
                items=tuple(items),
                line=current["line"],
                tables=tuple(tables_of(answer)),
            )
        )

    seen: dict[int, int] = {}
    for block in content:
        text, line_no = block.text, block.line
        q = _QUESTION_RE.match(text) if block.kind == "p" else None
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
        a = _ANSWER_RE.match(text) if block.kind == "p" else None
        if a and current is not None and current["answer_line"] is None:
            current["answer_line"] = line_no
            if a.group(1).strip():
                current["answer"].append(replace(block, text=a.group(1).strip()))
            continue
        if a and current is None:
            raise DocumentError("“Trả lời” xuất hiện trước mọi câu hỏi", path, line_no)
        if current is None:
            continue
        if current["answer_line"] is None:
            current["question"].append(text)  # question continues on the next line
        else:
            current["answer"].append(block)
    finish()
    return pairs


def _sequence(number: int, found: list[tuple[Block, int]], style: str, warnings: list[str]) -> bool:
    """Whether labels 1, 2, 3… follow each other; a gap is worth a warning, not a refusal."""
    values = [n for _, n in found]
    if values == list(range(1, len(values) + 1)):
        return True
    warnings.append(
        f"Câu hỏi {number}: các mục đánh số kiểu “{style}” không liên tục ({', '.join(map(str, values[:8]))}); "
        "không tách thành mục."
    )
    return False


def _items(number: int, answer: list[Block], path: Path, warnings: list[str]) -> list[Item]:
    """Enumerated points of an answer: ``(n)``, ``n.``/``n)``, ``a)`` labels, ``-`` bullets, or table rows."""
    paragraphs = [b for b in answer if b.kind == "p"]
    numbered = [(b, m) for b in paragraphs if (m := _NUMBERED_RE.match(b.text))]
    if numbered:
        items: list[Item] = []
        for b, m in numbered:
            n = int(m.group(1))
            expected = items[-1].number + 1 if items else 1
            if n != expected:
                kind = "bị trùng" if any(i.number == n for i in items) else "không liên tục"
                raise DocumentError(f"số thứ tự ({n}) {kind}, cần ({expected})", path, b.line)
            items.append(Item(n, b.text, b.line))
        return items
    dotted = [(b, int(m.group(1))) for b in paragraphs if (m := _DOTTED_RE.match(b.text))]
    if len(dotted) >= 2 and _sequence(number, dotted, "1.", warnings):
        return [Item(n, b.text, b.line) for b, n in dotted]
    letters = [(b, ord(m.group(1)) - ord("a") + 1) for b in paragraphs if (m := _LETTER_RE.match(b.text))]
    if len(letters) >= 2 and _sequence(number, letters, "a)", warnings):
        return [Item(k, b.text, b.line) for k, (b, _) in enumerate(letters, 1)]
    bullets = [b for b in paragraphs if _BULLET_RE.match(b.text)]
    if len(bullets) >= 2:
        return [Item(k, b.text, b.line) for k, b in enumerate(bullets, 1)]
    rows = [b for b in answer if b.kind == "row"]
    if rows and all(b.kind != "p" for b in answer):
        warnings.append(
            f"Câu hỏi {number}: câu trả lời chỉ là một bảng ({len(rows)} dòng); mỗi dòng được trích như một mục."
        )
    if len(rows) >= 2:
        # A table that *is* the list: one item per row, quoted under its header (a figure means
        # nothing without its column's name), matched by its cells under their column names.
        headers = {b.table: b for b in answer if b.kind == "header"}
        items = []
        for k, b in enumerate(rows, 1):
            header = headers.get(b.table)
            head = labelled(_cells(header.text), _cells(b.text)) if header else None
            items.append(Item(k, b.text, b.line, head, header.text if header else None))
        return items
    return []


def _cells(text: str) -> tuple[str, ...]:
    return tuple(c.strip() for c in text.split(CELL_SEP))


def tables_of(blocks: list[Block]) -> list[Table]:
    """The tables among ``blocks`` (rows the readers marked, by table), with their header rows."""
    tables: dict[int, dict] = {}
    for b in blocks:
        if b.kind in ("row", "header") and b.table is not None:
            t = tables.setdefault(b.table, {"header": None, "rows": [], "line": b.line})
            if b.kind == "header" and t["header"] is None and not t["rows"]:
                t["header"] = _cells(b.text)
            else:
                t["rows"].append(_cells(b.text))
    return [Table(t["header"], tuple(t["rows"]), t["line"]) for t in tables.values() if t["rows"]]


def _answer_warnings(pairs: list[QAPair], warnings: list[str]) -> None:
    lengths = [len(p.answer) for p in pairs]
    median = statistics.median(lengths) if lengths else 0
    for p in pairs:
        n = len(p.answer)
        if n < SHORT_ANSWER:
            warnings.append(f"Câu hỏi {p.number}: câu trả lời rất ngắn ({n} ký tự) — hãy kiểm tra.")
        elif n > LONG_ANSWER or (len(pairs) >= 4 and n > 8 * max(median, 1) and n > 1500):
            warnings.append(f"Câu hỏi {p.number}: câu trả lời rất dài ({n} ký tự) — hãy kiểm tra.")


def _layout_warnings(content: list[Block], warnings: list[str]) -> None:
    """Lines that look like a page's furniture rather than the document's text."""
    for b in content:
        if is_page_number(b.text):
            warnings.append(f"Dòng {b.line} “{b.text}” trông như số trang — hãy kiểm tra.")
            break
    counts = Counter(b.text for b in content if len(b.text) <= 100 and b.kind == "p")
    for text, n in counts.most_common(1):
        if n >= 3 and not _QUESTION_RE.match(text) and not _ANSWER_RE.match(text):
            warnings.append(f"Dòng “{text}” lặp lại {n} lần — có thể là đầu/chân trang, hãy kiểm tra.")


def _is_heading(text: str) -> bool:
    """A numbered title (``II. Nhiệm vụ``, ``Điều 3``) or a short line in capitals.

    A numbered line that reads like a sentence (long, ends with ``.``/``;``) is
    content, as in directives whose points are numbered paragraphs.
    """
    if _HEADING_RE.match(text):
        return len(text) <= 120 and not text.endswith((".", ";"))
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and len(text) <= 150 and all(c.isupper() for c in letters)


def _parse_sections(content: list[Block], path: Path) -> list[Section]:
    sections: list[Section] = []
    headings: dict[int, str] = {}  # level -> current heading at that level
    table_headers: dict[int, str] = {}
    for block in content:
        text = block.text
        if block.kind == "header":
            table_headers[block.table] = text  # quoted with each of its rows, not on its own
            continue
        if block.kind == "row" and block.table in table_headers:
            text = f"{table_headers[block.table]}\n{text}"
        if block.kind == "p" and _is_heading(text):
            level = _heading_level(text)
            headings = {lv: h for lv, h in headings.items() if lv < level}
            headings[level] = text
            continue
        heading = " › ".join(headings[lv] for lv in sorted(headings))
        sections.append(Section(len(sections) + 1, heading, text, block.line))
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
