"""Prove a quiz question against the official text it cites.

- cloze: the passage with the blank filled by the right option is, word for
  word, the official text at the cited place; no wrong option fills it into
  text found in any document;
- item: the right option quotes the cited item; wrong options are not in that answer;
- fact: the right option equals the parsed metadata or structure (date, issuer, counts).
Plus Telegram's limits. Returns the list of problems (empty = valid).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.documents.model import format_date
from bot.index.version import IndexVersion
from bot.quiz.model import QuizQuestion, limit_problems
from bot.text.normalize import normalize

BLANK = "___"


@dataclass
class CorpusText:
    """All official text of a version, normalized, for "does this appear anywhere" checks."""

    texts: list[str]

    @classmethod
    def of(cls, version: IndexVersion) -> CorpusText:
        texts = [normalize(u.text) for u in version.units]
        texts += [normalize(m.title) for m in version.documents.values()]
        return cls(texts)

    def contains(self, fragment: str) -> bool:
        fragment = normalize(fragment)
        return any(fragment in t for t in self.texts)


def _unit_text(version: IndexVersion, source: dict) -> str | None:
    doc, number, item = source.get("doc_id"), source.get("question_number"), source.get("item")
    for g in version.groups:
        if g.doc_id == doc and g.question_number == number:
            if item is None:
                return g.answer
            for p in g.positions:
                u = version.units[p]
                if u.kind == "item" and u.item == item:
                    return u.text
    return None


def verify(q: QuizQuestion, version: IndexVersion, corpus: CorpusText | None = None) -> list[str]:
    problems = limit_problems(q)
    if problems:
        return problems
    corpus = corpus or CorpusText.of(version)
    src = q.source
    if q.kind == "cloze":
        official = _unit_text(version, src)
        if official is None:
            return ["nguồn trích dẫn không có trong chỉ mục"]
        snippet = q.question.split("\n", 1)[1].strip("…") if "\n" in q.question else ""
        if snippet.count(BLANK) != 1:
            return ["câu điền khuyết phải có đúng một chỗ trống"]
        if snippet.replace(BLANK, q.options[q.correct]) not in official:
            return ["điền đáp án đúng không ra nguyên văn văn bản"]
        for i, opt in enumerate(q.options):
            if i != q.correct and corpus.contains(snippet.replace(BLANK, opt)):
                return [f"phương án sai “{opt}” cũng cho ra văn bản chính thức"]
        return []
    if q.kind == "item":
        official = _unit_text(version, src)
        answer = _unit_text(version, {**src, "item": None})
        if official is None or answer is None:
            return ["nguồn trích dẫn không có trong chỉ mục"]
        if normalize(q.options[q.correct].rstrip("…")) not in normalize(official):
            return ["phương án đúng không trích từ mục được dẫn"]
        for i, opt in enumerate(q.options):
            if i != q.correct and normalize(opt.rstrip("…")) in normalize(answer):
                return [f"phương án sai “{opt}” lại có trong câu trả lời"]
        return []
    if q.kind == "fact":
        meta = version.documents.get(src.get("doc_id"))
        if meta is None:
            return ["văn bản nguồn không có trong chỉ mục"]
        right = q.options[q.correct]
        fact = src.get("fact")
        groups = [g for g in version.groups if g.doc_id == src["doc_id"]]
        expected = {
            "date": format_date(meta.date) if meta.date else None,
            "issuer": meta.issuer,
            "questions": str(sum(1 for g in groups if g.question_number is not None)),
        }.get(fact)
        if fact == "items":
            group = next((g for g in groups if g.question_number == src.get("question_number")), None)
            expected = str(sum(1 for p in group.positions if version.units[p].kind == "item")) if group else None
        if expected is None or right != expected:
            return ["đáp án không khớp thông tin văn bản"]
        if any(o == expected for i, o in enumerate(q.options) if i != q.correct):
            return ["phương án sai trùng đáp án"]
        return []
    return []  # imported questions: limits only (officers vouch for content)
