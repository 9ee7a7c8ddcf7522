"""More ways to meet an official question or item, made from the document's own words at build time.

A new leaflet comes with no examples of how members ask about it; what it does have is its own
text. Two kinds of matching unit are derived from it, for every document alike (they are matched,
never quoted: a hit on one resolves to its official question or item, whose own text is quoted):

- ``question_core``: the official question without the words that name the document and its
  issuer ("Kế hoạch số 135-KH/TU của Ban Thường vụ Tỉnh ủy đề ra mục đích, yêu cầu như thế nào?" →
  "đề ra mục đích, yêu cầu như thế nào?"). Members rarely repeat them, and when they do the name is
  taken out of their message before matching, so the official wording spent part of its meaning on
  words no message carries.
- the same question **with the document's subject** in place of its number, when it names its own
  document: "Kế hoạch số 135-KH/TU … đề ra mục đích, yêu cầu như thế nào?" also stands as "Đề ra mục
  đích, yêu cầu như thế nào? (kiểm điểm, đánh giá, xếp loại chất lượng … năm 2024)". Members name a
  document by what it is about ("mục đích, yêu cầu của việc kiểm điểm năm 2024"), not by its number.
- ``item_head``: the first clause of a long item — the behaviour or task it names before the
  details ("Tham mưu “lòng vòng”, không nêu rõ quan điểm, …" → "Tham mưu “lòng vòng”"). Members
  point at an item by those few words; against the whole long item their message is a small part.
"""

from __future__ import annotations

import re

from bot.documents.metadata import DOC_TYPES, NUMBER_PATTERN

_ISSUERS = (
    r"Ban Thường vụ Tỉnh ủy|Ban Chấp hành Đảng bộ tỉnh|Tỉnh ủy|Ủy ban nhân dân tỉnh|Hội đồng nhân dân tỉnh"
    r"|Ban Tổ chức Tỉnh ủy|Ủy ban Kiểm tra Tỉnh ủy|Ban Tuyên giáo(?: và Dân vận)? Tỉnh ủy|Ban Dân vận Tỉnh ủy"
    r"|Ban Nội chính Tỉnh ủy|UBND tỉnh|HĐND tỉnh|BTV Tỉnh ủy"
)
_TYPES = "|".join(sorted(DOC_TYPES, key=len, reverse=True))
# "Kế hoạch số 135-KH/TU (ngày …) (của Ban Thường vụ Tỉnh ủy)", "Chỉ thị", "theo Quy định", "Ban Thường vụ Tỉnh ủy".
_NAMING = re.compile(
    rf"(?:\b(?:theo|trong|của)\s+)?\b(?:{_TYPES})(?:\s+(?:số\s+)?{NUMBER_PATTERN})?"
    rf"(?:,?\s+ngày\s+\d{{1,2}}/\d{{1,2}}/\d{{4}})?(?:\s+của\s+(?:{_ISSUERS}))?"
    rf"|(?:\b(?:của|theo)\s+)?\b(?:{_ISSUERS})\b",
    re.IGNORECASE,
)
_HEAD_END = re.compile(r"[;:]|,(?=\s)")
MIN_HEAD_WORDS = 3
MIN_COMMA_WORDS = 6
MAX_HEAD_WORDS = 14
LONG_ITEM_WORDS = 18  # shorter items are their own head


def question_core(question: str) -> str | None:
    """The official question without the words naming the document or its issuer; None if unchanged
    or if too little is left to mean anything."""
    core = _NAMING.sub(" ", question)
    core = re.sub(r"\s+", " ", core).strip(" ,;:")
    core = re.sub(r"\s+([,?;:.])", r"\1", core)
    if core == question.strip() or len(core.split()) < 3:
        return None
    return core[:1].upper() + core[1:]


def question_subject(core: str, question: str, subject: str | None) -> str | None:
    """The question core with the document's subject, when the official question named its own
    document by number (its number stood for that subject); None otherwise."""
    if not subject or not re.search(NUMBER_PATTERN, question):
        return None
    subject = re.sub(r"\s+", " ", subject).strip(" .,;:")
    if len(subject.split()) < 2:
        return None
    return f"{core.rstrip()} ({subject})"


def item_head(text: str) -> str | None:
    """The first clause of a long item, when it is a few words long; None otherwise."""
    body = re.sub(r"^\s*(?:\(\d{1,3}\)|\d{1,3}[.)]|[a-zđ]\)|[-–•+*])\s*", "", text).strip()
    words = body.split()
    if len(words) < LONG_ITEM_WORDS:
        return None
    # A clause ends at ";" or ":"; a comma ends it only after enough words ("Tham mưu, đề xuất…" lists
    # inside one clause).
    for m in _HEAD_END.finditer(body):
        head = body[: m.start()].strip()
        n = len(head.split())
        if n > MAX_HEAD_WORDS:
            return None
        if n >= (MIN_HEAD_WORDS if m.group(0) in ";:" else MIN_COMMA_WORDS):
            return head
    return None
