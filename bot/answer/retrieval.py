"""Hybrid retrieval: dense (FAISS) + lexical (BM25) candidates, fused per unit, ranked per group.

Unit score = cosine + ``fusion_weight`` × BM25 / (best BM25 for this question).
A group (an official Q&A pair or a paragraph) scores as its best unit. The
evidence used later to accept or refuse an answer is collected here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.answer.query import Query
from bot.embed.base import Embedder
from bot.index.version import Group, IndexVersion
from bot.segment.base import Segmenter
from bot.text.analysis import QueryTerms, TextProfile
from bot.text.normalize import canonical, has_diacritics

CANDIDATES = 64
# A question that names a document ("theo Chỉ thị 46…") favours that document.
DOC_REFERENCE_BONUS = 0.05
SENTENCE_VIEWS = True


@dataclass
class GroupHit:
    group: Group
    score: float  # fused
    dense: float  # best cosine over the group's units
    dense_question: float  # cosine to the official question
    best_unit: int  # position of the best unit (by fused score)
    unit_scores: dict[int, float] = field(default_factory=dict)
    dense_focus: float = 0.0  # best cosine of the question part alone (long messages)


def item_margin(hit: GroupHit, version: IndexVersion) -> tuple[int | None, float]:
    """The best-scoring item of a hit and how far ahead of the runner-up item it is.

    (None, 0) when the hit's best unit is not an item. Quoting one item is right only when
    the message clearly describes that one; otherwise the whole official answer is quoted.
    """
    unit = version.units[hit.best_unit]
    if unit.kind != "item":
        return None, 0.0
    others = [
        score for pos, score in hit.unit_scores.items() if pos != hit.best_unit and version.units[pos].kind == "item"
    ]
    return hit.best_unit, hit.unit_scores[hit.best_unit] - max(others, default=hit.unit_scores[hit.best_unit] - 1.0)


@dataclass
class Retrieval:
    """What one message retrieved, with the evidence for the accept/refuse decision."""

    query: Query
    hits: list[GroupHit]  # best first
    terms: QueryTerms  # content of what was asked (the question part, or one of several asks)
    focus: str  # the text those terms come from


class Retriever:
    """Searches one index version."""

    def __init__(self, version: IndexVersion, embedder: Embedder, segmenter: Segmenter, fusion_weight: float) -> None:
        self.version = version
        self.embedder = embedder
        self.segmenter = segmenter
        self.fusion_weight = fusion_weight
        self._profiles: dict[int, TextProfile] = {}

    def profile(self, group: Group) -> TextProfile:
        """Lexical footprint of a group (question + answer, segmented words), computed once."""
        prof = self._profiles.get(group.gid)
        if prof is None:
            text = f"{group.question}\n{group.answer}"
            words = group.words if group.words is not None else self.segmenter.words(canonical(text))
            prof = TextProfile.of(text, words)
            self._profiles[group.gid] = prof
        return prof

    def query(self, message: str) -> Query:
        return Query.of(message, self.version, self.segmenter)

    def retrieve(self, query: Query | str, top_groups: int = 6, text: str | None = None) -> Retrieval:
        """Rank official answers for ``query``; ``text`` (one of its asks) narrows the dense side."""
        if isinstance(query, str):
            query = self.query(query)
        v = self.version
        focus_text = query.dense_focus if text is None else v.restorer.restore(text)
        texts = [focus_text or query.dense_full]
        if text is None:
            # Context sentences help ranking: each unit is scored by its best cosine over the
            # question part, the whole message and (long messages) each sentence on its own,
            # so a described situation meets the item it describes without the generic question
            # ("chỉ thị có nói tới không?") diluting it.
            for extra in [query.dense_full, *(query.dense_sentences if SENTENCE_VIEWS else [])]:
                if extra and extra not in texts:
                    texts.append(extra)
        qvecs = self.embedder.embed_queries(texts)

        dense_ids = np.unique(np.concatenate([v.vectors.search(q, CANDIDATES)[1] for q in qvecs]))
        rank_terms = query.full_terms if text is None else QueryTerms.of(text, v.lexicon, restored=focus_text)
        kw_all = v.keywords.scores(rank_terms.keyword_terms())
        k = min(CANDIDATES, len(kw_all))
        top = np.argpartition(-kw_all, k - 1)[:k] if k else np.zeros(0, np.int64)
        kw_ids = top[kw_all[top] > 0]
        candidates = np.unique(np.concatenate([dense_ids, kw_ids]).astype(np.int64))
        # Score every unit of every group touched, so a group is judged on all its parts.
        gids = np.unique(v.group_of[candidates])
        positions = np.array(sorted({p for g in gids for p in v.groups[g].positions}), dtype=np.int64)
        per_text = [v.vectors.scores_for(q, positions) for q in qvecs]
        focus_scores = dict(zip(positions.tolist(), per_text[0].tolist(), strict=True))
        # Context sentences help ranking: a unit scores its best cosine over the focus and the whole message.
        dense = dict(zip(positions.tolist(), np.max(np.vstack(per_text), axis=0).tolist(), strict=True))
        kmax = float(kw_all.max()) if len(kw_all) else 0.0
        refs = query.refs if len(v.documents) >= 2 else set()  # nothing to choose between

        hits: list[GroupHit] = []
        for g in gids.tolist():
            group = v.groups[g]
            unit_scores = {}
            for p in group.positions:
                kw = float(kw_all[p]) / kmax if kmax > 0 else 0.0
                unit_scores[p] = dense[p] + self.fusion_weight * kw
            best = max(unit_scores, key=unit_scores.get)
            bonus = DOC_REFERENCE_BONUS if group.doc_id in refs else 0.0
            qpos = v.question_position(group)
            hits.append(
                GroupHit(
                    group=group,
                    score=unit_scores[best] + bonus,
                    dense=max(dense[p] for p in group.positions),
                    dense_question=dense[qpos] if qpos is not None else max(dense[p] for p in group.positions),
                    best_unit=best,
                    unit_scores=unit_scores,
                    dense_focus=max(focus_scores[p] for p in group.positions),
                )
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        if text is None:
            return Retrieval(query, hits[:top_groups], query.terms, query.focus)
        restored = v.restorer.restore(text)
        words = self.segmenter.words(restored) if has_diacritics(restored) else []
        return Retrieval(query, hits[:top_groups], QueryTerms.of(text, v.lexicon, words, restored=restored), text)
