#!/usr/bin/env python3
"""Validate the labelled corpus: every leaflet parses, every message points at something that exists.

usage: python3 eval/corpus/check.py [KEY ...]   (standard library only; exit 1 on any error)

Leaflet layout (``docs/<key>.txt``): line 1 is the title; ``Câu hỏi N: …`` / ``Trả lời: …`` blocks;
``(n)`` numbered items or ``- `` bullets inside an answer (not both); a table as ``a | b`` lines,
the first being the header. Messages (``<key>.jsonl``): ``{"q", "expect": [[DOC, Q, ITEM], ...], "kind"}``
where DOC is a key of ``docs.json`` (``"46"`` is the seed), Q = 0 the title block (metadata),
ITEM the ``(n)`` number, the 1-based bullet or table-row position, or null for the whole answer.
"""

import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = {
    "formal", "colloquial", "no-diacritics", "telex-typo", "abbreviation", "long-rambling",
    "item-in-own-words", "list-request", "cross-doc-confuser", "metadata", "out-of-scope-near",
    "out-of-scope-far", "greeting-or-chitchat",
}
OOS = {"out-of-scope-near", "out-of-scope-far", "greeting-or-chitchat"}
errors: list[str] = []


def parse(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()
    struct = {0: {"items": 0}}
    cur = None
    for ln, line in enumerate(lines[1:], start=2):
        line = line.strip()
        if not line:
            continue
        m = re.match(r"^Câu hỏi (\d+):\s*\S", line)
        if m:
            cur = int(m.group(1))
            if cur != len(struct):
                errors.append(f"{path.name}:{ln}: Câu hỏi {cur} out of sequence")
            struct[cur] = {"items": [], "bullets": 0, "rows": -1, "answer": False}
            continue
        if cur is None:
            continue  # title continuation lines
        if line.startswith("Trả lời:"):
            struct[cur]["answer"] = True
            continue
        m = re.match(r"^\((\d+)\)\s+\S", line)
        if m:
            struct[cur]["items"].append(int(m.group(1)))
        elif line.startswith("- "):
            struct[cur]["bullets"] += 1
        elif " | " in line:
            struct[cur]["rows"] += 1
    for q, s in struct.items():
        if q == 0:
            continue
        if not s["answer"]:
            errors.append(f"{path.name}: Câu hỏi {q} has no 'Trả lời:'")
        if s["items"] and s["items"] != list(range(1, len(s["items"]) + 1)):
            errors.append(f"{path.name}: Câu hỏi {q} items not numbered 1..n")
        if s["items"] and s["bullets"]:
            errors.append(f"{path.name}: Câu hỏi {q} mixes (n) items and bullets")
    return struct


def plain_ascii(text: str) -> bool:
    return all(ord(ch) < 128 for ch in unicodedata.normalize("NFC", text))


def main() -> int:
    registry = json.loads((HERE / "docs.json").read_text(encoding="utf-8"))
    corpus = {key: parse(HERE / "docs" / f"{key}.txt") for key in registry if (HERE / "docs" / f"{key}.txt").exists()}
    seed = HERE.parents[1] / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"
    corpus["46"] = parse(seed)
    keys = sys.argv[1:] or sorted(k for k in registry)
    seen: set[str] = set()
    for key in keys:
        path = HERE / f"{key}.jsonl"
        if not path.exists():
            errors.append(f"missing {path.name}")
            continue
        kinds: Counter = Counter()
        for ln, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except json.JSONDecodeError as e:
                errors.append(f"{path.name}:{ln}: invalid JSON ({e})")
                continue
            if set(row) != {"q", "expect", "kind"}:
                errors.append(f"{path.name}:{ln}: keys must be q, expect, kind")
                continue
            q, expect, kind = row["q"], row["expect"], row["kind"]
            kinds[kind] += 1
            norm = " ".join(q.lower().split())
            if norm in seen:
                errors.append(f"{path.name}:{ln}: duplicate message")
            seen.add(norm)
            if kind not in KINDS:
                errors.append(f"{path.name}:{ln}: unknown kind {kind}")
            if (kind in OOS) != (expect == []):
                errors.append(f"{path.name}:{ln}: out-of-scope kinds, and only they, have expect []")
            if kind == "no-diacritics" and not plain_ascii(q):
                errors.append(f"{path.name}:{ln}: no-diacritics message has diacritics")
            for entry in expect:
                if not (isinstance(entry, list) and len(entry) == 3):
                    errors.append(f"{path.name}:{ln}: expect entries are [DOC, Q, ITEM]")
                    continue
                doc, number, item = entry
                if doc not in corpus:
                    errors.append(f"{path.name}:{ln}: unknown document {doc}")
                    continue
                if number not in corpus[doc]:
                    errors.append(f"{path.name}:{ln}: {doc} has no Câu hỏi {number}")
                    continue
                if kind == "metadata" and number != 0:
                    errors.append(f"{path.name}:{ln}: metadata rows point at Q 0")
                if item is not None:
                    s = corpus[doc][number]
                    n = len(s["items"]) or s["bullets"] or max(s["rows"], 0)
                    if not 1 <= item <= n:
                        errors.append(f"{path.name}:{ln}: {doc} Câu hỏi {number} has no item {item}")
                    if s["bullets"] and [doc, number, None] not in expect:
                        errors.append(f"{path.name}:{ln}: a bullet row also lists the whole answer")
        print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    for e in errors:
        print("ERROR", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
