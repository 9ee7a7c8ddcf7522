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


class QueryAdapter:
    """``v ↦ normalize(v @ W)`` for query vectors."""

    def __init__(self, weights: np.ndarray, model_id: str) -> None:
        self.weights = np.asarray(weights, dtype=np.float32)
        self.model_id = model_id
        self.digest = hashlib.sha1(np.asarray(weights, dtype=np.float16).tobytes()).hexdigest()[:10]

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        out = np.asarray(vectors, dtype=np.float32) @ self.weights
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    @classmethod
    def fit(
        cls,
        queries: np.ndarray,
        positives: Sequence[Sequence[int]],
        units: np.ndarray,
        model_id: str,
        strength: float = 0.01,
        steps: int = 200,
        seed: int = 7,
    ) -> QueryAdapter:
        """Fit ``W`` so each query's right units score highest among ``units``.

        ``queries``: (n, dim) model vectors; ``positives[i]``: unit rows right for query i, or
        empty for a question no unit answers (out of scope): those are taught to stay below a
        learned "none of these" score, so the adapter does not pull every question towards
        the documents. ``strength``: weight of the pull towards the identity.
        """
        import torch

        torch.manual_seed(seed)
        dim = queries.shape[1]
        q = torch.tensor(np.asarray(queries, dtype=np.float32))
        p = torch.tensor(np.asarray(units, dtype=np.float32))
        # One extra column: "none of these units", right for out-of-scope questions.
        mask = torch.zeros(len(q), len(p) + 1, dtype=torch.bool)
        for i, rows in enumerate(positives):
            if rows:
                mask[i, list(rows)] = True
            else:
                mask[i, -1] = True
        delta = torch.zeros(dim, dim, requires_grad=True)
        none = torch.tensor(float(np.quantile(queries @ units.T, 0.99)), requires_grad=True)
        opt = torch.optim.Adam([delta, none], lr=1e-3)
        eye = torch.eye(dim)
        for _ in range(steps):
            z = torch.nn.functional.normalize(q @ (eye + delta), dim=1)
            sims = torch.cat([z @ p.T, none.expand(len(q), 1)], dim=1)
            logits = sims / TEMPERATURE
            right = torch.logsumexp(logits.masked_fill(~mask, -1e9), dim=1)
            loss = (torch.logsumexp(logits, dim=1) - right).mean() + strength * (delta**2).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
        return cls((eye + delta).detach().numpy(), model_id)

    def save(self, path: Path) -> None:
        np.savez_compressed(Path(path), weights=self.weights.astype(np.float16), model_id=np.array(self.model_id))

    @classmethod
    def load(cls, path: Path) -> QueryAdapter:
        try:
            with np.load(Path(path)) as data:
                return cls(data["weights"].astype(np.float32), str(data["model_id"]))
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
