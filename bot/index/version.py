"""One built index version, loaded for searching.

Units are the retrievable pieces; *groups* are what gets answered: one group
per official Q&A pair (its question, whole answer, items and sentences), or
one per paragraph of a free-form document.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.ann.factory import load_vector_index
from bot.documents.model import DocumentMeta, Unit
from bot.errors import IndexStoreError
from bot.lexical.factory import load_keyword_index
from bot.text.analysis import Lexicon
from bot.text.restore import DiacriticRestorer

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Group:
    """An answerable piece: an official Q&A pair or a document paragraph."""

    gid: int
    doc_id: str
    question_number: int | None
    question: str  # official question (or the section heading for free-form text)
    answer: str  # official answer, verbatim
    heading: str | None
    positions: tuple[int, ...]  # unit positions belonging to the group

    def to_dict(self) -> dict:
        return {
            "gid": self.gid,
            "doc_id": self.doc_id,
            "question_number": self.question_number,
            "question": self.question,
            "answer": self.answer,
            "heading": self.heading,
            "positions": list(self.positions),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Group:
        return cls(**{**data, "positions": tuple(data["positions"])})


class IndexVersion:
    """Everything needed to answer from one version folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        try:
            self.manifest = json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))
            if self.manifest.get("format_version") != FORMAT_VERSION:
                raise IndexStoreError(f"Chỉ mục {self.name} có định dạng cũ; hãy xây dựng lại: hoidap build")
            self.units = [
                Unit.from_dict(json.loads(line))
                for line in (self.path / "units.jsonl").read_text(encoding="utf-8").splitlines()
                if line
            ]
            self.groups = [Group.from_dict(g) for g in json.loads((self.path / "groups.json").read_text("utf-8"))]
            lex = json.loads((self.path / "lexicon.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise IndexStoreError(f"Chỉ mục {self.name} bị hỏng hoặc thiếu tệp: {e}") from e
        self.lexicon = Lexicon.from_dict(lex["lexicon"])
        self.restorer = DiacriticRestorer(lex["restore"])
        self.vectors = load_vector_index(self.manifest["vector_index"], self.path / "vectors.faiss")
        self.keywords = load_keyword_index(self.manifest["keyword_index"], self.path / "keyword")
        if len(self.vectors) != len(self.units):
            raise IndexStoreError(
                f"Chỉ mục {self.name} không nhất quán: {len(self.vectors)} vector, {len(self.units)} đơn vị"
            )
        self.group_of = np.zeros(len(self.units), dtype=np.int64)
        for g in self.groups:
            self.group_of[list(g.positions)] = g.gid
        self.documents = {d["doc_id"]: DocumentMeta.from_dict(d["meta"]) for d in self.manifest.get("documents", [])}

    @property
    def model_id(self) -> str:
        return self.manifest["model_id"]

    def document(self, doc_id: str) -> DocumentMeta:
        return self.documents[doc_id]

    def question_position(self, group: Group) -> int | None:
        for pos in group.positions:
            if self.units[pos].kind == "question":
                return pos
        return None
