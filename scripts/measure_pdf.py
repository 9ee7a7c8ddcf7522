"""Which PDF text extraction gives clean Vietnamese? pypdf (plain, layout) vs pdfplumber, measured.

Generates the test corpus's PDFs (tests/corpus.py: a Word-like PDF with every word placed on its own and
justified, running header, "Trang N" footers; a two-column fpdf2 newsletter with "- N -" page numbers) and,
for each extractor, compares the raw text with the paragraphs a reader sees:

- ``paragraphs``: share of visible paragraphs found in the extracted text (whitespace-normalised) — words
  in the right order, columns not interleaved;
- ``glued``: words of the visible text missing from the extraction's words (two words run together, or
  split in the middle);
- ``double_spaces``: runs of two or more spaces inside a line (justification leaking into the text);
- ``words_per_line``: words per extracted line (about 1 means every justified word came out on its own
  line: no paragraph can be rebuilt from that);
- ``ms``: extraction time.

The last row is the reader the project uses (pdfplumber words + bot/documents/layout.py) after paragraph
joining and header/footer removal: paragraphs recovered *exactly*, as whole units.

Run: .venv/bin/python scripts/measure_pdf.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def norm(text: str) -> str:
    return " ".join(text.split())


def pypdf_text(path: Path, mode: str) -> str:
    from pypdf import PdfReader

    reader = PdfReader(path)
    if mode == "layout":
        return "\n".join(p.extract_text(extraction_mode="layout") for p in reader.pages)
    return "\n".join(p.extract_text() for p in reader.pages)


def plumber_text(path: Path) -> str:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        return "\n".join(p.extract_text() or "" for p in pdf.pages)


def measure(text: str, visible: list[str]) -> dict:
    flat = norm(text)
    found = sum(1 for v in visible if norm(v) in flat)
    words = set(flat.split())
    expected = [w for v in visible for w in norm(v).split()]
    glued = sum(1 for w in expected if w not in words)
    doubles = sum(len(re.findall(r"\S {2,}\S", line)) for line in text.splitlines())
    lines = [line for line in text.splitlines() if line.strip()]
    per_line = round(sum(len(line.split()) for line in lines) / max(len(lines), 1), 1)
    return {
        "paragraphs": f"{found}/{len(visible)}",
        "glued": glued,
        "double_spaces": doubles,
        "words_per_line": per_line,
    }


def main() -> None:
    from bot.documents.parser import parse_file
    from bot.documents.readers import read_document
    from tests.corpus import pdf_justified, pdf_two_columns

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for make in (pdf_justified, pdf_two_columns):
            sample = make(Path(tmp))
            # The paragraphs as laid out (an answer's "Trả lời: …" once, not also without its label).
            visible = [v for v in dict.fromkeys(sample.visible) if f"Trả lời: {v}" not in sample.visible]
            for name, extract in (
                ("pypdf plain", lambda p: pypdf_text(p, "plain")),
                ("pypdf layout", lambda p: pypdf_text(p, "layout")),
                ("pdfplumber extract_text", plumber_text),
            ):
                started = time.perf_counter()
                text = extract(sample.path)
                ms = (time.perf_counter() - started) * 1000
                out.append({"file": sample.path.name, "extractor": name, **measure(text, visible), "ms": round(ms, 1)})
            started = time.perf_counter()
            extracted = read_document(sample.path)
            ms = (time.perf_counter() - started) * 1000
            blocks = {b.text for b in extracted.blocks}
            title = norm(parse_file(sample.path).meta.title)  # a title block is joined by the parser
            exact = sum(1 for v in visible if norm(v) in blocks or norm(v) == title)
            furniture = sum(1 for b in extracted.blocks for f in sample.furniture if f in b.text)
            out.append(
                {
                    "file": sample.path.name,
                    "extractor": "project reader (pdfplumber words + layout)",
                    **measure(extracted.text, visible),
                    "exact_paragraphs": f"{exact}/{len(visible)}",
                    "furniture_in_text": furniture,
                    "ms": round(ms, 1),
                }
            )
    for row in out:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
