"""Hybrid retrieval: dense (FAISS) + lexical (BM25) candidates, fused per unit, ranked per group.

Unit score = cosine + ``fusion_weight`` × BM25 / (best BM25 for this question).
A group (an official Q&A pair or a paragraph) scores as its best unit. The
evidence used later to accept or refuse an answer is collected here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bot.answer.query import Query
from bot.documents.metadata import number_key
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


ITEM_KINDS = ("item", "item_head")
QUESTION_KINDS = ("question", "question_core")


def item_margin(hit: GroupHit, version: IndexVersion) -> tuple[int | None, float]:
    """The best-scoring item of a hit (the position of its official text) and how far ahead of the
    runner-up item it is; an item scores as the best of its text and its head clause.

    (None, 0) when the hit's best unit is not an item. Quoting one item is right only when
    the message clearly describes that one; otherwise the whole official answer is quoted.
    """
    best = version.units[hit.best_unit]
    if best.kind not in ITEM_KINDS:
        return None, 0.0
    by_item: dict[int, float] = {}
    official: dict[int, int] = {}
    for pos, score in hit.unit_scores.items():
        unit = version.units[pos]
        if unit.kind in ITEM_KINDS and unit.item is not None:
            by_item[unit.item] = max(by_item.get(unit.item, -1e9), score)
            if unit.kind == "item":
                official[unit.item] = pos
    if best.item not in official:
        return None, 0.0
    top = by_item[best.item]
    others = [score for item, score in by_item.items() if item != best.item]
    return official[best.item], top - max(others, default=top - 1.0)


@dataclass
class Retrieval:
    """What one message retrieved, with the evidence for the accept/refuse decision."""

    query: Query
    hits: list[GroupHit]  # best first
    terms: QueryTerms  # content of what was asked (the question part, or one of several asks)
    focus: str  # the text those terms come from
    vectors: np.ndarray | None = None  # the query vectors searched with (for linked phrasings)
    probabilities: dict[int, float] = field(default_factory=dict)  # gid -> calibrated P(right), top answers
    # Mean and spread of the question part's cosine to the index at large: a right answer stands out of
    # it, while an out-of-scope question is about as close to everything (whatever the corpus).
    background: tuple[float, float] = (0.0, 1.0)


class Retriever:
    """Searches one index version.

    The cost of a question grows with the candidates it meets, not with the corpus: the dense
    top-k comes from the vector index, the lexical one from the postings of the question's
    terms, and only the groups those candidates belong to are scored, as arrays.
    """

    def __init__(self, version: IndexVersion, embedder: Embedder, segmenter: Segmenter, fusion_weight: float) -> None:
        self.version = version
        self.embedder = embedder
        self.segmenter = segmenter
        self.fusion_weight = fusion_weight
        self._profiles: dict[int, TextProfile] = {}
        # Per-document adapters (bot.embed.adapter): index of the document in ``version.doc_ids`` → number key.
        adapter = getattr(embedder, "adapter", None)
        documents = getattr(adapter, "documents", None) or {}
        self.adapter = adapter if documents else None
        self.doc_adapters: dict[int, str] = {}
        for i, doc_id in enumerate(version.doc_ids):
            number = version.documents[doc_id].number
            if number and number_key(number) in documents:
                self.doc_adapters[i] = number_key(number)

    def profile(self, group: Group) -> TextProfile:
        """Lexical footprint of a group (question + answer, segmented words), computed once."""
        prof = self._profiles.get(group.gid)
        if prof is None:
            text = f"{group.question}\n{group.answer}"
            words = group.words if group.words is not None else self.segmenter.words(canonical(text))
            prof = TextProfile.of(text, words)
            self._profiles[group.gid] = prof
        return prof

    def has_adapter(self, doc_id: str) -> bool:
        """Are this document's units scored through an adapter of its own?"""
        return bool(self.doc_adapters) and self.version.doc_ids.index(doc_id) in self.doc_adapters

    def unit_profile(self, group: Group, position: int) -> TextProfile:
        """Lexical footprint of one unit with its official question (syllables and pairs only), cached.
        An item or a sentence: what the message's best match actually says, not its whole answer."""
        key = -1 - position
        prof = self._profiles.get(key)
        if prof is None:
            unit = self.version.units[position]
            if unit.kind == "item_head":  # the head of an item stands for the item
                unit = next(
                    (u for p in group.positions if (u := self.version.units[p]).kind == "item" and u.item == unit.item),
                    unit,
                )
            prof = TextProfile.of(f"{group.question}\n{unit.text}" if unit.kind != "question" else unit.text)
            self._profiles[key] = prof
        return prof

    def query(self, message: str) -> Query:
        return Query.of(message, self.version, self.segmenter)

    def dense_texts(self, query: Query, text: str | None = None) -> list[str]:
        """What the embedding model reads for ``query`` (or for one of its asks, ``text``); the first is the focus."""
        focus_text = query.dense_focus if text is None else self.version.restorer.restore(text)
        texts = [focus_text or query.dense_full]
        if text is None:
            # Context sentences help ranking: each unit is scored by its best cosine over the
            # question part, the whole message and (long messages) each sentence on its own,
            # so a described situation meets the item it describes without the generic question
            # ("chỉ thị có nói tới không?") diluting it.
            for extra in [query.dense_full, *(query.dense_sentences if SENTENCE_VIEWS else [])]:
                if extra and extra not in texts:
                    texts.append(extra)
        return texts

    def query_vectors(self, query: Query, wanted: list[str] = ()) -> dict[str, np.ndarray]:
        """Vectors of every text the dense side reads for this message, embedded in one call.

        That is the message's own views and, when it asks several things, each ask: the answerer
        retrieves those next, and one call to the model costs less than several. Kept on the
        query for this retriever's embedder (the calibration fit reuses queries across adapters).
        """
        held = query.vectors
        table = held[1] if held is not None and held[0] is self.embedder else None
        if table is None:
            texts = self.dense_texts(query)
            if len(query.asks) >= 2:
                for ask in query.asks:
                    texts += self.dense_texts(query, ask)
            texts = list(dict.fromkeys([*texts, *wanted]))
            table = dict(zip(texts, self.embedder.embed_queries(texts), strict=True))
            query.vectors = (self.embedder, table)
        missing = [t for t in dict.fromkeys(wanted) if t not in table]
        if missing:
            table.update(zip(missing, self.embedder.embed_queries(missing), strict=True))
        return table

    def retrieve(self, query: Query | str, top_groups: int = 6, text: str | None = None) -> Retrieval:
        """Rank official answers for ``query``; ``text`` (one of its asks) narrows the dense side."""
        if isinstance(query, str):
            query = self.query(query)
        v = self.version
        texts = self.dense_texts(query, text)
        table = self.query_vectors(query, texts)
        qvecs = np.vstack([table[t] for t in texts]).astype(np.float32, copy=False)
        background = self._background(qvecs[:1])
        if text is None:
            hits = self._rank(query, qvecs, query.full_terms.keyword_terms(), top_groups)
            return Retrieval(query, hits, query.terms, query.focus, qvecs, background=background)
        restored = v.restorer.restore(text)
        hits = self._rank(query, qvecs, QueryTerms.of(text, v.lexicon, restored=restored).keyword_terms(), top_groups)
        words = self.segmenter.words(restored) if has_diacritics(restored) else []
        terms = QueryTerms.of(text, v.lexicon, words, restored=restored)
        return Retrieval(query, hits, terms, text, qvecs, background=background)

    def _background(self, qvec: np.ndarray) -> tuple[float, float]:
        sample = self.version.background_positions
        if not len(sample):
            return 0.0, 1.0
        sims = self.version.vectors.scores_many(qvec, sample)[:, 0]
        return float(sims.mean()), float(max(sims.std(), 1e-3))

    def _rank(self, query: Query, qvecs: np.ndarray, terms: list[str], top_groups: int) -> list[GroupHit]:
        """The best ``top_groups`` groups; unit score = cosine + fusion_weight × BM25 / (best BM25)."""
        v = self.version
        n = len(v.units)
        if n == 0:
            return []
        # Candidates: the dense top-k of each text and the lexical top-k.
        _, ids = v.vectors.search_many(qvecs, CANDIDATES)
        adapted = {d: self.adapter.apply_for(key, qvecs) for d, key in self.doc_adapters.items()}
        for d, aq in adapted.items():  # a document's own adapter may find units the model alone misses
            _, more = v.vectors.search_many(aq, CANDIDATES)
            more = more[more >= 0]
            ids = np.concatenate([ids.ravel(), more[v.group_doc[v.group_of[more]] == d]])
        kw_pos, kw_val = v.keywords.sparse(terms)
        k = min(CANDIDATES, n)
        kw_ids = kw_pos[np.argpartition(-kw_val, k - 1)[:k]] if len(kw_pos) > k else kw_pos
        candidates = np.unique(np.concatenate([ids[ids >= 0].astype(np.int64), kw_ids.astype(np.int64)]))
        if not len(candidates):
            return []
        # Score every unit of every group touched, so a group is judged on all its parts; the units
        # of group i are segment i of ``positions`` (starting at ``offsets[i]``).
        gids = np.unique(v.group_of[candidates])
        starts = v.group_start[gids]
        lengths = v.group_start[gids + 1] - starts
        offsets = np.cumsum(lengths) - lengths
        positions = v.group_units[np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))]
        sims = v.vectors.scores_many(qvecs, positions)  # (units, texts); text 0 is the focus
        if adapted:
            unit_doc = v.group_doc[v.group_of[positions]]
            for d, aq in adapted.items():
                mine = unit_doc == d
                if mine.any():  # its own units as its adapter scores them (trained against the others' scores)
                    sims[mine] = v.vectors.scores_many(aq, positions[mine])
        # A unit's cosine is its best over the texts (focus, whole message, sentences).
        dense = sims.max(axis=1)
        unit = dense.astype(np.float64)
        kmax = float(kw_val.max()) if len(kw_val) else 0.0
        if kmax > 0:
            at = np.minimum(np.searchsorted(kw_pos, positions), len(kw_pos) - 1)
            kw = np.where(kw_pos[at] == positions, kw_val[at], 0).astype(np.float64) / kmax
            unit = unit + self.fusion_weight * kw
        best = np.maximum.reduceat(unit, offsets)
        segment = np.repeat(np.arange(len(gids)), lengths)
        first_best = np.minimum.reduceat(np.where(unit == best[segment], np.arange(len(unit)), len(unit)), offsets)
        group_dense = np.maximum.reduceat(dense, offsets)
        group_focus = np.maximum.reduceat(sims[:, 0], offsets)
        question = v.group_question[gids]
        asked = np.where(v.question_like[positions], dense, -np.inf)
        group_question = np.where(question >= 0, np.maximum.reduceat(asked, offsets), group_dense)
        score = best
        refs = query.refs if len(v.documents) >= 2 else set()  # nothing to choose between
        if refs:
            named = np.array([d in refs for d in v.doc_ids], dtype=bool)
            score = best + np.where(named[v.group_doc[gids]], DOC_REFERENCE_BONUS, 0.0)

        hits: list[GroupHit] = []
        for i in np.argsort(-score, kind="stable")[:top_groups].tolist():
            seg = range(int(offsets[i]), int(offsets[i] + lengths[i]))
            hits.append(
                GroupHit(
                    group=v.groups[int(gids[i])],
                    score=float(score[i]),
                    dense=float(group_dense[i]),
                    dense_question=float(group_question[i]),
                    best_unit=int(positions[first_best[i]]),
                    unit_scores={int(positions[j]): float(unit[j]) for j in seg},
                    dense_focus=float(group_focus[i]),
                )
            )
        return hits
