"""Fit the accept/refuse calibration on a labelled question set (``hoidap calibrate``).

The set is augmented the way members actually type: every question also
without diacritics, and with one slipped letter. Then:

1. the fusion weight is the one ranking most in-scope questions' right answer first;
2. a logistic regression (standardized features) learns P(answer is right) on
   each of the top :data:`RERANK` answers; the answerer keeps the most probable;
3. the threshold maximises the mean of in-scope accuracy and out-of-scope
   rejection on 5-fold cross-validated probabilities, so it is chosen on
   predictions for questions the model did not see.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from bot.answer.calibration import RERANK, Calibration
from bot.answer.features import FEATURES, features
from bot.answer.retrieval import Retriever
from bot.embed.base import Embedder
from bot.index.version import IndexVersion
from bot.segment.base import Segmenter
from bot.text.normalize import fold, has_diacritics

FUSION_GRID = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)


class _MemoEmbedder(Embedder):
    """Embeds each distinct question once across the grid search."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.dim = inner.dim
        self.memo: dict[str, np.ndarray] = {}

    def embed_queries(self, texts):
        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            for t, v in zip(missing, self.inner.embed_queries(missing), strict=True):
                self.memo[t] = v
        return np.vstack([self.memo[t] for t in texts])

    def embed_passages(self, texts, progress=None):
        return self.inner.embed_passages(texts, progress)


def typo(text: str, rng: random.Random) -> str:
    """One slipped letter in one longer word: dropped, doubled, swapped or unaccented."""
    words = text.split()
    choices = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not choices:
        return text
    i = rng.choice(choices)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(4)
    if op == 0:
        w = w[:j] + w[j + 1 :]
    elif op == 1:
        w = w[:j] + w[j] + w[j:]
    elif op == 2:
        w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
    else:
        w = w[:j] + fold(w[j]) + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def augment(rows: Sequence[dict], seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for row in rows:
        out.append(row)
        if has_diacritics(row["q"]):
            out.append({**row, "q": fold(row["q"]), "aug": "unaccented"})
        variant = typo(row["q"], rng)
        if variant != row["q"]:
            out.append({**row, "q": variant, "aug": "typo"})
    return out


def _label(row: dict, retriever: Retriever, hit) -> int:
    expect = row.get("expect") or []
    if not expect or hit is None:
        return 0
    doc = row.get("doc")
    if doc and hit.group.doc_id != doc:
        return 0
    return int(hit.group.question_number in {e[0] for e in expect})


def fit_calibration(
    version: IndexVersion,
    embedder: Embedder,
    segmenter: Segmenter,
    rows: Sequence[dict],
    c: float = 0.5,
    seed: int = 7,
) -> Calibration:
    """Fit on ``rows`` (augmented) against the given index version."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    data = augment(rows, seed)
    memo = _MemoEmbedder(embedder)

    best_w, best_acc = FUSION_GRID[0], -1.0
    for w in FUSION_GRID:
        retriever = Retriever(version, memo, segmenter, w)
        inscope = [r for r in data if r.get("expect")]
        right = sum(
            _label(r, retriever, (ret.hits[0] if ret.hits else None))
            for r in inscope
            for ret in [retriever.retrieve(r["q"])]
        )
        acc = right / max(len(inscope), 1)
        if acc > best_acc + 1e-9:
            best_w, best_acc = w, acc

    retriever = Retriever(version, memo, segmenter, best_w)
    X, y, qid, inscope = [], [], [], []
    for i, r in enumerate(data):
        ret = retriever.retrieve(r["q"])
        for rank, hit in enumerate(ret.hits[:RERANK]):
            X.append(features(ret, retriever, rank))
            y.append(_label(r, retriever, hit))
            qid.append(i)
        inscope.append(bool(r.get("expect")))
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    qid = np.asarray(qid)
    inscope = np.asarray(inscope)

    # Cross-validated probabilities (folds split by question) choose the threshold
    # on questions the model did not see, with the same rerank-then-accept rule
    # the answerer applies.
    cv_p = np.zeros(len(y))
    for train, test in GroupKFold(5, shuffle=True, random_state=seed).split(X, y, qid):
        scaler = StandardScaler().fit(X[train])
        model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(X[train]), y[train])
        cv_p[test] = model.predict_proba(scaler.transform(X[test]))[:, 1]
    best_p = np.zeros(len(data))
    best_y = np.zeros(len(data))
    for i in range(len(data)):
        rows_i = np.flatnonzero(qid == i)
        if len(rows_i):
            j = rows_i[np.argmax(cv_p[rows_i])]
            best_p[i], best_y[i] = cv_p[j], y[j]
    best_t, best_obj, best_pair = 0.5, -1.0, (0.0, 0.0)
    for t in np.arange(0.2, 0.81, 0.01):
        ins = float(np.mean((best_p[inscope] >= t) & (best_y[inscope] == 1)))
        rej = float(np.mean(best_p[~inscope] < t))
        obj = (ins + rej) / 2
        if obj > best_obj + 1e-9:
            best_t, best_obj, best_pair = float(t), obj, (ins, rej)

    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(X), y)
    calibration = Calibration(
        features=list(FEATURES),
        mean=[float(v) for v in scaler.mean_],
        scale=[float(v) for v in scaler.scale_],
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        threshold=round(best_t, 2),
        fusion_weight=best_w,
        model_id=embedder.model_id,
        metrics={
            "questions": len(rows),
            "augmented": len(data),
            "fusion_top1_inscope": round(best_acc, 4),
            "cv_inscope_top1": round(best_pair[0], 4),
            "cv_oos_reject": round(best_pair[1], 4),
            "C": c,
        },
    )
    return calibration
