"""CPU threads are set deliberately: one per serving process, every core while building."""

import torch

from bot.threads import cores, set_threads, threads


def test_serving_threads_are_set_and_a_build_gets_every_core_then_gives_them_back(embedder):
    embedder.ensure_loaded()  # loading the model applies HOIDAP_TORCH_THREADS (1 by default)
    assert torch.get_num_threads() == embedder.threads == 1
    with threads(0):
        assert torch.get_num_threads() == cores()
    assert torch.get_num_threads() == 1


def test_blas_and_faiss_follow(embedder):
    import faiss
    from threadpoolctl import threadpool_info

    set_threads(1)
    assert faiss.omp_get_max_threads() == 1
    assert all(pool["num_threads"] == 1 for pool in threadpool_info())
