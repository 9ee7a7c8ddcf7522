"""The preview's self-test: how the bot would answer a new document's questions, before it is added.

Admins add a leaflet without a developer, and the first to meet a collision — the new document
answering what another one answers — would otherwise be members. So the preview builds a scratch
index of the knowledge folder with the candidate in it (the embedding cache makes that seconds:
only the new document's units are embedded), asks, for each of its official questions, a few
chat-style phrasings generated from the question itself (:func:`phrasings`), and reports what the
bot would quote. A question is flagged when a phrasing is answered from another document, or when
another document's answer is nearly as likely (then members would be offered both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.answer.answerer import Answerer
from bot.answer.model import Answer
from bot.documents.variants import question_core
from bot.index.version import IndexVersion
from bot.text.normalize import fold

# Phrasings asked per official question (the cost of the self-test grows with it).
PHRASINGS = 4


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def phrasings(question: str, label: str) -> list[str]:
    """Chat-style ways to ask an official question, made from its own words: the question without the
    document's name, asked colloquially, without diacritics, and naming the document the way members
    abbreviate it ("kh 218", "qđ 78")."""
    core = (question_core(question) or question).rstrip(" ?.")
    low = _lower_first(core)
    kind, _, number = label.partition(" ")
    code = "".join(w[0] for w in fold(kind).split()) if kind else ""
    serial = number.split("-")[0].split("/")[0]
    out = [
        f"cho em hỏi {low} ạ",
        fold(low),
        f"{code} {serial} {low}?" if code and serial else f"{low}?",
        f"ad ơi {low} vậy",
    ]
    return list(dict.fromkeys(out))[:PHRASINGS]


@dataclass
class QuestionCheck:
    doc_id: str
    number: int
    question: str
    asked: list[tuple[str, Answer]] = field(default_factory=list)
    collides_with: list[str] = field(default_factory=list)  # "Quy định 61-QĐ/TU, câu hỏi 3"

    @property
    def right(self) -> int:
        return sum(1 for _, a in self.asked if _is(a, self.doc_id, self.number))

    @property
    def ok(self) -> bool:
        return self.right == len(self.asked) and not self.collides_with


def _is(answer: Answer, doc_id: str, number: int) -> bool:
    src = answer.source
    return bool(answer.found and src and src.doc_id == doc_id and src.question_number == number)


def self_test(version: IndexVersion, answerer: Answerer, doc_id: str) -> list[QuestionCheck]:
    """Ask every official question of ``doc_id`` in chat-style phrasings against ``version``."""
    meta = version.document(doc_id)
    out = []
    for group in version.groups:
        if group.doc_id != doc_id or group.question_number is None:
            continue
        check = QuestionCheck(doc_id, group.question_number, group.question)
        for text in phrasings(group.question, meta.label):
            answer = answerer.answer(text)
            check.asked.append((text, answer))
            others = []
            if answer.found and answer.source and answer.source.doc_id != doc_id:
                others.append(answer.source)
            for alt in answer.alternatives:
                others.append(alt)
            for other in others:
                label = f"{version.document(other.doc_id).label}, câu hỏi {other.question_number}"
                if label not in check.collides_with:
                    check.collides_with.append(label)
        out.append(check)
    return out
