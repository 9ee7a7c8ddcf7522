"""The bars of scanned documents, measured end to end with the real CLI (issue 23).

A knowledge folder holding only a scan of the seed leaflet — its text laid out as an A5 PDF
(tests/corpus.py's leaflet renderer), each page printed to 200 dpi grey pixels, turned by up to 0.6°
and sprinkled with single-pixel dust — is built with ``hoidap build``; each of its 8 official questions
is asked verbatim (``hoidap ask --json``) and compared with the official answer (whitespace aside); the
formal dev set is scored with ``hoidap eval``. Also printed: word errors of the recognised text against
the official text before and after the Vietnamese corrections, and false corrections on clean typed
text (every leaflet of eval/corpus, read as if OCR had been 96% sure of each word).

Run: PYTHONPATH=. python scripts/measure_ocr.py [--dpi 300] [--dev ../shared/eval/dev.jsonl]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus import leaflet_pdf, scanned_pdf  # noqa: E402

SEED = ROOT / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"


def hoidap(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"hoidap {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def word_errors(reference: list[str], words: list[str]) -> int:
    errors = 0
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, reference, words, autojunk=False).get_opcodes():
        if op != "equal":
            errors += max(a2 - a1, b2 - b1)
    return errors


def text_errors(scan: Path, dpi: int, cache: Path) -> dict:
    """Word errors of the recognised text after the title, with and without corrections (cached OCR)."""
    import bot.documents.readers.scan as scan_reader
    from bot.documents.ocr import OcrConfig
    from bot.documents.readers import ReadOptions, read_document

    reference = SEED.read_text(encoding="utf-8").split("\n", 1)[1].split()
    options = ReadOptions(OcrConfig(dpi=dpi, cache_path=cache))

    def body(extracted) -> list[str]:
        text = extracted.text
        return text[text.index("Câu hỏi 1") :].split()

    corrected = read_document(scan, options=options)
    real = scan_reader.correct_words
    scan_reader.correct_words = lambda words, confidences=None: (list(words), [])
    try:
        raw = read_document(scan, options=options)
    finally:
        scan_reader.correct_words = real
    return {
        "raw_word_errors": word_errors(reference, body(raw)),
        "corrected_word_errors": word_errors(reference, body(corrected)),
        "corrections": [(c["before"], c["after"]) for p in corrected.ocr["pages"] for c in p["corrections"]],
        "page_confidence": [p["confidence"] for p in corrected.ocr["pages"]],
    }


def false_corrections() -> dict:
    from bot.documents.ocrfix import correct_words

    files = [SEED, *sorted((ROOT / "eval" / "corpus" / "docs").glob("*.txt"))]
    words = changed = 0
    for f in files:
        tokens = f.read_text(encoding="utf-8").split()
        words += len(tokens)
        changed += len(correct_words(tokens, [96.0] * len(tokens))[1])
    return {"clean_words": words, "false_corrections": changed}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dpi", type=int, default=300, help="OCR render resolution (HOIDAP_OCR_DPI)")
    parser.add_argument("--dev", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    args = parser.parse_args()
    from bot.documents.parser import parse_file

    official = parse_file(SEED)
    with tempfile.TemporaryDirectory(prefix="hoidap-ocr-") as tmp:
        work = Path(tmp)
        scan = scanned_pdf(leaflet_pdf(SEED, work / "seed.pdf"), work / "knowledge" / "ct46-scan.pdf")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOIDAP_KNOWLEDGE_DIR": str(work / "knowledge"),
            "HOIDAP_INDEX_DIR": str(work / "index"),
            "HOIDAP_DATA_DIR": str(work / "data"),
            "HOIDAP_DATABASE_URL": f"sqlite:///{work / 'data' / 'hoidap.db'}",
            "HOIDAP_OCR_DPI": str(args.dpi),
        }
        began = time.monotonic()
        hoidap(env, "build")
        build_seconds = time.monotonic() - began
        questions = "\n".join(p.question for p in official.pairs) + "\n"
        answers = [json.loads(line) for line in hoidap(env, "ask", "--json", "-", stdin=questions).splitlines()]
        verbatim = [
            " ".join(a["answer"].split()) == " ".join(p.answer.split())
            for p, a in zip(official.pairs, answers, strict=True)
        ]
        report = {"build_ok": True, "build_seconds": round(build_seconds, 1)}
        report["verbatim"] = f"{sum(verbatim)}/{len(verbatim)}"
        report["not_verbatim"] = [p.number for p, ok in zip(official.pairs, verbatim, strict=True) if not ok]
        if args.dev.is_file():
            report["dev"] = hoidap(env, "eval", str(args.dev)).strip().splitlines()
        report.update(text_errors(scan, args.dpi, work / "index" / "cache" / "ocr.sqlite"))
    report.update(false_corrections())
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
