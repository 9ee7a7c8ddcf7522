"""How many CPU threads the numeric libraries may use.

Left alone, torch, the BLAS under numpy and FAISS's OpenMP each start one thread per
core in every process. Several serving processes on one machine then fight over the
same cores (measured: 4 ``ask`` processes answered 240 questions in 95.6 s with the
defaults, 31.2 s with one thread each). A serving process answers one short question
at a time, so it gets ``HOIDAP_TORCH_THREADS`` (default 1); a build embeds thousands of
units and gets ``HOIDAP_BUILD_THREADS`` (default: every core) for its duration.

The count is kept here (:func:`current`) for the parts that parallelise themselves (the
ONNX embedder runs texts side by side); torch is only told when something already
imported it: importing it just to set its threads would cost a second and 250 MB.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

log = logging.getLogger(__name__)

_current: int | None = None


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_threads(n: int) -> int:
    """Limit torch (when loaded), BLAS/OpenMP (threadpoolctl) and FAISS to ``n`` threads (0 = every core)."""
    global _current
    n = n or cores()
    _current = n
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)
    try:
        import faiss

        faiss.omp_set_num_threads(n)
    except ImportError:  # pragma: no cover
        pass
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n)
    except ImportError:  # pragma: no cover - comes with scikit-learn
        pass
    return n


def current() -> int:
    """Threads the numeric work of this process may use now."""
    if _current is not None:
        return _current
    torch = sys.modules.get("torch")
    return torch.get_num_threads() if torch is not None else cores()


@contextmanager
def threads(n: int):
    """``with threads(0): …`` — every core for a build, then back to what the process had."""
    before = current()
    set_threads(n)
    try:
        yield
    finally:
        set_threads(before)
