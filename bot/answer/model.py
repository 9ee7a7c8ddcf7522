"""What the assistant returns: a verbatim official answer with its citation, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    document: str  # full title line of the document
    doc_id: str
    doc_number: str | None
    citation_name: str  # "Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024"
    question_number: int | None = None
    item: int | None = None
    heading: str | None = None
    # Read from a scan or photo by OCR: shown to admins (dashboard, preview), never in members' quotes.
    ocr: bool = False

    @property
    def citation(self) -> str:
        """``Câu hỏi 4, mục (5) — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024``."""
        parts = []
        if self.question_number is not None:
            parts.append(f"Câu hỏi {self.question_number}")
            if self.item is not None:
                parts.append(f"mục ({self.item})")
        elif self.heading:
            parts.append(f"Mục “{self.heading}”")
        where = ", ".join(parts)
        return f"{where} — {self.citation_name}" if where else self.citation_name

    def to_json(self) -> dict:
        return {
            "document": self.document,
            "doc_number": self.doc_number,
            "question_number": self.question_number,
            "item": self.item,
        }


@dataclass(frozen=True)
class Suggestion:
    gid: int
    doc_id: str
    question_number: int | None
    question: str
    # "Chỉ thị 46-CT/TU" once several documents are loaded ("Câu hỏi 4" alone is ambiguous), else "".
    document: str = ""

    def to_json(self) -> dict:
        out = {"question_number": self.question_number, "question": self.question}
        if self.document:
            out["document"] = self.document
        return out


@dataclass
class Answer:
    found: bool
    answer: str = ""  # verbatim official text
    question: str = ""  # the official question it answers
    source: Source | None = None
    score: float = 0.0  # calibrated probability that the answer is right
    suggestions: list[Suggestion] = field(default_factory=list)  # when not found
    related: list[Suggestion] = field(default_factory=list)  # when found
    # When found and the message named no document: another document's answer nearly as likely, one
    # tap away ("Văn bản khác cũng nói về việc này: …"); its text is never mixed into this quote.
    alternatives: list[Suggestion] = field(default_factory=list)
    kind: str = "none"  # answer | item | section | meta | none | empty | smalltalk
    full_answer: str | None = None  # the whole official answer when only an item was quoted
    gid: int | None = None
    version: str | None = None
    # Plausible but not certain: found is False and suggestions[0] is the probable official
    # question; channels ask "Có phải bạn muốn hỏi: …?" with a one-tap way to get its quote.
    confirm: bool = False
    # Further answers when one message asked several things (each a found Answer with its own
    # citation), in the order the message asked them.
    more: list[Answer] = field(default_factory=list)
    # The phrasing (an admin's link or out-of-scope mark) that decided this answer, if one did.
    learned: int | None = None

    def to_json(self) -> dict:
        out = {
            "found": self.found,
            "answer": self.answer,
            "question": self.question,
            "source": self.source.to_json() if self.source else None,
            "score": round(self.score, 4),
            "suggestions": [s.to_json() for s in self.suggestions],
            "confirm": self.confirm,
        }
        if self.more:
            out["more"] = [a.to_json() for a in self.more]
        if self.alternatives:
            out["alternatives"] = [s.to_json() for s in self.alternatives]
        return out
