"""A linear query adapter: how members ask, mapped onto how the documents say it.

The embedding model is small and general; members describe a behaviour in their
own words ("đợi lãnh đạo nhắc mới động đậy") where the document says "không chủ
động đề xuất". Fine-tuning the whole model on a few hundred labelled pairs would
forget what it knows and weigh hundreds of megabytes. Instead one matrix ``W``
(dim × dim, starting at the identity) transforms *query* vectors only; passages
and the index are untouched, so it can be trained, replaced or switched off
without rebuilding anything.

``W`` is fitted on our own labelled questions (``eval/calibration*.jsonl`` and
``eval/train-chat.jsonl``, never the dev sets) against the unit vectors of the
index: a softmax over units with every right unit as a positive, plus a penalty
that keeps ``W`` near the identity so questions about documents it never saw
keep their meaning. ``hoidap calibrate`` trains it with the accept/refuse model
(cross-fitted, so that model never sees cosines of questions the adapter was
trained on) and stores it next to the calibration (float16, ~0.3 MB).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from bot.embed.base import Embedder
from bot.errors import ConfigError
from bot.text.normalize import canonical

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "answer" / "adapter.npz"
TEMPERATURE = 0.05
CANDIDATES = 64


def _normalized(out: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)


class QueryAdapter:
    """``v ↦ normalize(v @ W)`` for query vectors: one ``W`` for every document (``weights``), or one per
    document (``documents``: number key → ``W``) applied only where that document's units are scored.

    A single matrix learns how members ask about the documents it was trained on — and pulls questions
    about a new document towards them (measured: right answer first on unseen documents 0.77 → 0.60).
    One matrix per document, each trained against the others' messages as "none of mine", leaves a new
    document's questions where the model put them: the seed keeps what its thousand messages teach,
    and a leaflet added tomorrow is not pushed aside.
    """

    def __init__(
        self, weights: np.ndarray | None, model_id: str, documents: dict[str, np.ndarray] | None = None
    ) -> None:
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float32)
        self.documents = {k: np.asarray(w, dtype=np.float32) for k, w in (documents or {}).items()}
        self.model_id = model_id
        h = hashlib.sha1()
        if self.weights is not None:
            h.update(np.asarray(self.weights, dtype=np.float16).tobytes())
        for key in sorted(self.documents):
            h.update(key.encode())
            h.update(np.asarray(self.documents[key], dtype=np.float16).tobytes())
        self.digest = h.hexdigest()[:10]

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        if self.weights is None:
            return np.asarray(vectors, dtype=np.float32)
        return _normalized(np.asarray(vectors, dtype=np.float32) @ self.weights)

    def apply_for(self, key: str, vectors: np.ndarray) -> np.ndarray | None:
        """The vectors as the adapter of the document numbered ``key`` reads them (None: it has none)."""
        w = self.documents.get(key)
        return None if w is None else _normalized(np.asarray(vectors, dtype=np.float32) @ w)

    @classmethod
    def fit(
        cls,
        queries: np.ndarray,
        positives: Sequence[Sequence[int]],
        units: np.ndarray,
        model_id: str,
        strength: float = 0.01,
        steps: int = 120,
        seed: int = 7,
        weights: Sequence[float] | None = None,
        fixed: np.ndarray | None = None,
        fixed_right: np.ndarray | None = None,
    ) -> QueryAdapter:
        """Fit ``W`` so each query's right units score highest among ``units``.

        ``queries``: (n, dim) model vectors; ``positives[i]``: unit rows right for query i, or
        empty for a question no unit answers (out of scope): those are taught to stay below a
        learned "none of these" score, so the adapter does not pull every question towards
        the documents. ``strength``: weight of the pull towards the identity. ``weights``: of each
        query in the loss (every document's messages alike), default equal. ``fixed`` (n, m): scores
        the adapter does not change — the other documents' best units as the model scores them —
        competing in the same softmax (``fixed_right`` marks the right ones): a document's adapter
        learns to win its own questions and to leave the others' to them.
        """
        import torch

        torch.manual_seed(seed)
        dim = queries.shape[1]
        queries = np.asarray(queries, dtype=np.float32)
        units = np.asarray(units, dtype=np.float32)
        # Each query is scored against its hardest units only — the CANDIDATES the model ranks highest, plus
        # its right ones — not all of them: the same lesson (tell the right unit from its confusers) at a
        # fraction of the cost, whatever the size of the index.
        base = queries @ units.T
        k = min(CANDIDATES, len(units))
        cand = (
            np.argpartition(-base, k - 1, axis=1)[:, :k] if len(units) > k else np.tile(np.arange(k), (len(queries), 1))
        )
        extra = 0 if fixed is None else fixed.shape[1]
        mask = np.zeros((len(queries), k + extra + 1), dtype=bool)  # the last column: "none of these units"
        for i, rows in enumerate(positives):
            if rows:
                missing = [r for r in rows if r not in set(cand[i].tolist())][:k]
                if missing:  # the right units the model missed replace its weakest candidates
                    order = np.argsort(base[i, cand[i]])
                    cand[i, order[: len(missing)]] = missing
                mask[i, :k] = np.isin(cand[i], list(rows))
            if fixed_right is not None:
                mask[i, k : k + extra] = fixed_right[i]
            if not mask[i].any():
                mask[i, -1] = True
        q = torch.tensor(queries)
        p = torch.tensor(units[cand])  # (n, k, dim)
        m = torch.tensor(mask)
        f = torch.tensor(np.asarray(fixed, dtype=np.float32)) if extra else torch.zeros(len(q), 0)
        w = torch.ones(len(q)) if weights is None else torch.tensor(np.asarray(weights, dtype=np.float32))
        w = w / w.mean()
        delta = torch.zeros(dim, dim, requires_grad=True)
        none = torch.tensor(float(np.quantile(base, 0.99)), requires_grad=True)
        opt = torch.optim.Adam([delta, none], lr=2e-3)
        eye = torch.eye(dim)
        for _ in range(steps):
            z = torch.nn.functional.normalize(q @ (eye + delta), dim=1)
            sims = torch.cat([torch.einsum("nd,nkd->nk", z, p), f, none.expand(len(q), 1)], dim=1)
            logits = sims / TEMPERATURE
            right = torch.logsumexp(logits.masked_fill(~m, -1e9), dim=1)
            loss = ((torch.logsumexp(logits, dim=1) - right) * w).mean() + strength * (delta**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return cls((eye + delta).detach().numpy(), model_id)

    def save(self, path: Path) -> None:
        arrays = {f"doc__{k.replace('/', '|')}": w.astype(np.float16) for k, w in self.documents.items()}
        if self.weights is not None:
            arrays["weights"] = self.weights.astype(np.float16)
        np.savez_compressed(Path(path), model_id=np.array(self.model_id), **arrays)

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        try:
            with np.load(Path(path)) as data:
                documents = {
                    name[len("doc__") :].replace("|", "/"): data[name].astype(np.float32)
                    for name in data.files
                    if name.startswith("doc__")
                }
                weights = data["weights"].astype(np.float32) if "weights" in data.files else None
                return cls(weights, str(data["model_id"]), documents)
        except (OSError, ValueError, KeyError) as e:
            raise ConfigError(f"Không đọc được bộ chuyển đổi câu hỏi {path}: {e}") from e


class AdaptedEmbedder(Embedder):
    """An embedder whose query vectors go through a :class:`QueryAdapter`; passages are unchanged.

    With ``cache_size``, the (adapted) vectors of the last questions are kept by normalised text
    (:func:`bot.text.normalize.canonical`, what every embedder reads): members ask the same
    things in the same words, and a cached vector skips the model entirely.
    """

    def __init__(self, inner: Embedder, adapter: QueryAdapter | None, cache_size: int = 0) -> None:
        self.inner = inner
        self.adapter = adapter
        self.cache_size = cache_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:  # passages (and so the index and its cache) belong to the inner model
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        vecs = self.inner.embed_queries(texts)
        return self.adapter.apply(vecs) if self.adapter is not None else vecs

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not self.cache_size:
            return self._embed(texts)
        keys = [canonical(t) for t in texts]
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:  # every text not seen yet, in one call to the model
            found.update(zip(missing, self._embed(missing), strict=True))
            with self._lock:
                for k in missing:
                    self._cache[k] = found[k]
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return np.vstack([found[k] for k in keys]) if keys else self._embed(texts)

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self.inner.embed_passages(texts, progress)

    def ensure_loaded(self) -> None:
        if hasattr(self.inner, "ensure_loaded"):
            self.inner.ensure_loaded()
