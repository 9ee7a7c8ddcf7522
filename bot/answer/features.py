"""Evidence for accepting the best answer, as numbers a calibrated model weighs.

One similarity score is not enough to refuse well: questions on civil-service
topics the document does not cover share most of its vocabulary and land close
to it in embedding space. So we also measure how much of the question's
content the matched answer actually covers (syllables, adjacent pairs and
segmented words), what the corpus has never seen, and how clearly the best
answer beats the runner-up.
"""

from __future__ import annotations

from bot.answer.retrieval import Retrieval, Retriever

FEATURES = (
    "dense",  # best cosine between the question and the answer's units
    "dense_question",  # cosine to the official question
    "coverage",  # IDF-weighted share of content syllables found in the answer
    "pair_coverage",  # share of adjacent content pairs found in the answer
    "uncovered",  # content syllables the answer lacks (capped)
    "corpus_oov",  # content syllables absent from every document (capped)
    "corpus_pair_oov",  # content pairs absent from every document (capped)
    "corpus_word_oov",  # segmented words absent from every document (capped)
    "word_uncovered",  # segmented words the answer lacks (capped)
    "content_size",  # how many content syllables the question has (scaled)
    "margin",  # fused score of the best answer minus the runner-up
    "dense_margin",  # same on cosine only
)


def _capped(n: float, cap: float) -> float:
    return min(float(n), cap)


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
    return [
        hit.dense,
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
    ]
