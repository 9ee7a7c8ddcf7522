"""Hybrid retrieval: dense (FAISS) + lexical (BM25) candidates, fused per unit, ranked per group.

Unit score = cosine + ``fusion_weight`` × BM25 / (best BM25 for this question).
A group (an official Q&A pair or a paragraph) scores as its best unit. The
evidence used later to accept or refuse an answer is collected here too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from bot.documents.metadata import number_key
from bot.embed.base import Embedder
from bot.index.version import Group, IndexVersion
from bot.segment.base import Segmenter
from bot.text.analysis import QueryTerms, TextProfile
from bot.text.normalize import canonical, fold, has_diacritics

CANDIDATES = 64
# A question that names a document ("theo Chỉ thị 46…") favours that document.
DOC_REFERENCE_BONUS = 0.05
_DOC_REF_RE = re.compile(
    r"\b(chi thi|nghi quyet|quy dinh|ket luan|quyet dinh|huong dan|ke hoach|thong tri|chuong trinh|de an)"
    r"\s+(?:so\s+)?(\d{1,4})(?:\s*-\s*([a-z]{1,6}(?:\s*/\s*[a-z]{1,6})*))?"
)
_DOC_TYPE_CODES = {
    "chi thi": "ct",
    "nghi quyet": "nq",
    "quy dinh": "qd",
    "ket luan": "kl",
    "quyet dinh": "qd",
    "huong dan": "hd",
    "ke hoach": "kh",
    "thong tri": "tt",
    "chuong trinh": "ctr",
    "de an": "da",
}


@dataclass
class GroupHit:
    group: Group
    score: float  # fused
    dense: float  # best cosine over the group's units
    dense_question: float  # cosine to the official question
    best_unit: int  # position of the best unit (by fused score)
    unit_scores: dict[int, float] = field(default_factory=dict)


@dataclass
class Retrieval:
    """What one question retrieved, with the evidence for the accept/refuse decision."""

    terms: QueryTerms
    dense_text: str
    hits: list[GroupHit]  # best first


def find_references(text: str, version: IndexVersion) -> tuple[set[str], list[tuple[int, int]]]:
    """Loaded documents ``text`` names (``theo Chỉ thị 46``, ``46-CT/TU``) and where it names them.

    ``text`` must be canonical (NFC): its folded form then has the same length,
    so spans found on the folded text cut the original at the same places.
    """
    folded = fold(text)
    refs: set[str] = set()
    spans: list[tuple[int, int]] = []
    if len(folded) != len(text):
        return refs, spans
    for doc_id, meta in version.documents.items():
        if not meta.number:
            continue
        key = number_key(meta.number)  # "46-ct/tu"
        num, _, code = key.partition("-")
        code = code.split("/")[0]
        for m in re.finditer(re.escape(key).replace("/", r"\s*/\s*"), folded):
            refs.add(doc_id)
            spans.append(m.span())
        for m in _DOC_REF_RE.finditer(folded):
            if m.group(2) == num and (_DOC_TYPE_CODES.get(m.group(1)) == code or not m.group(3)):
                refs.add(doc_id)
                start = m.start()
                before = folded[:start].rstrip()
                for word in ("theo", "trong", "cua", "tai"):  # "theo Chỉ thị 46": the whole phrase goes
                    if before.endswith(word):
                        start = len(before) - len(word)
                spans.append((start, m.end()))
    return refs, spans


def referenced_documents(question: str, version: IndexVersion) -> set[str]:
    """Ids of loaded documents the question names, e.g. ``Chỉ thị 46`` or ``46-CT/TU``."""
    return find_references(canonical(question), version)[0]


def without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return re.sub(r"\s+", " ", text).strip(" ,;:")


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
            prof = TextProfile.of(text, self.segmenter.words(canonical(text)))
            self._profiles[group.gid] = prof
        return prof

    def retrieve(self, question: str, top_groups: int = 6) -> Retrieval:
        v = self.version
        text = canonical(question)
        # A named document steers which document answers, but is not what the question asks:
        # "theo Chỉ thị 46, người đứng đầu…" is judged on "người đứng đầu…".
        refs, spans = find_references(text, v)
        if spans:
            text = without_spans(text, spans) or text
        words = self.segmenter.words(text) if has_diacritics(text) else []
        terms = QueryTerms.of(text, v.lexicon, words)
        # The model reads unaccented Vietnamese poorly: put the marks back first.
        dense_text = text if terms.accented else v.restorer.restore(text)
        qvec = self.embedder.embed_queries([dense_text or text])[0]

        _, dense_ids = v.vectors.search(qvec, CANDIDATES)
        kw_all = v.keywords.scores(terms.keyword_terms())
        k = min(CANDIDATES, len(kw_all))
        top = np.argpartition(-kw_all, k - 1)[:k] if k else np.zeros(0, np.int64)
        kw_ids = top[kw_all[top] > 0]
        candidates = np.unique(np.concatenate([dense_ids, kw_ids]).astype(np.int64))
        # Score every unit of every group touched, so a group is judged on all its parts.
        gids = np.unique(v.group_of[candidates])
        positions = np.array(sorted({p for g in gids for p in v.groups[g].positions}), dtype=np.int64)
        dense = dict(zip(positions.tolist(), v.vectors.scores_for(qvec, positions).tolist(), strict=True))
        kmax = float(kw_all.max()) if len(kw_all) else 0.0
        if len(v.documents) < 2:
            refs = set()  # nothing to choose between

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
                )
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return Retrieval(terms, dense_text, hits[:top_groups])
