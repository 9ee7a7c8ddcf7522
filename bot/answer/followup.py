"""Follow-ups: a short message read with the answer just given in the same chat.

Right after an answer from Kế hoạch 135, "thế còn đối tượng thì sao?" asks about Kế hoạch 135;
right after Câu hỏi 4 of Chỉ thị 46, "ý 5 là gì?" means its item (5); "văn bản đó ban hành ngày
nào?" means that answer's document. The conversation core keeps, per member and chat, what the last
answer was about for a few minutes (:class:`bot.shared.Recent`) and passes it here as a
:class:`Context`. A message is a follow-up only when it is short and leans on what came before —
"còn …", "thế còn …", "… thì sao?", "ý 5", "văn bản đó" — and names no document of its own; any
other message is answered as a question of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.text.normalize import fold

MAX_WORDS = 12  # a longer message says enough on its own

_LEANS = re.compile(
    r"^(?:(?:the|vay|the thi|vay thi|con|ma)\s+)*con\b"  # "còn cấp phó…", "thế còn…", "vậy còn…"
    r"|\b(?:thi sao|thi the nao|thi ra sao|thi nhu the nao|thi sao a|the nao a)\s*\W*$"  # "… thì sao?"
    r"|\b(?:van ban|tai lieu|cau hoi|cau|y|muc|dieu|viec|cai|quy dinh|chi thi|ke hoach|nghi quyet)"
    r" (?:do|nay|tren|vua roi|vua xong|kia)\b"  # "văn bản đó", "câu vừa rồi"
    r"|^(?:the|vay|con)\s*(?:thi|a|ha)?\s*\W*$"
)
# "ý 5", "mục 3", "ý thứ 2", "điểm (4)", "ý số 5", "cái thứ 3"
_ITEM = re.compile(r"\b(?:y|muc|diem|khoan|cai|dieu)\s*(?:thu\s*|so\s*)?\(?(\d{1,2})\)?(?!\s*[-/]\s*\d)")
_ITEM_ONLY = re.compile(
    r"^(?:(?:con|the con|vay con|cho (?:em|e|minh|toi) (?:hoi|xem)|xem|trich|doc)\s+)*"
    r"(?:y|muc|diem|khoan|cai|dieu)\s*(?:thu\s*|so\s*)?\(?\d{1,2}\)?"
    r"(?:\s+(?:la|noi|ghi|thi|de cap))?(?:\s+(?:gi|sao|nhu the nao|the nao|ve gi|cai gi))?(?:\s+(?:vay|the|a|nhi|ha))*\W*$"
)


@dataclass(frozen=True)
class Context:
    """What the previous answer in this chat was about."""

    doc_id: str
    question_number: int | None = None
    item: int | None = None

    def to_json(self) -> dict:
        return {"doc_id": self.doc_id, "question_number": self.question_number, "item": self.item}

    @classmethod
    def from_json(cls, data: dict | None) -> Context | None:
        if not data or not data.get("doc_id"):
            return None
        return cls(str(data["doc_id"]), data.get("question_number"), data.get("item"))


def leans_on_context(normalized: str) -> bool:
    """Does a (chat-normalised) message lean on the previous answer?"""
    folded = " ".join(re.findall(r"[a-z0-9()]+|\?", fold(normalized)))
    if len(folded.split()) > MAX_WORDS:
        return False
    return bool(_LEANS.search(folded) or _ITEM_ONLY.search(folded))


def item_asked(normalized: str) -> int | None:
    """The item a follow-up asks for ("ý 5 là gì?" → 5), when that is all it asks."""
    folded = " ".join(re.findall(r"[a-z0-9()]+", fold(normalized)))
    if not _ITEM_ONLY.search(folded):
        return None
    m = _ITEM.search(folded)
    return int(m.group(1)) if m else None


# "câu 4", "câu hỏi số 4 là gì", "cho em xem câu 3 của kh135": an official question asked by its number
# (the document's name already taken out), and nothing else.
_QUESTION_ONLY = re.compile(
    r"^(?:(?:con|the con|vay con|cho (?:(?:em|e|minh|toi|anh|chi) )?(?:hoi|xem|doc|biet)|xem|trich|doc|noi dung"
    r"|tra loi)\s+)*cau\s*(?:hoi\s*)?(?:thu\s*|so\s*)?(\d{1,2})(?:\s+(?:cua|trong|theo|thuoc|o))?"
    r"(?:\s+(?:la|noi|hoi|ghi|tra loi|thi|de cap|viet))?(?:\s+(?:gi|sao|nhu the nao|the nao|ve gi|cai gi|ra sao))?"
    r"(?:\s+(?:vay|the|a|nhi|ha|z|v|nhe|nha))*\W*$"
)


def question_asked(text: str) -> int | None:
    """The official question a message asks for by its number ("câu hỏi 4 là gì?" → 4), when that is all
    it asks."""
    folded = " ".join(re.findall(r"[a-z0-9]+", fold(text)))
    m = _QUESTION_ONLY.search(folded)
    return int(m.group(1)) if m else None
