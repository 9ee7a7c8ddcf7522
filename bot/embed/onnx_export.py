"""Export the converted sentence-transformers model to ONNX, once, offline (``hoidap setup-model``).

A serving process that only has to turn short questions into vectors should not
import torch, transformers and sentence-transformers (6–7 s, ~0.5 GB). So the
converted BertModel is exported once to ``<model>/onnx/``:

- ``model.onnx`` (+ ``model.onnx.data``): the fp32 graph (BertModel up to its last
  hidden state), weights kept as external data so onnxruntime can map them;
- ``model_qint8.onnx``: the same with int8 weights (onnxruntime's dynamic
  quantisation, per channel, MatMul and the embedding Gather, feed-forward output
  projections kept fp32): ~1.4× faster builds, ~1.6× faster questions, cosine ≈ 0.999
  to fp32. Optional (``HOIDAP_ONNX_INT8``): with its own calibration the chat holdout
  lost 0.04 inscope_top1, so fp32 stays the default.

- ``tokenizer.model``: the model's own tokenizer (``tokenizer.json``: XLM-R's unigram vocabulary
  and its precompiled normaliser) as a SentencePiece model. The ``tokenizers`` library builds a
  trie of hash maps over the 250k pieces: 290 MB and a second of start-up in every process;
  SentencePiece needs 7 MB. The export checks both give the same ids on the seed document.

Mean pooling and normalisation stay in numpy (:mod:`bot.embed.onnx_backend`), as the
sentence-transformers modules do them. ``export.json`` records what the files were
made from; the backend's ``model_id`` is derived from it, so a re-export with
another source or recipe gets its own embedding cache and calibration.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import time
from pathlib import Path

from bot.errors import ModelError

SUBDIR = "onnx"
FP32 = "model.onnx"
INT8 = "model_qint8.onnx"
TOKENIZER = "tokenizer.model"
MARKER = "export.json"
FORMAT_VERSION = 3  # 2: feed-forward output projections kept fp32; 3: tokenizer.model
OPSET = 17
# Quantised ops: the transformer's MatMuls and the 250k×384 embedding table (its Gather
# dequantises only the rows a text uses, so the table costs 96 MB instead of 384 MB).
QUANTIZED_OPS = ("MatMul", "Gather")
# ...except each layer's feed-forward output projection: its input comes out of GELU, skewed and
# long-tailed, and one uint8 scale per tensor loses it. Measured on questions and units of the
# seed document: cosine to fp32 mean 0.9965 (min 0.993) with them quantised, 0.9989 (min 0.998)
# without, for ~15% of the speed.
KEEP_FP32 = re.compile(r"/layer\.\d+/output/dense/")


def onnx_dir(model_dir: Path) -> Path:
    return Path(model_dir) / SUBDIR


def is_exported(model_dir: Path) -> bool:
    marker = onnx_dir(model_dir) / MARKER
    if not marker.is_file():
        return False
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    folder = onnx_dir(model_dir)
    return info.get("format_version") == FORMAT_VERSION and all((folder / f).is_file() for f in (FP32, INT8, TOKENIZER))


def recipe(model_dir: Path) -> dict:
    """What the export is made from and how: recorded in ``export.json``."""
    import onnxruntime
    import torch

    from bot.embed.sentence_transformer import _identity

    return {
        "format_version": FORMAT_VERSION,
        "source": _identity(str(model_dir)),
        "opset": OPSET,
        "torch": torch.__version__,
        "onnxruntime": onnxruntime.__version__,
        "quantization": {
            "method": "dynamic",
            "weight_type": "QInt8",
            "per_channel": True,
            "ops": list(QUANTIZED_OPS),
            "fp32": KEEP_FP32.pattern,
        },
    }


def export(model_dir: Path, force: bool = False) -> Path:
    """Write ``<model_dir>/onnx`` (idempotent, atomic): fp32 and int8 graphs and ``export.json``."""
    model_dir = Path(model_dir)
    target = onnx_dir(model_dir)
    if is_exported(model_dir) and not force:
        return target
    if not (model_dir / "config.json").is_file():
        raise ModelError(f"Không có mô hình để xuất ONNX tại {model_dir} (chạy: hoidap setup-model)")
    started = time.time()
    tmp = target.with_name(SUBDIR + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        _export_fp32(model_dir, tmp / "traced.onnx")
        _externalize(tmp / "traced.onnx", tmp / FP32)
        (tmp / "traced.onnx").unlink()
        _quantize(tmp / FP32, tmp / INT8)
        write_sentencepiece(model_dir / "tokenizer.json", tmp / TOKENIZER)
        info = {**recipe(model_dir), "seconds": round(time.time() - started, 2)}
        info["files"] = {f: _sha1(tmp / f) for f in (FP32, INT8)}
        (tmp / MARKER).write_text(json.dumps(info, indent=2), encoding="utf-8")
    except ModelError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"Xuất ONNX thất bại: {type(e).__name__}: {e}") from e
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _export_fp32(model_dir: Path, out: Path) -> None:
    import torch
    import transformers
    from transformers import BertModel

    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    # Eager attention: a plain MatMul/Softmax graph every onnxruntime version runs and quantises.
    bert = BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 6, 2], [0, 7, 2]], dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(bert),
            (ids, torch.ones_like(ids)),
            str(out),
            dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=OPSET,
            do_constant_folding=True,
        )


def _externalize(src: Path, out: Path) -> None:
    """Weights into one page-aligned external file that onnxruntime maps instead of copying."""
    import onnx

    model = onnx.load(str(src))
    onnx.save_model(
        model,
        str(out),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=out.name + ".data",
        size_threshold=1024,
    )


def _quantize(src: Path, out: Path) -> None:
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(src), load_external_data=False).graph
    keep = [n.name for n in graph.node if n.op_type == "MatMul" and KEEP_FP32.search(n.name)]
    if not keep:
        raise ModelError("Xuất ONNX: không thấy các lớp cần giữ fp32 (đồ thị khác dự kiến)")

    # The quantiser logs on the root logger that static pre-processing would help; it does not
    # apply to dynamic quantisation, so that warning is silenced for the duration.
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(src),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=list(QUANTIZED_OPS),
            nodes_to_exclude=keep,
        )
    finally:
        root.setLevel(level)


# Pieces that tokenizer.json matches literally in the raw text (its "added tokens"); SentencePiece
# gets them as user-defined symbols. Text containing one is left to ``tokenizers`` (see the backend).
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def write_sentencepiece(tokenizer_json: Path, out: Path) -> None:
    """``tokenizer.json`` (unigram + precompiled normaliser + metaspace) as a SentencePiece model."""
    import base64

    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf-8"))
    model = spec["model"]
    if model.get("type") != "Unigram" or model.get("byte_fallback"):
        raise ModelError("tokenizer.json không phải unigram như của XLM-R: không chuyển sang SentencePiece được")
    proto = pb.ModelProto()
    for i, (piece, score) in enumerate(model["vocab"]):
        entry = proto.pieces.add()
        entry.piece, entry.score = piece, score
        if piece in SPECIAL_PIECES and i != model["unk_id"]:
            entry.type, entry.score = pb.ModelProto.SentencePiece.USER_DEFINED, 0.0
        elif i == model["unk_id"]:
            entry.type = pb.ModelProto.SentencePiece.UNKNOWN
    trainer = proto.trainer_spec
    trainer.model_type = pb.TrainerSpec.UNIGRAM
    trainer.vocab_size = len(model["vocab"])
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = model["unk_id"], -1, -1, -1
    trainer.split_by_whitespace = True  # the Metaspace pre-tokenizer splits on spaces
    norm = proto.normalizer_spec
    steps = spec["normalizer"]["normalizers"] if spec["normalizer"]["type"] == "Sequence" else [spec["normalizer"]]
    charsmap = [n for n in steps if n["type"] == "Precompiled"]
    norm.name = "user_defined"
    norm.precompiled_charsmap = base64.b64decode(charsmap[0]["precompiled_charsmap"]) if charsmap else b""
    norm.add_dummy_prefix = norm.remove_extra_whitespaces = norm.escape_whitespaces = True
    out.write_bytes(proto.SerializeToString())
    # The same ids as tokenizer.json, or no export.
    from tokenizers import Tokenizer

    reference = Tokenizer.from_file(str(tokenizer_json))
    ours = sentencepiece.SentencePieceProcessor(model_file=str(out))
    samples = [*_SAMPLES, *sorted(Path("knowledge").glob("*.txt"))]  # the seed document, when run from the checkout
    for text in samples:
        for line in text.read_text(encoding="utf-8").splitlines() if isinstance(text, Path) else [text]:
            for prompted in (f"query: {line}", f"passage: {line}"):
                if reference.encode(prompted).ids != [0, *ours.encode(prompted), 2]:
                    raise ModelError(f"SentencePiece khác tokenizer.json ở: {prompted[:60]!r}")


_SAMPLES = (
    "Người đứng đầu cấp ủy phải là người như thế nào?",
    "nguoi dung dau phai the nao",
    "Tham mưu “lòng vòng” — đùn đẩy, né tránh!!! 46-CT/TU ngày 03/4/2024",
    "Uỷ ban  nhân dân tỉnh ① ﬁ Ａ\u00a0b 😀 中文 кириллица",
)
