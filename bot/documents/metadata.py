"""Parse a document's identity from its title line.

``HỎI - ĐÁP Về Chỉ thị số 46-CT/TU, ngày 03/4/2024 của Ban Thường vụ Tỉnh ủy về
tăng cường kỷ luật, …`` gives type ``Chỉ thị``, number ``46-CT/TU``, date
2024-04-03, issuer ``Ban Thường vụ Tỉnh ủy`` and the subject after ``về``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from bot.documents.model import DocumentMeta
from bot.text.normalize import fold

DOC_TYPES = (
    "Chỉ thị",
    "Nghị quyết",
    "Quy định",
    "Kết luận",
    "Quyết định",
    "Hướng dẫn",
    "Thông tri",
    "Kế hoạch",
    "Chương trình",
    "Đề án",
    "Nghị định",
    "Thông tư",
    "Luật",
    "Công văn",
    "Điều lệ",
)
# The letters in a document number tell its type when the title does not say.
CODE_TYPES = {
    "CT": "Chỉ thị",
    "NQ": "Nghị quyết",
    "QĐ": "Quy định",
    "KL": "Kết luận",
    "HD": "Hướng dẫn",
    "TT": "Thông tri",
    "KH": "Kế hoạch",
    "CTr": "Chương trình",
    "ĐA": "Đề án",
    "NĐ": "Nghị định",
}

NUMBER_RE = re.compile(r"(?<![\w/])(\d{1,4}-[A-Za-zĐđ]{1,6}(?:/[A-Za-zĐđ]{1,6})*)(?![\w])")
_TYPE_NUMBER_RE = re.compile(
    r"(?P<type>" + "|".join(DOC_TYPES) + r")\s+(?:số\s+)?(?P<number>\d{1,4}(?:-[A-Za-zĐđ]{1,6}(?:/[A-Za-zĐđ]{1,6})*)?)",
    re.IGNORECASE,
)
_DATE_SLASH_RE = re.compile(r"ngày\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", re.IGNORECASE)
_DATE_WORDS_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_ISSUER_SUBJECT_RE = re.compile(r"\bcủa\s+(?P<issuer>.+?)\s+về\s+(?P<subject>.+)$", re.IGNORECASE)
_QA_RE = re.compile(r"^\s*h[oỏ]i\s*[-–—]?\s*đ[aá]p\b", re.IGNORECASE)


def _canonical_type(word: str) -> str:
    low = word.lower()
    return next(t for t in DOC_TYPES if t.lower() == low)


def parse_date(text: str) -> dt.date | None:
    """First ``ngày dd/mm/yyyy`` or ``ngày d tháng m năm yyyy`` in ``text``."""
    for rx in (_DATE_SLASH_RE, _DATE_WORDS_RE):
        m = rx.search(text)
        if m:
            day, month, year = (int(g) for g in m.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                return None
    return None


def parse_title(title: str) -> DocumentMeta:
    """Extract type, number, date, issuer and subject from a title line."""
    title = unicodedata.normalize("NFC", title).strip()
    doc_type = number = issuer = subject = None
    m = _TYPE_NUMBER_RE.search(title)
    rest = title
    if m:
        doc_type = _canonical_type(m.group("type"))
        number = m.group("number")
        rest = title[m.end() :]
    else:
        n = NUMBER_RE.search(title)
        if n:
            number = n.group(1)
            rest = title[n.end() :]
    if number and doc_type is None:
        code = number.split("-", 1)[1].split("/", 1)[0] if "-" in number else ""
        doc_type = CODE_TYPES.get(code) or CODE_TYPES.get(code.upper())
    if number and "-" in number:
        head, tail = number.split("-", 1)
        number = head + "-" + tail.upper().replace("Đ", "Đ")
    s = _ISSUER_SUBJECT_RE.search(rest)
    if s:
        issuer = s.group("issuer").strip(" ,")
        subject = s.group("subject").strip(" .")
    return DocumentMeta(
        title=title,
        doc_type=doc_type,
        number=number,
        date=parse_date(title),
        issuer=issuer,
        subject=subject,
        is_qa=bool(_QA_RE.match(title)),
    )


def number_key(number: str) -> str:
    """A comparable key for a document number: ``46-CT/TU`` → ``46-ct/tu`` (folded)."""
    return fold(number).replace(" ", "")
