"""The default embedder runs the model's ONNX export (made offline at setup-model) without torch."""

import subprocess
import sys

import numpy as np
import pytest

from bot.embed.factory import create_embedder
from bot.errors import ModelError
from tests.conftest import REPO, SEED_DOC, make_settings

TEXTS = [line.strip() for line in SEED_DOC.read_text(encoding="utf-8").splitlines() if line.strip()] + [
    "người đứng đầu phải thế nào?",
    "nguoi dung dau phai the nao",
    "ad ơi ct46 nói j về tham mưu lòng vòng z",
]


@pytest.fixture(scope="module")
def int8(model_dir, tmp_path_factory):
    emb = create_embedder(make_settings(tmp_path_factory.mktemp("int8"), onnx_int8=True))
    emb.ensure_loaded()
    return emb


def test_the_default_fp32_export_gives_the_vectors_of_sentence_transformers(embedder, st_embedder):
    assert not embedder.int8
    for side in ("embed_queries", "embed_passages"):  # the longest unit is cut at 512 tokens by both
        cos = np.sum(getattr(embedder, side)(TEXTS) * getattr(st_embedder, side)(TEXTS), axis=1)
        assert cos.min() > 0.99999, (side, cos.min())


def test_the_int8_export_stays_within_a_hair_of_fp32(embedder, int8):
    for side in ("embed_queries", "embed_passages"):
        cos = np.sum(getattr(int8, side)(TEXTS) * getattr(embedder, side)(TEXTS), axis=1)
        assert cos.min() > 0.995, (side, cos.min())  # measured ≥ 0.998


def test_a_texts_vector_does_not_depend_on_the_texts_beside_it(embedder, int8):
    alone = np.vstack([int8.embed_passages([t]) for t in TEXTS])
    assert np.array_equal(alone, int8.embed_passages(TEXTS))  # int8: one text per run, always
    alone = np.vstack([embedder.embed_passages([t]) for t in TEXTS])
    assert np.allclose(alone, embedder.embed_passages(TEXTS), atol=1e-6)  # fp32 batches: float rounding only


def test_every_variant_has_its_own_model_id(embedder, int8, st_embedder, tmp_path):
    ids = {embedder.model_id, int8.model_id, st_embedder.model_id}
    assert len(ids) == 3  # each its own embedding cache, calibration and query adapter
    assert create_embedder(make_settings(tmp_path, query_prompt="q: ")).model_id != embedder.model_id


def test_a_missing_export_says_how_to_make_it(tmp_path):
    (tmp_path / "m").mkdir()
    embedder = create_embedder(make_settings(tmp_path, model=str(tmp_path / "m")))
    with pytest.raises(ModelError, match="hoidap setup-model"):
        embedder.embed_queries(["xin chào"])


def test_a_serving_process_never_imports_torch(seed_settings):
    """Answering with the ONNX backend loads neither torch nor transformers, and keeps one thread."""
    code = (
        "import sys\n"
        "from bot.service import Assistant\n"
        "from bot.threads import current\n"
        "from tests.conftest import make_settings\n"
        f"a = Assistant(make_settings(__import__('pathlib').Path({str(seed_settings.index_dir.parent)!r})))\n"
        "a.warm_up()\n"
        "assert a.ask('Người đứng đầu phải thế nào?').found\n"
        "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert current() == 1\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, timeout=300)
