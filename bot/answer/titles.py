"""Which loaded document a member means by what its title says ("nghị quyết về chuyển đổi số",
"văn bản nào của tỉnh nói về dân vận khéo", "kế hoạch của ubnd").

Every loaded title is split into words (folded, function words and document-type words left out).
A message's words are scored against each title, each shared word weighted by how few titles have
it — "cán bộ" is in most titles and tells little, "dôi dư" names one — so the document a message
names is the one it shares the most telling words with, clearly ahead of the next.
"""

from __future__ import annotations

import functools
import math
import re

from bot.documents.model import DocumentMeta
from bot.text.analysis import FOLDED_STOPWORDS
from bot.text.normalize import canonical, fold

# Words every leaflet's title has, or that only say what kind of text it is.
_FRAME = frozenset(
    """hoi dap ve so ngay cua tinh uy ban thuong vu chi thi nghi quyet quy dinh ket luan huong dan ke hoach
    chuong trinh hanh dong de an thong tri quyet dinh van ban tai lieu nay do nao gi la""".split()
)
# A document is named by its title when the best score is at least this (about two telling words)
# and ahead of the runner-up by this share of it.
MIN_SCORE = 1.6
MIN_LEAD = 0.25


def words(text: str) -> list[str]:
    """The telling words of ``text``, lowercase, with the marks they were typed with."""
    return [
        w
        for w in re.findall(r"\w+", canonical(text).lower())
        if fold(w) not in FOLDED_STOPWORDS and fold(w) not in _FRAME and w.isalnum()
    ]


def _title_text(meta: DocumentMeta) -> str:
    return f"{meta.subject or meta.title} {meta.issuer or ''}"


def _terms(ws: list[str]) -> list[str]:
    """Words and adjacent pairs: "chỉ tiêu" and "tiêu cực" share a word, not a pair."""
    return ws + [f"{a}_{b}" for a, b in zip(ws, ws[1:], strict=False)]


@functools.lru_cache(maxsize=8)
def _bags(titles: tuple[tuple[str, str], ...]) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    """Each title's terms and their document frequencies: the same for every message to one index
    version, so computed once per set of titles (with 50 leaflets this was a third of a question's time)."""
    bags = {}
    for doc_id, title in titles:
        marked = words(title)
        bags[doc_id] = frozenset(_terms(marked)) | frozenset(_terms([fold(w) for w in marked]))
    df: dict[str, int] = {}
    for bag in bags.values():
        for w in bag:
            df[w] = df.get(w, 0) + 1
    return bags, df


def rank(message_words: list[str], documents: dict[str, DocumentMeta]) -> list[tuple[float, str]]:
    """(score, doc_id) of every loaded document for ``message_words``, best first. A word typed with
    marks must match with them ("tiêu" of "chỉ tiêu" is not "tiêu cực"'s… but "tieu" matches both)."""
    bags, df = _bags(tuple((doc_id, _title_text(meta)) for doc_id, meta in documents.items()))
    n = len(bags)
    wanted = list(dict.fromkeys(_terms(message_words)))
    scored = []
    for doc_id, bag in bags.items():
        score = sum(math.log((n + 1) / df[w]) for w in wanted if w in bag)
        scored.append((score, doc_id))
    return sorted(scored, reverse=True)


def named_by_title(
    message_words: list[str], documents: dict[str, DocumentMeta], among: set[str] | None = None
) -> str | None:
    """The one loaded document (of ``among``, default any) whose title the words clearly name, or None."""
    if len(documents) < 2:
        return None
    ranked = [(score, d) for score, d in rank(message_words, documents) if among is None or d in among]
    if not ranked:
        return None
    # With few documents every weight is small: the bar scales with what two rare words would score.
    bar = MIN_SCORE * math.log(len(documents) + 1) / math.log(12)
    best = ranked[0][0]
    runner = ranked[1][0] if len(ranked) > 1 else 0.0
    if best >= bar and best - runner >= MIN_LEAD * best:
        return ranked[0][1]
    return None
