"""Any sentence-transformers model is chosen by configuration: name/path, segmentation, prompts."""

import pytest

from bot.embed.factory import create_embedder
from bot.errors import ModelError
from bot.settings import Settings


def test_phobert_style_model_gets_segmented_input_without_prompts():
    settings = Settings(
        _env_file=None,
        embedder="sentence-transformers",
        model="bkai-foundation-models/vietnamese-bi-encoder",
        model_segmented=True,
        query_prompt="",
        passage_prompt="",
    )
    embedder = create_embedder(settings)
    assert embedder.segmenter is not None
    assert embedder._prepare(["Thủ trưởng cơ quan phải như thế nào?"], "") == ["Thủ_trưởng cơ_quan phải như_thế_nào ?"]


def test_model_id_changes_with_everything_that_changes_vectors(tmp_path):
    base = dict(_env_file=None, embedder="sentence-transformers", model=str(tmp_path / "m"))
    ids = {
        create_embedder(Settings(**base)).model_id,
        create_embedder(Settings(**base, query_prompt="q: ")).model_id,
        create_embedder(Settings(**base, model_segmented=True)).model_id,
        create_embedder(Settings(**{**base, "model": str(tmp_path / "other")})).model_id,
    }
    assert len(ids) == 4  # each needs its own embedding cache and index


@pytest.mark.parametrize("backend", ["onnx", "sentence-transformers"])
def test_a_missing_default_model_says_how_to_get_it(tmp_path, monkeypatch, backend):
    monkeypatch.chdir(tmp_path)  # no models/ folder here
    embedder = create_embedder(Settings(_env_file=None, embedder=backend))
    with pytest.raises(ModelError, match="hoidap setup-model"):
        embedder.embed_queries(["xin chào"])


def test_an_unreachable_hub_model_is_a_clear_error(tmp_path):
    embedder = create_embedder(
        Settings(_env_file=None, embedder="sentence-transformers", model=str(tmp_path / "no-such-model"))
    )
    with pytest.raises(ModelError, match="Không tải được mô hình"):
        embedder.embed_queries(["xin chào"])
