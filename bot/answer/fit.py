"""Fit the query adapter and the accept/refuse calibration (``hoidap calibrate``).

The labelled set is augmented the way members actually type: every question also
without diacritics, and with one slipped letter. Then, on 5 folds split by
original question (a question's copies stay together):

1. the query adapter (:mod:`bot.embed.adapter`) is *cross-fitted*: the questions of
   fold k are retrieved with an adapter trained without them (its strength is the
   one ranking most right answers first on those unseen questions);
2. the fusion weight is the one ranking most in-scope questions' right answer first;
3. a logistic regression (standardized features, regularisation by cross-validated
   log-loss) learns P(answer is right) on each of the top :data:`RERANK` answers;
   the answerer keeps the most probable;
4. on those cross-validated probabilities: the accept threshold (a wrong quote costs
   :data:`WRONG_COST` refusals), the "Có phải bạn muốn hỏi…?" threshold below it (right
   at least :data:`CONFIRM_PRECISION` of the time), and the margin past which one
   item is quoted rather than the whole answer.

Finally the adapter is trained on everything. Nothing here ever sees the dev sets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.answer.calibration import RERANK, Calibration
from bot.answer.features import FEATURES, features
from bot.answer.retrieval import Retriever, item_margin
from bot.documents.metadata import number_key
from bot.embed.adapter import AdaptedEmbedder, QueryAdapter
from bot.embed.base import Embedder
from bot.evaluate import targets
from bot.index.version import IndexVersion
from bot.segment.base import Segmenter
from bot.text.normalize import fold, has_diacritics

FUSION_GRID = (0.05, 0.1, 0.2)
FOLDS = 5
ADAPTER_STRENGTHS = (0.01, 0.03)
C_GRID = (0.5, 2.0)
WRONG_COST = 2.0
WHOLE_VALUE = 0.7
LINK_PRECISION = 0.98
OOS_PRECISION = 0.98
CONFIRM_PRECISION = 0.5
ADAPTER_TOLERANCE = 0.005
# A document gets its own adapter once this many of its messages are labelled (ours: the seed's).
MIN_ADAPTER_MESSAGES = 200
OTHER_UNITS = 16  # the other documents' units competing in a document adapter's lesson, per question


class MemoEmbedder(Embedder):
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
    """Each row, plus an unaccented copy and a copy with one slipped letter; ``src`` names the original."""
    rng = random.Random(seed)
    out = []
    for i, row in enumerate(rows):
        out.append({**row, "src": i})
        if has_diacritics(row["q"]):
            out.append({**row, "q": fold(row["q"]), "aug": "unaccented", "src": i})
        variant = typo(row["q"], rng)
        if variant != row["q"]:
            out.append({**row, "q": variant, "aug": "typo", "src": i})
    return out


def _label(row: dict, retriever: Retriever | None, hit) -> int:
    """1 when ``hit`` is an answer ``row`` accepts (its document and question)."""
    if hit is None:
        return 0
    group = hit.group
    return int(
        any(
            number == group.question_number and (doc is None or doc == group.doc_id)
            for doc, number, _ in targets(row)
            if number
        )
    )


def _positives(row: dict, version: IndexVersion) -> list[int]:
    """Unit positions a labelled question should meet: its item, or the official question and answer."""
    out: list[int] = []
    for doc, number, item in targets(row):
        for group in version.groups:
            if group.question_number != number or (doc is not None and group.doc_id != doc):
                continue
            units = [(p, version.units[p]) for p in group.positions]
            items = [p for p, u in units if item is not None and u.kind in ("item", "item_head") and u.item == item]
            out += items or [p for p, u in units if u.kind in ("question", "question_core", "answer")]
    return out


def _fittable(row: dict) -> bool:
    """Out of scope, or expecting an official answer; a question about the document itself (Q 0) is
    answered from its title, not by retrieval, so it neither fits nor judges the retrieval model."""
    wanted = targets(row)
    return not wanted or any(number for _, number, _ in wanted)


def _adapted_documents(data: list[dict], version: IndexVersion) -> list[str]:
    """Documents with enough labelled messages for an adapter of their own."""
    counts: dict[str, int] = {}
    for r in data:
        if r.get("expect") and not r.get("aug"):
            counts[str(r.get("owner"))] = counts.get(str(r.get("owner")), 0) + 1
    return [d for d, n in counts.items() if n >= MIN_ADAPTER_MESSAGES and d in version.documents]


def _weights(data: list[dict]) -> np.ndarray:
    """Every owner (the leaflet a message was written about) weighs alike, whatever its number of
    messages: the seed's thousand must not teach that "in scope" means "about the seed"."""
    owners = [r.get("owner") for r in data]
    counts: dict = {}
    for o in owners:
        counts[o] = counts.get(o, 0) + 1
    w = np.array([1.0 / counts[o] for o in owners])
    return w * len(w) / w.sum()


def _adapter_texts(query) -> list[str]:
    return list(dict.fromkeys(t for t in (query.dense_full, query.dense_focus) if t))


def _target(row: dict) -> tuple | None:
    wanted = targets(row)
    return wanted[0] if wanted else None


def _phrase_thresholds(data, queries, folds, adapters, memo) -> tuple[float, float, dict]:
    """How close a message must be to a phrasing an admin linked (or marked out of scope) for that
    phrasing to decide the answer, measured on our labelled questions.

    Each question of fold k plays a new message; every question of the other folds plays a linked
    phrasing (in scope, with its label) or an out-of-scope mark, all embedded with fold k's adapter
    (trained on those other folds, as the live adapter is trained on what admins linked). Pairs are
    judged one by one, so the thresholds hold however few links there are: ``phrase_link`` is the
    lowest cosine at which a message and a linked phrasing have the same answer at least
    LINK_PRECISION of the time; ``phrase_oos`` the lowest at which a message close to a mark is out
    of scope at least OOS_PRECISION of the time.
    """
    base_full = memo.embed_queries([q.dense_full for q in queries])
    base_focus = memo.embed_queries([q.dense_focus for q in queries])
    targets = [_target(r) for r in data]
    inscope = np.array([t is not None for t in targets])
    codes = {t: i for i, t in enumerate(dict.fromkeys(t for t in targets if t is not None))}
    code = np.array([codes[t] if t is not None else -1 for t in targets])
    link_sims, link_same, oos_sims, oos_out = [], [], [], []
    for k, adapter in enumerate(adapters):
        full = adapter.apply(base_full) if adapter else base_full
        focus = adapter.apply(base_focus) if adapter else base_focus
        mine, others = np.flatnonzero(folds == k), np.flatnonzero(folds != k)
        sims = np.maximum.reduce([a[mine] @ b[others].T for a in (full, focus) for b in (full, focus)])
        to_links = sims[:, inscope[others]]
        same = (code[mine][:, None] == code[others][inscope[others]][None, :]) & inscope[mine][:, None]
        link_sims.append(to_links.ravel())
        link_same.append(same.ravel())
        to_marks = sims[:, ~inscope[others]]
        oos_sims.append(to_marks.ravel())
        oos_out.append(np.repeat(~inscope[mine], to_marks.shape[1]))
    link_sims, link_same = np.concatenate(link_sims), np.concatenate(link_same)
    oos_sims, oos_out = np.concatenate(oos_sims), np.concatenate(oos_out)

    def lowest(sims: np.ndarray, good: np.ndarray, precision: float) -> float:
        order = np.argsort(-sims)
        hits = np.cumsum(good[order]) / np.arange(1, len(order) + 1)
        measured = np.arange(1, len(order) + 1) >= 20  # precision over fewer pairs is not measured
        ok = np.flatnonzero((hits >= precision) & measured)
        if not len(ok):
            return 1.0
        # The longest run from the top that stays precise enough (not a lucky dip further down). The
        # very top pairs do not end the run: the same generic message ("văn bản này ban hành ngày
        # nào?") is written about several leaflets, with as many different answers, at cosine 1.
        stop = np.flatnonzero((hits < precision) & measured)
        last = ok[-1] if not len(stop) else min(ok[-1], max(stop[0] - 1, 0))
        return float(max(sims[order[last]], 0.5))

    link_t = lowest(link_sims, link_same, LINK_PRECISION)
    oos_t = lowest(oos_sims, oos_out, OOS_PRECISION)
    stats = {
        "phrase_link_pairs_above": int((link_sims >= link_t).sum()),
        "phrase_oos_pairs_above": int((oos_sims >= oos_t).sum()),
    }
    return link_t, oos_t, stats


def fit_calibration(
    version: IndexVersion,
    embedder: Embedder,
    segmenter: Segmenter,
    rows: Sequence[dict],
    train_rows: Sequence[dict] = (),
    c: float = 0.5,
    seed: int = 7,
    adapt: bool = True,
    progress: Callable[[str], None] | None = None,
    report: list | None = None,
    quick: bool = False,
    dump: Path | None = None,
    views: dict | None = None,
    adapter_strength: float | None = None,
) -> tuple[Calibration, QueryAdapter | None]:
    """Fit on ``rows`` (augmented) against the given index version.

    ``train_rows``: further in-scope questions used only to train the query adapter.
    ``quick``: one adapter strength, fusion weight and regularisation (the middle of each grid),
    for checks that need a fit in seconds rather than minutes.
    Returns the calibration and the adapter (None when ``adapt`` is false).
    """
    strengths = ADAPTER_STRENGTHS[:1] if quick else ADAPTER_STRENGTHS
    if adapter_strength is not None:  # chosen by the caller: kept whatever it does to unseen documents
        strengths = (adapter_strength,)
    fusion_grid = (0.1,) if quick else FUSION_GRID
    c_grid = (c,) if quick else C_GRID
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    say = progress or (lambda _msg: None)
    data = augment([r for r in rows if _fittable(r)], seed)
    extra = [r for r in augment(train_rows, seed + 1) if r.get("expect") and _fittable(r)]
    memo = embedder if isinstance(embedder, MemoEmbedder) else MemoEmbedder(embedder)
    probe = Retriever(version, memo, segmenter, 0.0)
    say(f"Chuẩn hóa {len(data) + len(extra)} câu hỏi")
    queries = [probe.query(r["q"]) for r in data]  # normalised once, whatever the weights
    extra_queries = [probe.query(r["q"]) for r in extra]
    # Folds: with messages about several documents, whole documents are held out together, so the
    # judgements below (and the thresholds chosen on them) are those of a document the fit never saw;
    # with one document, a question's copies stay together.
    owners = sorted({str(r.get("owner")) for r in data})
    by_document = len(owners) >= FOLDS
    group_of = {o: i for i, o in enumerate(owners)}
    src = np.asarray([group_of[str(r.get("owner"))] if by_document else r["src"] for r in data])
    folds = np.zeros(len(data), dtype=int)
    for k, (_, test) in enumerate(GroupKFold(FOLDS, shuffle=True, random_state=seed).split(src, src, src)):
        folds[test] = k
    fold_of_owner = {str(data[i].get("owner")): int(folds[i]) for i in range(len(data))} if by_document else {}
    extra_folds = np.array([fold_of_owner.get(str(r.get("owner")), -1) for r in extra], dtype=int)
    weight = _weights(data)
    extra_weight = _weights(data + extra)[len(data) :] if extra else np.zeros(0)
    data_weight_for_adapter = _weights(data + extra)[: len(data)]
    units = np.vstack([version.vectors.vector(i) for i in range(len(version.units))]).astype(np.float32)

    def train_adapter(strength: float, exclude: int | None, left_out: np.ndarray | None = None) -> QueryAdapter | None:
        """One adapter per document with enough messages to learn from (bot.embed.adapter): its messages
        are taught to meet its units, every other message — about another document, or out of scope —
        to stay below its "none of these"."""
        texts, positives, weights = [], [], []
        pairs = [
            (r, q, data_weight_for_adapter[i])
            for i, (r, q) in enumerate(zip(data, queries, strict=True))
            if folds[i] != exclude and (left_out is None or not left_out[i])
        ]
        pairs += [
            (r, q, extra_weight[i])
            for i, (r, q) in enumerate(zip(extra, extra_queries, strict=True))
            if exclude is None or extra_folds[i] != exclude
        ]
        seen: set[str] = set()
        for r, q, w in pairs:
            pos = _positives(r, version)
            if pos or not r.get("expect"):
                for t in _adapter_texts(q):
                    if t in seen:  # a mistyped copy the normaliser already mended: taught once
                        continue
                    seen.add(t)
                    texts.append(t)
                    positives.append(pos)
                    weights.append(w)
        if not texts:
            return None
        vectors = memo.embed_queries(texts)
        unit_doc = np.array([version.units[p].doc_id for p in range(len(version.units))])
        documents = {}
        for doc_id, meta in version.documents.items():
            mine = np.flatnonzero(unit_doc == doc_id)
            local = {int(p): j for j, p in enumerate(mine)}
            own = [[local[p] for p in pos if p in local] for pos in positives]
            if not meta.number or sum(1 for o in own if o) < MIN_ADAPTER_MESSAGES:
                continue
            # The other documents' units compete as the model scores them, unchanged: their best few per
            # question, and the right ones among them for questions about them.
            others = np.flatnonzero(unit_doc != doc_id)
            if len(others):
                raw = vectors @ units[others].T
                m = min(OTHER_UNITS, len(others))
                top = np.argpartition(-raw, m - 1, axis=1)[:, :m]
                fixed = np.take_along_axis(raw, top, axis=1)
                right = np.array([np.isin(others[top[i]], pos) for i, pos in enumerate(positives)])
            else:
                fixed = right = None
            fitted = QueryAdapter.fit(
                vectors,
                own,
                units[mine],
                embedder.model_id,
                strength,
                seed=seed,
                weights=weights,
                fixed=fixed,
                fixed_right=right,
            )
            documents[number_key(meta.number)] = fitted.weights
        return QueryAdapter(None, embedder.model_id, documents) if documents else None

    # 1. The adapter, cross-fitted: the questions of fold k are answered with an adapter trained
    #    without them, so everything measured below is measured on unseen questions.
    def fold_retrievers(adapters: list[QueryAdapter | None], weight: float) -> list[Retriever]:
        return [Retriever(version, AdaptedEmbedder(memo, a), segmenter, weight) for a in adapters]

    def ranked_right(retrievers: list[Retriever]) -> float:
        inscope = [i for i, r in enumerate(data) if r.get("expect")]
        right = 0.0
        for i in inscope:
            ret = retrievers[folds[i]].retrieve(queries[i])
            right += weight[i] * _label(data[i], None, ret.hits[0] if ret.hits else None)
        return right / max(float(weight[inscope].sum()), 1e-9)

    adapters: list[QueryAdapter | None] = [None] * FOLDS
    strength = None
    adapter_scores: dict[str, float] = {}
    if adapt:
        # No adapter is a candidate too. An adapter teaches how members ask about the documents it was
        # trained on; judged here on documents it never saw (the folds), it is kept unless it ranks their
        # questions worse than no adapter by more than ADAPTER_TOLERANCE.
        # Of the adapters that pass, the one pulled least towards the identity: it learns the most from
        # the messages of the documents it knows.
        none_acc = ranked_right(fold_retrievers(adapters, 0.1))
        adapter_scores["none"] = round(none_acc, 4)
        for s in sorted(strengths):
            say(f"Huấn luyện bộ chuyển đổi câu hỏi (độ bám {s})")
            candidate = [train_adapter(s, k) for k in range(FOLDS)]
            acc = ranked_right(fold_retrievers(candidate, 0.1))
            adapter_scores[str(s)] = round(acc, 4)
            if acc >= none_acc - ADAPTER_TOLERANCE or adapter_strength is not None:
                strength, adapters = s, candidate
                break

    # 2. The fusion weight ranking most in-scope questions' right answer first.
    say("Chọn trọng số BM25")
    best_w, best_acc = fusion_grid[0], -1.0
    for w in fusion_grid:
        acc = ranked_right(fold_retrievers(adapters, w))
        if acc > best_acc + 1e-9:
            best_w, best_acc = w, acc

    say("Ngưỡng cho các cách hỏi đã liên kết")
    phrase_link, phrase_oos, phrase_stats = _phrase_thresholds(data, queries, folds, adapters, memo)

    say("Tính đặc trưng và hiệu chỉnh")
    # Each message is judged against the whole index and — when ``views`` gives one — against an index
    # of its own document alone: the model must hold with one leaflet loaded (a fresh install) as with
    # many, and margins or a question's cosine to the corpus at large differ between the two. A message
    # that expects a document absent from a view is out of scope there, as it would be for members.
    cases: list[tuple[int, IndexVersion, list[Retriever], object]] = []
    retrievers = fold_retrievers(adapters, best_w)
    cases += [(i, version, retrievers, q) for i, q in enumerate(queries)]
    for owner, view in (views or {}).items():
        mine = [i for i, r in enumerate(data) if str(r.get("owner")) == str(owner)]
        if not mine:
            continue
        view_retrievers = [Retriever(view, AdaptedEmbedder(memo, a), segmenter, best_w) for a in adapters]
        probe_view = Retriever(view, memo, segmenter, best_w)
        cases += [(i, view, view_retrievers, probe_view.query(data[i]["q"])) for i in mine]
    # A document with its own adapter (the seed: its messages are many) is, for members, a *known*
    # document: its questions are scored through that adapter. That regime is judged too — each of its
    # messages with an adapter trained without that message (folds by question) — so the model knows
    # what adapted scores mean; ``case_folds`` keeps those cases in their own folds.
    case_folds = [int(folds[i]) for i, _, _, _ in cases]
    if adapt and strength is not None:
        owned = np.array([str(r.get("owner")) for r in data])
        for doc_id in _adapted_documents(data, version):
            mine = np.flatnonzero(owned == doc_id)
            inner = np.zeros(len(data), dtype=int) - 1
            groups = src[mine] if not by_document else np.asarray([r["src"] for r in data])[mine]
            for j, (_, test) in enumerate(GroupKFold(FOLDS, shuffle=True, random_state=seed).split(mine, mine, groups)):
                inner[mine[test]] = j
            say(f"Bộ chuyển đổi riêng của {doc_id}: {FOLDS} lượt")
            for j in range(FOLDS):
                held = inner == j
                known = train_adapter(strength, None, left_out=held)
                retr = Retriever(version, AdaptedEmbedder(memo, known), segmenter, best_w)
                cases += [(i, version, [retr] * FOLDS, queries[i]) for i in np.flatnonzero(held)]
                case_folds += [j] * int(held.sum())
    X, y, qid, inscope = [], [], [], []
    case_row = np.asarray([i for i, _, _, _ in cases])
    item_records: list[tuple[float, bool, float]] = []  # (margin of the best item, right item?, weight)
    for case, (i, view, fold_retrievers_of_view, q) in enumerate(cases):
        r = data[i]
        retriever = fold_retrievers_of_view[folds[i]]
        ret = retriever.retrieve(q)
        if view is version and ret.hits and _label(r, retriever, ret.hits[0]) and not q.wants_list:
            position, margin = item_margin(ret.hits[0], version)
            if position is not None:
                top = ret.hits[0].group
                wanted = {
                    item
                    for doc, number, item in targets(r)
                    if number == top.question_number and doc in (None, top.doc_id)
                }
                item_records.append((margin, version.units[position].item in wanted, weight[i]))
        for rank, hit in enumerate(ret.hits[:RERANK]):
            X.append(features(ret, retriever, rank))
            y.append(_label(r, retriever, hit))
            qid.append(case)
        inscope.append(any(doc is None or doc in view.documents for doc, number, _ in targets(r) if number))
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    qid = np.asarray(qid)
    inscope = np.asarray(inscope)
    case_weight = weight[case_row]
    case_fold = np.asarray(case_folds)
    row_fold = case_fold[qid]
    row_weight = case_weight[qid]
    if dump is not None:  # the judged features, for studying the accept/refuse model offline
        np.savez_compressed(
            dump,
            X=X,
            y=y,
            qid=qid,
            fold=row_fold,
            weight=row_weight,
            inscope=inscope,
            owner=np.array([str(data[i].get("owner")) for i in case_row]),
            kind=np.array([str(data[i].get("kind")) for i in case_row]),
            q=np.array([data[i]["q"] for i in case_row]),
            view=np.array([len(view.documents) for _, view, _, _ in cases]),
            features=np.array(FEATURES),
        )

    # 3. Cross-validated probabilities choose the thresholds on questions the model did not see
    #    (same folds: a question's unaccented and mistyped copies stay together).
    def cross_validated(c_value: float) -> np.ndarray:
        out = np.zeros(len(y))
        for k in range(FOLDS):
            train, test = row_fold != k, row_fold == k
            scaler = StandardScaler().fit(X[train])
            model = LogisticRegression(C=c_value, max_iter=5000).fit(
                scaler.transform(X[train]), y[train], sample_weight=row_weight[train]
            )
            out[test] = model.predict_proba(scaler.transform(X[test]))[:, 1]
        out[X[:, FEATURES.index("foreign_reference")] > 0] = 0.0  # as Calibration.probability does
        return out

    # Regularisation chosen by cross-validated log-loss (rare, decisive evidence such as a named
    # document we do not have needs a weak enough prior to count).
    best_loss = np.inf
    for c_value in c_grid:
        p_cv = np.clip(cross_validated(c_value), 1e-6, 1 - 1e-6)
        loss = float(-np.average(y * np.log(p_cv) + (1 - y) * np.log(1 - p_cv), weights=row_weight))
        if loss < best_loss - 1e-9:
            best_loss, c, cv_p = loss, c_value, p_cv
    best_p = np.zeros(len(cases))
    best_y = np.zeros(len(cases))
    for case in range(len(cases)):
        rows_c = np.flatnonzero(qid == case)
        if len(rows_c):
            j = rows_c[np.argmax(cv_p[rows_c])]
            best_p[case], best_y[case] = cv_p[j], y[j]
            if report is not None:  # cross-validated judgement of every question, for diagnostics
                report.append(
                    {"row": data[case_row[case]], "p": float(cv_p[j]), "right": int(y[j]), "x": X[j].tolist()}
                )
    weight = case_weight  # the thresholds below weigh judged cases
    # Accepting a wrong answer (a wrong quote, or any quote for an out-of-scope question) costs
    # WRONG_COST times what a refusal of an answerable question costs.
    best_t, best_obj, best_pair = 0.5, -np.inf, (0.0, 0.0)
    n = float(weight.sum())
    for t in np.arange(0.2, 0.96, 0.01):
        accepted = best_p >= t
        right = float(np.sum(weight * (accepted & (best_y == 1))))
        wrong = float(np.sum(weight * (accepted & (best_y == 0))))
        obj = (right - WRONG_COST * wrong) / n
        if obj > best_obj + 1e-9:
            ins = float(np.average(accepted[inscope] & (best_y[inscope] == 1), weights=weight[inscope]))
            rej = float(np.average(~accepted[~inscope], weights=weight[~inscope])) if (~inscope).any() else 1.0
            best_t, best_obj, best_pair = float(t), obj, (ins, rej)
    # Below the threshold, "Có phải bạn muốn hỏi…?" is offered over the widest band whose offers are
    # right (the right official question first) at least CONFIRM_PRECISION of the time.
    confirm_t = best_t
    for t in np.arange(best_t - 0.01, 0.04, -0.01):
        band = (best_p >= t) & (best_p < best_t)
        if band.sum() and float(np.average(best_y[band] == 1, weights=weight[band])) >= CONFIRM_PRECISION:
            confirm_t = float(t)
    in_band = (best_p >= confirm_t) & (best_p < best_t)
    # One item is quoted alone only past the margin where that beats quoting the whole answer:
    # the right item is worth 1, the whole answer (right, but long) WHOLE_VALUE, a wrong item 0.
    best_m, best_value = 0.0, -1.0
    for m in np.arange(0.0, 0.101, 0.005):
        value = sum(w * ((1.0 if right else 0.0) if margin >= m else WHOLE_VALUE) for margin, right, w in item_records)
        if value > best_value + 1e-9:
            best_m, best_value = float(m), value

    scaler = StandardScaler().fit(X)
    model = LogisticRegression(C=c, max_iter=5000).fit(scaler.transform(X), y, sample_weight=row_weight)
    adapter = None
    if adapt and strength is not None:
        say("Huấn luyện bộ chuyển đổi câu hỏi trên toàn bộ dữ liệu")
        adapter = train_adapter(strength, None)
    calibration = Calibration(
        features=list(FEATURES),
        mean=[float(v) for v in scaler.mean_],
        scale=[float(v) for v in scaler.scale_],
        coef=[float(v) for v in model.coef_[0]],
        intercept=float(model.intercept_[0]),
        threshold=round(best_t, 2),
        confirm_threshold=round(confirm_t, 2),
        item_margin=round(best_m, 3),
        phrase_link=round(phrase_link, 3),
        phrase_oos=round(phrase_oos, 3),
        fusion_weight=best_w,
        model_id=embedder.model_id,
        metrics={
            "questions": len(rows),
            "augmented": len(data),
            "fusion_top1_inscope": round(best_acc, 4),
            "cv_inscope_top1": round(best_pair[0], 4),
            "cv_oos_reject": round(best_pair[1], 4),
            "cv_confirm_band": int(in_band.sum()),
            "cv_confirm_right": int(np.sum(in_band & (best_y == 1))),
            "cv_item_quotes": sum(1 for m, _, _ in item_records if m >= best_m),
            "cv_item_quotes_right": sum(1 for m, right, _ in item_records if m >= best_m and right),
            "folds_by_document": by_document,
            "documents": len(owners),
            "C": c,
            "adapter_strength": strength,
            "adapter_ranked_right": adapter_scores,
            **phrase_stats,
            "adapter_training_questions": len(extra),
        },
        adapter=adapter.digest if adapter is not None else "",
    )
    return calibration, adapter
