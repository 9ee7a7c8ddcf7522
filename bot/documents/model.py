"""What a parsed document is made of.

A Q&A document is a list of :class:`QAPair` (official question, official answer,
and the enumerated items of the answer). A document in free form (the full text
of a directive) is a list of :class:`Section` paragraphs with their headings.
Both flatten into :class:`Unit` — the pieces that are indexed and quoted.
Every ``text`` here is the official wording exactly as written in the source.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DocumentMeta:
    """Facts about a document parsed from its title line."""

    title: str
    doc_type: str | None = None  # "Chỉ thị"
    number: str | None = None  # "46-CT/TU"
    date: dt.date | None = None
    issuer: str | None = None  # "Ban Thường vụ Tỉnh ủy"
    subject: str | None = None
    is_qa: bool = False
    ocr: bool = False  # read from scanned pages or photos: shown to admins (dashboard, preview), never to members

    @property
    def short_name(self) -> str:
        """``Chỉ thị số 46-CT/TU`` — or the title when there is no number."""
        if self.number:
            return f"{self.doc_type or 'Văn bản'} số {self.number}"
        return self.title

    @property
    def label(self) -> str:
        """``Chỉ thị 46-CT/TU``: what tells documents apart in short labels (buttons, lists)."""
        if self.number:
            return f"{self.doc_type or 'Văn bản'} {self.number}"
        return self.title if len(self.title) <= 60 else self.title[:59] + "…"

    @property
    def citation_name(self) -> str:
        """Name used in citations: ``Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024``."""
        name = self.short_name
        if self.date:
            name += f" ngày {format_date(self.date)}"
        if self.is_qa and self.number:
            name = "Hỏi-Đáp " + name
        return name

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "doc_type": self.doc_type,
            "number": self.number,
            "date": self.date.isoformat() if self.date else None,
            "issuer": self.issuer,
            "subject": self.subject,
            "is_qa": self.is_qa,
            "ocr": self.ocr,
        }

    @classmethod
    def from_dict(cls, data: dict) -> DocumentMeta:
        date = dt.date.fromisoformat(data["date"]) if data.get("date") else None
        return cls(**{**data, "date": date})


def format_date(date: dt.date) -> str:
    """Vietnamese official style: ``03/4/2024`` (day zero-padded, month not)."""
    return f"{date.day:02d}/{date.month}/{date.year}"


CELL_SEP = " | "  # how a table row reads in the official text (the readers join cells with it)


@dataclass(frozen=True)
class Table:
    """A table of the document: its header row (None: the table has none) and rows of cells."""

    header: tuple[str, ...] | None
    rows: tuple[tuple[str, ...], ...]
    line: int

    @property
    def header_line(self) -> str | None:
        return CELL_SEP.join(self.header) if self.header else None

    def row_line(self, i: int) -> str:
        return CELL_SEP.join(self.rows[i])

    def quoted(self, i: int) -> str:
        """Row ``i`` as it is quoted: under its header, both lines word for word."""
        return "\n".join(t for t in (self.header_line, self.row_line(i)) if t)

    def labelled(self, i: int) -> str:
        """ "Nguồn vốn: Ngân sách tỉnh; Tỷ lệ (%): 45": each cell under its column's name (what a
        question about one figure matches; what text channels show for a row)."""
        return labelled(self.header, self.rows[i])


def labelled(header, cells) -> str:
    if not header:
        return CELL_SEP.join(cells)
    parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells, strict=False)]
    parts += list(cells[len(header) :])
    return "; ".join(parts)


@dataclass(frozen=True)
class Item:
    """One enumerated point of an answer: ``(5) Tham mưu …`` or ``- Lơ là …`` or a table's row.

    ``head``: what matching reads for it instead of its first clause (a row: its cells under their
    column names). A row is matched as itself and quoted under its header (:attr:`quoted`)."""

    number: int
    text: str
    line: int
    head: str | None = None
    header: str | None = None  # a table row's header line: quoted above the row

    @property
    def quoted(self) -> str:
        return f"{self.header}\n{self.text}" if self.header else self.text


@dataclass(frozen=True)
class QAPair:
    """An official question with its official answer."""

    number: int
    question: str
    answer: str
    items: tuple[Item, ...]
    line: int
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Section:
    """A paragraph of a free-form document under its heading path."""

    number: int
    heading: str
    text: str
    line: int


@dataclass(frozen=True)
class Unit:
    """A retrievable piece of official text.

    ``kind``: ``question`` (the official question), ``answer`` (the whole answer),
    ``item`` (one enumerated point), ``sentence`` (a sentence of a longer answer,
    used for matching only: it resolves to the whole answer), ``section``
    (a paragraph of a free-form document). Made from the document's own words for
    matching only (:mod:`bot.documents.variants`): ``question_core`` (the official
    question without the document's name: resolves to the answer) and ``item_head``
    (an item's first clause: resolves to that item, whose official text is quoted).
    """

    uid: str
    doc_id: str
    kind: str
    text: str
    question_number: int | None = None
    item: int | None = None
    heading: str | None = None  # a section's heading path; an item that is a table row: its header line

    @property
    def quote(self) -> str:
        """What is quoted for it: a table row under its header line (``heading`` of an item), both
        word for word; anything else its text."""
        return f"{self.heading}\n{self.text}" if self.kind == "item" and self.heading else self.text

    def to_dict(self) -> dict:
        return {
            "uid": self.uid,
            "doc_id": self.doc_id,
            "kind": self.kind,
            "text": self.text,
            "question_number": self.question_number,
            "item": self.item,
            "heading": self.heading,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Unit:
        return cls(**data)


_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ“\"(])")


def split_sentences(text: str) -> list[str]:
    """Split official prose at sentence ends (keeps the exact wording of each piece)."""
    parts = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    return parts or [text]


@dataclass
class Document:
    """A parsed source document."""

    doc_id: str
    path: str
    sha256: str
    meta: DocumentMeta
    pairs: list[QAPair] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown in previews: what an admin should check
    encoding: str | None = None  # legacy encoding the text was converted from ("tcvn3", "vni")
    ocr: dict | None = None  # pages read by OCR and the recognised text (bot.documents.readers.scan)
    tables: list[Table] = field(default_factory=list)  # of a free-form document (Q&A: on each pair)

    @property
    def is_qa(self) -> bool:
        return bool(self.pairs)

    def tables_all(self) -> list[Table]:
        """Every table of the document, in order (a Q&A document's are in its answers)."""
        return [t for p in self.pairs for t in p.tables] + list(self.tables)

    def pair(self, number: int) -> QAPair | None:
        return next((p for p in self.pairs if p.number == number), None)

    def units(self) -> list[Unit]:
        """Flatten into indexable units (questions, answers, items, sentences, sections)."""
        out: list[Unit] = []
        d = self.doc_id
        from bot.documents.variants import item_head, question_core, question_subject

        for p in self.pairs:
            base = f"{d}:q{p.number}"
            out.append(Unit(f"{base}:question", d, "question", p.question, p.number))
            core = question_core(p.question)
            if core:
                out.append(Unit(f"{base}:core", d, "question_core", core, p.number))
                subject = question_subject(core, p.question, self.meta.subject)
                if subject:
                    out.append(Unit(f"{base}:subject", d, "question_core", subject, p.number))
            out.append(Unit(f"{base}:answer", d, "answer", p.answer, p.number))
            for it in p.items:
                out.append(Unit(f"{base}:i{it.number}", d, "item", it.text, p.number, it.number, it.header))
                head = it.head or item_head(it.text)
                if head:
                    out.append(Unit(f"{base}:h{it.number}", d, "item_head", head, p.number, it.number))
            if not p.items:
                sentences = split_sentences(p.answer)
                if len(sentences) > 1:
                    for j, s in enumerate(sentences, 1):
                        out.append(Unit(f"{base}:s{j}", d, "sentence", s, p.number))
        for s in self.sections:
            out.append(Unit(f"{d}:p{s.number}", d, "section", s.text, None, None, s.heading))
        return out
