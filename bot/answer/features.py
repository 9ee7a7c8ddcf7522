"""Evidence for accepting the best answer, as numbers a calibrated model weighs.

One similarity score is not enough to refuse well: questions on civil-service
topics the document does not cover share most of its vocabulary and land close
to it in embedding space. So we also measure how much of the question's
*content* the matched answer actually covers, what the corpus has never seen,
and how clearly the best answer beats the runner-up.

Everything lexical is measured on the question part of the message after chat
normalisation (:class:`bot.answer.query.Query`): fillers, address words and the
context sentences of a long message neither help nor hurt. Two signals judge
meaning rather than vocabulary: a question that names a document which is not
loaded (``Kết luận 21-KL/TW``), and one that asks *when*, *how long* or *how
much* while the answer states no date or figure.
"""

from __future__ import annotations

import re

from bot.answer.query import matches
from bot.answer.retrieval import Retrieval, Retriever
from bot.index.version import Group
from bot.text.normalize import fold

FEATURES = (
    "dense",  # best cosine between the message (question part or whole) and the answer's units
    "dense_focus",  # best cosine of the question part alone
    "dense_question",  # cosine to the official question
    "coverage",  # IDF-weighted share of content syllables found in the answer
    "pair_coverage",  # share of adjacent content pairs found in the answer
    "uncovered",  # content syllables the answer lacks (capped)
    "corpus_oov",  # content syllables absent from every document (capped)
    "corpus_pair_oov",  # content pairs absent from every document (capped)
    "corpus_word_oov",  # segmented words absent from every document (capped)
    "word_uncovered",  # segmented words the answer lacks (capped)
    "content_size",  # how many content syllables the question part has (scaled)
    "margin",  # fused score of the best answer minus the runner-up
    "dense_margin",  # same on cosine only
    "foreign_reference",  # documents named that are neither loaded nor cited by this answer
    "other_document",  # documents named that are not loaded, cited by this answer, and no loaded one is named
    "type_mismatch",  # asks when / how long / how much, and the answer states no date or figure
)

# Asking for a time, a duration or an amount (folded text). Vietnamese puts such a question word at
# the start of its clause ("Bao giờ … ?") or at its end ("… là khi nào?", "… bao nhiêu ngày?"); in
# the middle it is usually part of a statement ("chả rõ ai làm, bao giờ xong, …").
_ASKS_FIGURE = re.compile(
    r"\b(khi nao|bao gio|luc nao|ngay nao|thang nao|nam nao|thoi diem nao|thoi han nao|bao lau|may ngay|may thang"
    r"|may nam|bao nhieu (tien|phan tram|nam|thang|ngay|lan|diem|%)|bao nhieu)\b"
)
_CLAUSE = re.compile(r"[,;:.?!…]+")


def asks_figure(text: str) -> bool:
    """Does a clause of ``text`` ask when, how long or how much (its first or last words)?"""
    for clause in _CLAUSE.split(fold(text)):
        for m in _ASKS_FIGURE.finditer(clause):
            before = len(clause[: m.start()].split())
            after = len(clause[m.end() :].split())
            if before <= 1 or after <= 2:
                return True
    return False


# Figures an answer can state: dates, numbers other than item labels "(5)".
_FIGURE = re.compile(r"\d")
_ITEM_LABEL = re.compile(r"\(\d{1,2}\)")


def _capped(n: float, cap: float) -> float:
    return min(float(n), cap)


def _states_figure(group: Group) -> bool:
    return bool(_FIGURE.search(_ITEM_LABEL.sub(" ", group.answer)))


def _foreign(retrieval: Retrieval, group: Group) -> tuple[int, int]:
    """Documents the message names that are not loaded: (not cited by this answer, cited by it).

    A cited one counts only when the message names none of the loaded documents: then it asks
    about that other document ("Theo QĐ 45 thì tiêu chí … là gì?"), not about ours.
    """
    if not retrieval.query.foreign:
        return 0, 0
    cited = fold(group.question + " " + group.answer)
    count = other = 0
    for ref in retrieval.query.references:
        if ref.label not in retrieval.query.foreign:
            continue
        # "theo Quy định 45…" answered by a text that cites "Quy định số 45-QĐ/TU" is not foreign to it.
        if re.search(rf"\b{re.escape(ref.number)}\s*-\s*[a-z]", cited) and (
            not ref.kind or ref.kind in cited or matches(ref, _cited_number(cited, ref.number))
        ):
            other += not retrieval.query.refs
            continue
        count += 1
    return count, other


def _cited_number(cited: str, number: str) -> str | None:
    m = re.search(rf"\b{re.escape(number)}\s*-\s*[a-z]{{1,6}}(?:/[a-z]{{1,6}})?", cited)
    return m.group(0).upper() if m else None


def features(retrieval: Retrieval, retriever: Retriever, rank: int = 0) -> list[float]:
    """Feature vector (in :data:`FEATURES` order) for the hit at ``rank``."""
    hits = retrieval.hits
    hit = hits[rank]
    terms = retrieval.terms
    lex = retriever.version.lexicon
    profile = retriever.profile(hit.group)
    corpus = lex.profile

    content = terms.content
    weight = sum(lex.idf(t) for t in content)
    coverage = sum(lex.idf(t) * terms.has(profile, t) for t in content) / weight if weight else 0.0
    pairs = terms.pairs
    pair_cov = sum(1 for a, b in pairs if terms.has_pair(profile, a, b)) / len(pairs) if pairs else 0.0
    uncovered = sum(1 - terms.has(profile, t) for t in content)
    oov = sum(1 - terms.has(corpus, t) for t in content)
    pair_oov = sum(1 for a, b in pairs if not terms.has_pair(corpus, a, b))
    word_oov = sum(1 for w in terms.words if w not in corpus.words)
    word_unc = sum(1 for w in terms.words if w not in profile.words)

    others = [h for i, h in enumerate(hits) if i != rank]
    margin = hit.score - max((h.score for h in others), default=hit.score - 1.0)
    dense_margin = hit.dense - max((h.dense for h in others), default=hit.dense - 1.0)
    mismatch = float(
        asks_figure(retrieval.focus) and not _states_figure(hit.group) and not _counts_items(retrieval, hit.group)
    )
    foreign, other = _foreign(retrieval, hit.group)
    return [
        hit.dense,
        hit.dense_focus,
        hit.dense_question,
        coverage,
        pair_cov,
        _capped(uncovered, 4),
        _capped(oov, 4),
        _capped(pair_oov, 4),
        _capped(word_oov, 3),
        _capped(word_unc, 3),
        min(len(content), 8) / 8,
        margin,
        dense_margin,
        _capped(foreign, 2),
        _capped(other, 2),
        mismatch,
    ]


_COUNT_OF_ITEMS = re.compile(
    r"\bbao nhieu (bieu hien|noi dung|y|diem|muc|van de|yeu cau|nhiem vu|giai phap|bien phap)\b"
)


def _counts_items(retrieval: Retrieval, group: Group) -> bool:
    """ "Có bao nhiêu biểu hiện?" is answered by a list: its items are the figure."""
    return bool(_COUNT_OF_ITEMS.search(fold(retrieval.focus))) and len(group.positions) > 3
