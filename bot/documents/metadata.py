"""Parse a document's identity from its title line.

``HỎI - ĐÁP Về Chỉ thị số 46-CT/TU, ngày 03/4/2024 của Ban Thường vụ Tỉnh ủy về
tăng cường kỷ luật, …`` gives type ``Chỉ thị``, number ``46-CT/TU``, date
2024-04-03, issuer ``Ban Thường vụ Tỉnh ủy`` and the subject after ``về``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

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
    "Chương trình hành động",
    "Chương trình",
    "Đề án",
    "Nghị định",
    "Thông tư",
    "Luật",
    "Công văn",
    "Điều lệ",
    "Thông báo",
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
    "TB": "Thông báo",
}

# A document number: its serial, for State documents the year, then letter codes joined by "-" or "/":
# 46-CT/TU (Party), 218/KH-UBND and 1234/QĐ-UBND (State), 27/2024/NQ-HĐND (legal documents), 11-QĐi/TW.
_CODE = r"[A-Za-zĐđ]{1,8}"
NUMBER_PATTERN = rf"\d{{1,4}}(?:/(?:19|20)\d{{2}})?[-/]{_CODE}(?:[-/]{_CODE})*"
NUMBER_RE = re.compile(rf"(?<![\w/])({NUMBER_PATTERN})(?![\w])")
_TYPE_NUMBER_RE = re.compile(
    r"(?P<type>" + "|".join(DOC_TYPES) + rf")\s+(?:số\s+)?(?P<number>{NUMBER_PATTERN}|\d{{1,4}}(?![\w/]))",
    re.IGNORECASE,
)
_DATE_SLASH_RE = re.compile(r"ngày\s+(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})", re.IGNORECASE)
_DATE_WORDS_RE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_ISSUER_SUBJECT_RE = re.compile(r"\bcủa\s+(?P<issuer>.+?)\s+về\s+(?P<subject>.+)$", re.IGNORECASE)
# Without "về", the subject starts at the verb that follows the issuer: "… của Hội đồng nhân dân tỉnh quy định
# chính sách …", "… của Ban Thường vụ Tỉnh ủy thực hiện Nghị quyết …", "… triển khai …", "… ban hành …".
_ISSUER_VERB_RE = re.compile(
    r"\bcủa\s+(?P<issuer>(?:\S+\s+){0,8}?\S+?),?\s+(?P<subject>(?:quy định|thực hiện|triển khai|ban hành|hướng dẫn)\s.+)$",
    re.IGNORECASE,
)
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
    if number:
        number = canonical_number(number)
    if number and doc_type is None:
        doc_type = type_of_code(DocNumber.parse(number).type_code)
    s = _ISSUER_SUBJECT_RE.search(rest)
    verb = _ISSUER_VERB_RE.search(rest)
    if verb and (not s or verb.start("subject") < s.start("subject")):
        s = verb
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


def canonical_number(number: str) -> str:
    """Codes in capitals as printed, the mixed-case ones kept (``CTr``, ``QĐi``): ``46-ct/tu`` → ``46-CT/TU``."""

    def code(m: re.Match) -> str:
        word = m.group(0)
        return word if any(c.isupper() for c in word[1:]) or word[:1].isupper() and word[1:].islower() else word.upper()

    return re.sub(r"[A-Za-zĐđ]+", code, number.replace(" ", ""))


def type_of_code(code: str | None) -> str | None:
    """The document type a number's first code stands for (``kh`` → Kế hoạch), folded lookup."""
    if not code:
        return None
    wanted = fold(code)
    return next((t for c, t in CODE_TYPES.items() if fold(c) == wanted), None)


@dataclass(frozen=True)
class DocNumber:
    """A document number taken apart: ``218/KH-UBND`` → serial 218, codes (kh, ubnd); folded."""

    serial: int
    year: int | None
    codes: tuple[str, ...]

    @property
    def type_code(self) -> str | None:
        """The code that tells the type: ``ct`` in 46-CT/TU, ``kh`` in 218/KH-UBND; ``qđi`` counts as ``qd``."""
        if not self.codes:
            return None
        first = self.codes[0]
        return "qd" if first in ("qdi", "qdtw") else first

    @classmethod
    def parse(cls, number: str) -> DocNumber:
        # Every message is checked against every loaded document's number: parsed once per number.
        return _parse_number(cls, number)

    @classmethod
    def _parse(cls, number: str) -> DocNumber:
        folded = fold(number).replace(" ", "")
        m = re.match(r"(\d{1,4})(?:/((?:19|20)\d{2}))?[-/]?(.*)$", folded)
        if not m:
            return cls(0, None, ())
        codes = tuple(c for c in re.split(r"[-/]", m.group(3)) if c and not c.isdigit())
        return cls(int(m.group(1)), int(m.group(2)) if m.group(2) else None, codes)

    def named_by(self, serial: str, type_code: str | None = None, codes: tuple[str, ...] = ()) -> bool:
        """Does a mention (serial, its type's code, the codes written after it) name this number?

        ``46`` + ct names 46-CT/TU; ``218`` + kh names 218/KH-UBND; ``46-ct/tu`` names it, ``46-kl`` does not.
        """
        if not serial.isdigit() or int(serial) != self.serial:
            return False
        if codes:
            mine = tuple("qd" if c in ("qdi", "qdtw") else c for c in self.codes)
            theirs = tuple("qd" if c in ("qdi", "qdtw") else c for c in codes)
            if theirs[0] != (mine[0] if mine else None):
                return False
            return len(theirs) < 2 or len(mine) < 2 or theirs[1] == mine[1]
        return type_code is None or type_code == self.type_code


@functools.lru_cache(maxsize=4096)
def _parse_number(cls: type[DocNumber], number: str) -> DocNumber:
    return cls._parse(number)
