"""Our labelled corpus: the leaflets and the members' messages that fit and measure answering.

Two kinds of data live under ``eval/``:

- the seed's sets (``calibration*.jsonl``, ``train-chat.jsonl``, ``holdout*.jsonl``), written when
  Chỉ thị 46 was the only document: ``expect`` is ``[[question, item], …]``;
- ``eval/corpus/``: more leaflets of other issuers and types on overlapping themes (``docs/<key>.txt``,
  rendered as .docx or .pdf where ``docs.json`` says so), each with its own messages (``<key>.jsonl``:
  ``expect`` is ``[[key, question, item], …]``, question 0 = the document itself) and follow-ups.

Every message has an *owner*: the leaflet it was written about. Fitting groups its folds by owner
and weighs every owner alike, so what the thresholds learn is how a document the fit never saw is
answered (see :mod:`bot.answer.fit`); ``scripts/lodo.py`` measures exactly that, one document left
out at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from bot.documents.metadata import number_key
from bot.evaluate import load_rows

REPO = Path(__file__).resolve().parents[2]
EVAL = REPO / "eval"
CORPUS = EVAL / "corpus"
SEED_KEY = "46"
SEED_FILE = REPO / "knowledge" / "chi-thi-46-CT-TU-hoi-dap.txt"
SEED_NUMBER = "46-CT/TU"
# The seed's sets: fitted (calibration: adapter and accept/refuse; train: adapter only) and held out.
SEED_CALIBRATION = ("calibration.jsonl", "calibration-chat.jsonl")
SEED_TRAINING = ("train-chat.jsonl",)
SEED_HELD_OUT = ("holdout.jsonl", "holdout-chat.jsonl", "holdout-hard.jsonl")


@dataclass(frozen=True)
class Leaflet:
    key: str  # "nq09"
    number: str  # "09-NQ/TU"
    source: Path  # the reference text (plain layout)
    format: str = "txt"  # what admins would upload: txt, docx or pdf


@dataclass
class Corpus:
    leaflets: dict[str, Leaflet]
    rows: list[dict]  # fitted: {"q", "expect": [[key, Q, item]], "owner", "kind"}
    training: list[dict] = field(default_factory=list)  # in-scope, for the adapter only
    followups: list[dict] = field(default_factory=list)  # {"turns": [a, b], "expect", "owner"}

    def owned_by(self, key: str) -> list[dict]:
        return [r for r in self.rows if r["owner"] == key]

    def without(self, key: str) -> Corpus:
        """The corpus as if ``key`` had never been written: its leaflet, its messages, and any message
        that expects it (a confuser written for another leaflet) are gone."""

        def free(row: dict) -> bool:
            return row["owner"] != key and all(e[0] != key for e in row.get("expect") or [])

        return Corpus(
            {k: v for k, v in self.leaflets.items() if k != key},
            [r for r in self.rows if free(r)],
            [r for r in self.training if free(r)],
            [r for r in self.followups if free(r)],
        )


def _seed_rows(name: str) -> list[dict]:
    path = EVAL / name
    if not path.is_file():
        return []
    out = []
    for row in load_rows(path):
        expect = [[SEED_KEY, e[0], e[1] if len(e) > 1 else None] for e in row.get("expect") or []]
        out.append({**row, "expect": expect, "owner": SEED_KEY, "kind": row.get("cat", "")})
    return out


def load_corpus(root: Path = CORPUS, seed: bool = True) -> Corpus:
    """The leaflets and messages of ``root`` (and the seed's fitted sets unless ``seed`` is false)."""
    registry = json.loads((root / "docs.json").read_text(encoding="utf-8")) if (root / "docs.json").is_file() else {}
    leaflets: dict[str, Leaflet] = {}
    if seed:
        leaflets[SEED_KEY] = Leaflet(SEED_KEY, SEED_NUMBER, SEED_FILE)
    rows: list[dict] = [r for name in SEED_CALIBRATION for r in _seed_rows(name)] if seed else []
    training: list[dict] = [r for name in SEED_TRAINING for r in _seed_rows(name)] if seed else []
    followups: list[dict] = []
    for key, info in registry.items():
        leaflets[key] = Leaflet(key, info["number"], root / "docs" / f"{key}.txt", info.get("format", "txt"))
        for row in load_rows(root / f"{key}.jsonl"):
            rows.append({**row, "owner": key})
        path = root / f"{key}.followups.jsonl"
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    followups.append({**json.loads(line), "owner": key})
    return Corpus(leaflets, rows, training, followups)


def key_map(leaflets: dict[str, Leaflet], documents: dict) -> dict[str, str]:
    """Corpus key → doc_id of a built index (``documents``: doc_id → DocumentMeta), by number."""
    by_number = {number_key(m.number): doc_id for doc_id, m in documents.items() if m.number}
    return {
        k: by_number[number_key(leaf.number)] for k, leaf in leaflets.items() if number_key(leaf.number) in by_number
    }


def resolve_rows(rows: list[dict], keys: dict[str, str]) -> list[dict]:
    """Rows whose corpus keys are replaced by doc_ids (``owner`` too); expectations of documents that
    are not in ``keys`` (not indexed) are dropped, and a row left expecting nothing it had is skipped."""
    out = []
    for row in rows:
        expect = [[keys[e[0]], e[1], e[2]] for e in row.get("expect") or [] if e[0] in keys]
        if row.get("expect") and not expect:
            continue
        out.append({**row, "expect": expect, "owner": keys.get(row["owner"], row["owner"])})
    return out
