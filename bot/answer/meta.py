"""Questions about a document itself ("Chỉ thị 46 ban hành ngày nào?").

They are answered from the metadata parsed from the document's title line,
never from generated text: the reply states the parsed facts and quotes the
title. A question is about metadata only when it both asks a metadata question
(when issued / who issued / what number / what about / how many questions) and
points at a *loaded* document (its type or number, or "văn bản này" when only
one is loaded). Attributes the title does not carry — validity, what it
replaces, who signed, pages — are not metadata questions, and a question that
names another document (``Kết luận 21-KL/TW nói về gì?``) never gets a sentence
about ours: the caller checks the named documents first.
"""

from __future__ import annotations

import re

from bot.documents.model import DocumentMeta, format_date
from bot.text.analysis import FOLDED_STOPWORDS
from bot.text.normalize import canonical, fold

# Patterns run on folded text so unaccented questions are understood too.
_WHEN = re.compile(
    r"\b(ban hanh|ra doi|ky)\b.*\b(ngay nao|ngay bao nhieu|khi nao|luc nao|nam nao|thang nao|bao gio|hom nao)\b"
    r"|\b(ngay nao|khi nao|bao gio|nam nao)\b.*\bban hanh\b"
    r"|\bngay ban hanh\b"
)
_WHO = re.compile(
    r"\b(ai|co quan nao|cap nao|don vi nao)\b.*\bban hanh\b|\bban hanh\b.*\b(boi ai|cua ai|ai)\b"
    r"|\bco quan ban hanh\b"
)
_NUMBER = re.compile(r"\b(so hieu|ky hieu)\b")
_SUBJECT = re.compile(
    r"\b(ve (van de|noi dung|viec|cai) gi|noi dung (chinh )?(la )?gi|ve gi|noi (ve )?(cai )?gi|trich yeu|ten day du"
    r"|ten (la )?gi)\b"
)
_COUNT = re.compile(r"\bbao nhieu (cau hoi|cau)\b|\bmay cau hoi\b")
_DOC_WORDS = re.compile(
    r"\b(chi thi|nghi quyet|quy dinh|ket luan|quyet dinh|huong dan|ke hoach|thong tri|van ban|tai lieu|hoi dap)\b"
)


# Words a question about the document itself is made of (folded); anything else means the
# question asks about content ("chỉ thị yêu cầu nghiêm khắc với những nội dung gì" is not metadata).
_META_WORDS = frozenset(
    """ban hanh ra doi ky ngay thang nam nao khi luc gio hom bao nhieu may ai boi cua co quan cap don vi so hieu
    noi dung chinh van de viec ve gi ten day du trich yeu cau hoi dap tai lieu thuong vu tinh uy trung uong
    chi thi nghi quyet quy dinh ket luan huong dan ke hoach thong tri la duoc nay do""".split()
)
_WORD = re.compile(r"[a-z]+")


def meta_intent(question: str) -> str | None:
    """``when`` | ``who`` | ``number`` | ``subject`` | ``count`` or None."""
    folded = fold(canonical(question))
    if not _DOC_WORDS.search(folded):
        return None
    leftover = [w for w in _WORD.findall(folded) if w not in _META_WORDS and w not in FOLDED_STOPWORDS]
    if len(leftover) > 1:
        return None
    for name, rx in (("when", _WHEN), ("who", _WHO), ("count", _COUNT), ("number", _NUMBER), ("subject", _SUBJECT)):
        if rx.search(folded):
            return name
    return None


def answer_meta(intent: str, meta: DocumentMeta, n_questions: int) -> str:
    """A sentence stating the facts parsed from the title (no invented content)."""
    name = meta.short_name
    if intent == "when":
        if meta.date is None:
            return f"Tiêu đề của {name} không ghi ngày ban hành."
        by = f" của {meta.issuer}" if meta.issuer else ""
        return f"{name}{by} được ban hành ngày {format_date(meta.date)}."
    if intent == "who":
        if not meta.issuer:
            return f"Tiêu đề của {name} không ghi cơ quan ban hành."
        when = f" ngày {format_date(meta.date)}" if meta.date else ""
        return f"{name} do {meta.issuer} ban hành{when}."
    if intent == "number":
        return f"Số hiệu của văn bản là {meta.number}." if meta.number else "Tiêu đề văn bản không ghi số hiệu."
    if intent == "count":
        return f"Tài liệu hỏi - đáp về {name} gồm {n_questions} câu hỏi."
    if meta.subject:
        return f"{name} về {meta.subject}."
    return f"Tên đầy đủ của văn bản: {meta.title}"
