"""Members' personal data in what they type, masked wherever that text leaves the database.

Members write "em là Trần Thị Bích, sđt 0912 345 678, hỏi…" into a question. The question log keeps
the text as typed, for as long as the retention rule says (``HOIDAP_QUESTION_RETENTION_DAYS``); what
is *shown or exported* from it — the unanswered report (CLI, CSV, chat, dashboard, CSV/XLSX exports),
the review queue and the phrasings lists — goes through :func:`mask` first, and log lines through
:func:`mask_contacts` (bot.channels.logs). Masked:

- e-mail addresses, phone numbers (0…, +84…, with or without spaces and dots), ID numbers (CMND 9
  digits, CCCD 12), bank account numbers and any other run of 8 or more digits — by pattern;
- personal names — by underthesea's named-entity recognition (its CRF model, shipped with the
  package, ~5 ms a sentence), plus what it tends to miss in chat: a proper noun right after a form
  of address ("em Bích", "đồng chí Tuấn") and a capitalised run starting with a common family name
  ("Lê Minh hỏi…"). Document vocabulary ("Chỉ thị 46-CT/TU", "Ban Thường vụ Tỉnh ủy") is left alone.

Each is replaced by a bracketed word saying what was there, so a report still reads.
"""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

log = logging.getLogger(__name__)

EMAIL = "[email]"
PHONE = "[số điện thoại]"
NUMBER = "[số giấy tờ/tài khoản]"
NAME = "[tên]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Vietnamese phone numbers: 0 or +84/84, then 9-10 more digits, grouped by spaces, dots or hyphens.
_PHONE = re.compile(r"(?<![\w+])(?:\+84|84|0)(?:[ .-]?\d){8,10}(?!\d)")
# ID cards (9 or 12 digits), bank accounts (8-19): any other long run of digits, grouped or not.
_NUMBER = re.compile(r"(?<!\d)\d(?:[ .-]?\d){7,18}(?!\d)")
_PATTERNS = ((_EMAIL, EMAIL), (_PHONE, PHONE), (_NUMBER, NUMBER))

_ADDRESS = {
    "anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "con", "bạn", "đồng chí", "đ/c", "đc",
    "tôi là", "mình là", "em là", "tên", "tên là", "họ tên", "gửi", "nhờ",
}  # fmt: skip
_SURNAMES = set(
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Đoàn Trương Lâm Trịnh "
    "Cao Tạ Lương Vương Tô Châu Quách Thái Triệu Kiều Nông Hứa Lại Mạc Văn Khổng La Âu Diệp".split()
)
_CAPITALISED = re.compile(r"\b[A-ZÀ-ỸĐ][a-zà-ỹđ]+(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}\b")
_ner_lock = threading.Lock()


def mask_contacts(text: str) -> str:
    """E-mail addresses and phone numbers masked (log lines: ids and counts there stay readable)."""
    return _PHONE.sub(PHONE, _EMAIL.sub(EMAIL, text))


def mask_patterns(text: str) -> str:
    """E-mail addresses, phone numbers and long digit runs (ID, account numbers) masked — no model."""
    for pattern, word in _PATTERNS:
        text = pattern.sub(word, text)
    return text


def _entities(text: str) -> list[tuple[str, str, str]]:
    """(word, part of speech, entity tag) of underthesea's NER; [] if it cannot run."""
    try:
        from underthesea import ner

        with _ner_lock:  # its CRF tagger is a shared singleton
            return [(w, pos, tag) for w, pos, _chunk, tag in ner(text)]
    except Exception as e:  # masking must not break a report: patterns still apply
        log.warning("names not masked (underthesea NER failed: %s)", e)
        return []


def _name_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    places: list[tuple[int, int]] = []
    pos = 0
    previous = ""
    for word, part, tag in _entities(text):
        start = text.find(word, pos)
        if start < 0:
            continue
        end = pos = start + len(word)
        acronym = word.isupper() and len(word) <= 6
        if tag.endswith("PER") and not acronym:
            spans.append((start, end))
        elif part == "Np" and previous.lower() in _ADDRESS and not acronym:
            spans.append((start, end))  # "em Trần Thị Bích", which the tagger takes for a place
        elif tag.endswith(("LOC", "ORG")):
            places.append((start, end))
        previous = word
    for m in _CAPITALISED.finditer(text):
        if m.group().split()[0] in _SURNAMES and not any(a < m.end() and m.start() < b for a, b in places):
            spans.append((m.start(), m.end()))
    return spans


@lru_cache(maxsize=20_000)
def mask(text: str) -> str:
    """``text`` with e-mail addresses, phone, ID and account numbers, and personal names masked."""
    if not text:
        return text
    spans = sorted(_name_spans(text))
    out, at = [], 0
    for start, end in spans:
        if start < at:  # overlapping spans: the earlier one already covers it
            at = max(at, end)
            continue
        out.append(mask_patterns(text[at:start]))
        if not (out and out[-1].endswith(NAME)):
            out.append(NAME)
        at = end
    out.append(mask_patterns(text[at:]))
    return "".join(out)
