"""Small talk: thanks, greetings, praise and acknowledgements, told apart from questions.

"cảm ơn ad nhiều nha 🙏", "bot trả lời nhanh ghê, giỏi quá", "ok e hiểu rồi ạ", "chào buổi sáng cả
nhà" ask nothing of the documents, yet share words with them ("trả lời", "rõ ràng", "nhanh"); a
search would find *something* to quote. A message is small talk when it is made only of the phrases
in ``data/smalltalk.tsv`` (and emoji, punctuation, function words) and holds at least one of its
markers. Matched without diacritics, longest phrase first, on the message as members typed it after
shorthand was expanded (``tks`` → thanks is in the list itself).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from bot.text.normalize import fold

DATA = Path(__file__).with_name("data") / "smalltalk.tsv"
_MAX_WORDS = 16  # a longer message says something


@lru_cache(maxsize=1)
def _lexicon() -> tuple[dict[tuple[str, ...], bool], int]:
    phrases: dict[tuple[str, ...], bool] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, phrase = line.split("\t", 1)
        key = tuple(fold(phrase.strip()).split())
        phrases[key] = phrases.get(key, False) or kind == "marker"
    return phrases, max(len(k) for k in phrases)


def is_smalltalk(text: str) -> bool:
    """Is ``text`` only thanks, greetings, praise or an acknowledgement (or only emoji)?"""
    words = re.findall(r"[a-z0-9]+", fold(text or "").lower())
    if not words:
        # An emoji or a sticker sent as text ("👍", "🙏") is small talk; punctuation alone ("?!") is empty.
        return any(unicodedata.category(c) == "So" for c in text or "")
    if len(words) > _MAX_WORDS or "?" in (text or "") and not _all_greeting(words):
        return False
    phrases, longest = _lexicon()
    i, marked = 0, False
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            key = tuple(words[i : i + n])
            if key in phrases:
                marked = marked or phrases[key]
                i += n
                break
        else:
            # A word that is not small talk: the message says something, unless it thanks for something
            # ("cám ơn bot đã giải thích rõ về việc tiếp công dân") and asks nothing.
            return _thanks_for(words, text or "")
    return marked


_THANKS = re.compile(r"^(\w+ ){0,3}(cam on|thank|thanks|tks|thankyou)\b")
# What makes a message that starts with thanks a question or a request after all.
_ASKS = re.compile(
    r"\b(gi|nao|sao|khong|ko|k|hong|chua|hem|bao nhieu|may|hoi|hoi them|cho (em|minh|toi|anh|chi) (hoi|biet)"
    r"|giup|muon biet|tim hieu|lieu|phai khong|dung khong|co phai|the con|con (ve|viec)|vay|z|ha|nhi"
    r"|gui|xin|trich|liet ke|ke (het|ra)|tiep (di|nhe|nha))\b"
)


def _thanks_for(words: list[str], text: str) -> bool:
    folded = " ".join(words)
    return bool(_THANKS.search(folded)) and "?" not in text and not _ASKS.search(folded)


_GREETING = re.compile(r"\b(xin chao|chao|hello|hi|hey|alo)\b")


def is_greeting(text: str) -> bool:
    """Small talk that greets ("chào bot", "alo"): answered in private with a greeting, not a "you're welcome"."""
    return bool(_GREETING.search(" ".join(re.findall(r"[a-z0-9]+", fold(text or "").lower()))))


def _all_greeting(words: list[str]) -> bool:
    """ "alo có ai trực không?" asks, but only whether someone is there."""
    folded = " ".join(words)
    return bool(re.search(r"\b(co ai truc|ai truc|co ai o day|alo)\b", folded))
