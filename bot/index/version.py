"""One built index version, loaded for searching.

Units are the retrievable pieces; *groups* are what gets answered: one group
per official Q&A pair (its question, whole answer, items and sentences), or
one per paragraph of a free-form document.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.ann.factory import load_vector_index
from bot.documents.model import DocumentMeta, Unit
from bot.documents.sources import foreign_entry
from bot.errors import HoidapError, IndexStoreError
from bot.lexical.factory import load_keyword_index
from bot.text import lexicon_store
from bot.text.analysis import Lexicon
from bot.text.restore import DiacriticRestorer

FORMAT_VERSION = 1
# Files every version has (the vector and keyword backends add their own inside/next to these).
REQUIRED_FILES = ("manifest.json", "units.jsonl", "groups.json", "vectors.faiss", "keyword")
# The lexicon: a binary folder (bot.text.lexicon_store) since the speed work; lexicon.json before.
LEXICON_FILES = ("lexicon", "lexicon.json")
VERSION_NAME_RE = re.compile(r"^v\d{4}-\d{8}-\d{6}$")


# --- the manifest, validated -------------------------------------------------------------
class ManifestMeta(BaseModel):
    model_config = ConfigDict(extra="allow")

    title: str
    doc_type: str | None = None
    number: str | None = None
    date: dt.date | None = None
    issuer: str | None = None
    subject: str | None = None
    is_qa: bool = False


class ManifestDocument(BaseModel):
    model_config = ConfigDict(extra="allow")

    doc_id: str = Field(min_length=1)
    file: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    meta: ManifestMeta
    counts: dict[str, int]
    path: str | None = None  # relative to the knowledge folder (versions built from it)


class ManifestCounts(BaseModel):
    model_config = ConfigDict(extra="allow")

    documents: int = Field(ge=0)
    groups: int = Field(ge=0)
    units: int = Field(ge=0)
    by_kind: dict[str, int] = Field(default_factory=dict)


class Manifest(BaseModel):
    """``manifest.json`` of a version. Unknown keys are kept: the format only ever grows."""

    model_config = ConfigDict(extra="allow")

    format_version: Literal[1]
    version: str
    built_at: str
    model: str
    model_id: str
    dim: int = Field(gt=0)
    vector_index: str
    vector_kind: str = ""
    keyword_index: str
    segmenter: str = ""
    counts: ManifestCounts
    embedding: dict = Field(default_factory=dict)
    documents: list[ManifestDocument]
    # "knowledge": built from the knowledge folder, whose set a rollback restores; "paths": explicit files.
    source_set: Literal["knowledge", "paths"] | None = None


def _problem(error: dict) -> str:
    where = ".".join(str(p) for p in error.get("loc", ())) or "(gốc)"
    kind = error.get("type", "")
    if kind == "missing":
        return f"{where}: thiếu"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{where}: phải là một đối tượng JSON"
    if kind == "list_type":
        return f"{where}: phải là một danh sách"
    return f"{where}: {error.get('msg', kind)}"


def load_manifest(path: Path, name: str | None = None) -> Manifest:
    """Read and validate ``manifest.json`` of a version folder; every problem is one clean IndexStoreError."""
    name = name or Path(path).name
    try:
        raw = json.loads((Path(path) / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise IndexStoreError(f"Chỉ mục {name} thiếu tệp manifest.json") from e
    except (OSError, ValueError) as e:
        raise IndexStoreError(f"Chỉ mục {name}: manifest.json không đọc được ({e})") from e
    if isinstance(raw, dict) and raw.get("format_version") not in (None, FORMAT_VERSION):
        raise IndexStoreError(f"Chỉ mục {name} có định dạng cũ; hãy xây dựng lại: hoidap build")
    try:
        return Manifest.model_validate(raw)
    except ValidationError as e:
        problems = "; ".join(_problem(err) for err in e.errors()[:5])
        raise IndexStoreError(f"Chỉ mục {name}: manifest.json không hợp lệ ({problems})") from e


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
    # Multi-syllable words of question + answer, segmented at build time so that judging an
    # answer never segments its text while a member waits (None: a version built before this).
    words: tuple[str, ...] | None = None

    def to_dict(self) -> dict:
        out = {
            "gid": self.gid,
            "doc_id": self.doc_id,
            "question_number": self.question_number,
            "question": self.question,
            "answer": self.answer,
            "heading": self.heading,
            "positions": list(self.positions),
        }
        if self.words is not None:
            out["words"] = list(self.words)
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Group:
        words = data.get("words")
        return cls(
            **{**data, "positions": tuple(data["positions"]), "words": tuple(words) if words is not None else None}
        )


class IndexVersion:
    """Everything needed to answer from one version folder, loaded and checked.

    Loading reads every file and checks that they agree with each other (units,
    groups, vectors, documents, counts); any problem is an :class:`IndexStoreError`
    naming the version, never a raw traceback. A version is only switched to
    after it loads (build, rollback, reload).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        foreign = foreign_entry(self.path)
        if foreign is not None:  # a link would serve files from anywhere: only what a build wrote is read
            raise IndexStoreError(f"Chỉ mục {self.name} bị từ chối: {foreign} — chỉ đọc tệp và thư mục thật")
        self.info = load_manifest(self.path, self.name)
        self.manifest = self.info.model_dump(mode="json")
        missing = [f for f in REQUIRED_FILES if not (self.path / f).exists()]
        if not any((self.path / f).exists() for f in LEXICON_FILES):
            missing.append(LEXICON_FILES[0])
        if missing:
            raise IndexStoreError(f"Chỉ mục {self.name} thiếu tệp: {', '.join(missing)}")
        try:
            self._load()
        except HoidapError as e:
            raise IndexStoreError(f"Chỉ mục {self.name} bị hỏng: {e}") from e
        except Exception as e:  # files that parse but hold the wrong shapes: one message, not a traceback
            raise IndexStoreError(f"Chỉ mục {self.name} bị hỏng hoặc thiếu tệp: {type(e).__name__}: {e}") from e
        self._check()

    def _load(self) -> None:
        self.units = [
            Unit.from_dict(json.loads(line))
            for line in (self.path / "units.jsonl").read_text(encoding="utf-8").splitlines()
            if line
        ]
        self.groups = [Group.from_dict(g) for g in json.loads((self.path / "groups.json").read_text("utf-8"))]
        if (self.path / "lexicon").is_dir():
            self.lexicon, self.restorer = lexicon_store.load(self.path / "lexicon")
        else:  # a version built before the binary lexicon
            lex = json.loads((self.path / "lexicon.json").read_text(encoding="utf-8"))
            self.lexicon = Lexicon.from_dict(lex["lexicon"])
            self.restorer = DiacriticRestorer(lex["restore"])
        self.vectors = load_vector_index(self.info.vector_index, self.path / "vectors.faiss")
        self.keywords = load_keyword_index(self.info.keyword_index, self.path / "keyword")
        self.documents = {
            d.doc_id: DocumentMeta.from_dict(
                d.meta.model_dump(mode="json", include=set(DocumentMeta.__dataclass_fields__))
            )
            for d in self.info.documents
        }

    def _check(self) -> None:
        def broken(detail: str) -> IndexStoreError:
            return IndexStoreError(f"Chỉ mục {self.name} không nhất quán: {detail}")

        n = len(self.units)
        if len(self.vectors) != n:
            raise broken(f"{len(self.vectors)} vector, {n} đơn vị")
        if n and getattr(self.vectors, "dim", self.info.dim) != self.info.dim:
            raise broken(f"vector {self.vectors.dim} chiều, manifest ghi {self.info.dim}")
        if self.info.counts.units != n or self.info.counts.groups != len(self.groups):
            raise broken("số đơn vị/câu trả lời khác với manifest")
        self.group_of = np.full(n, -1, dtype=np.int64)
        for k, g in enumerate(self.groups):
            if g.gid != k:
                raise broken(f"nhóm thứ {k} mang số {g.gid}")
            if g.doc_id not in self.documents:
                raise broken(f"nhóm {k} thuộc văn bản {g.doc_id!r} không có trong manifest")
            for pos in g.positions:
                if not 0 <= pos < n:
                    raise broken(f"nhóm {k} trỏ tới đơn vị {pos} ngoài phạm vi (0…{n - 1})")
            self.group_of[list(g.positions)] = g.gid
        if n and (self.group_of < 0).any():
            raise broken(f"đơn vị {int(np.argmax(self.group_of < 0))} không thuộc nhóm nào")
        unknown = {u.doc_id for u in self.units} - set(self.documents)
        if unknown:
            raise broken(f"đơn vị của văn bản không có trong manifest: {', '.join(sorted(unknown))}")
        self._group_arrays()

    def _group_arrays(self) -> None:
        """Groups as flat arrays, so retrieval scores the groups it touched without a Python loop.

        ``group_start[g]:group_start[g + 1]`` slices ``group_units`` (each group's unit positions, in
        its own order); ``group_question[g]`` is the offset of its official question in that slice
        (-1: none); ``group_doc[g]`` indexes ``doc_ids``.
        """
        lengths = np.fromiter((len(g.positions) for g in self.groups), dtype=np.int64, count=len(self.groups))
        self.group_start = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.group_units = np.fromiter(
            (p for g in self.groups for p in g.positions), dtype=np.int64, count=int(lengths.sum())
        )
        kinds = np.array([u.kind == "question" for u in self.units], dtype=bool)
        # The official question and its core (without the document's name) both stand for the question.
        self.question_like = np.array([u.kind in ("question", "question_core") for u in self.units], dtype=bool)
        self.group_question = np.full(len(self.groups), -1, dtype=np.int64)
        for g in self.groups:
            for offset, pos in enumerate(g.positions):
                if kinds[pos]:
                    self.group_question[g.gid] = offset
                    break
        self.doc_ids = list(self.documents)
        doc_index = {d: i for i, d in enumerate(self.doc_ids)}
        self.group_doc = np.array([doc_index[g.doc_id] for g in self.groups], dtype=np.int64)

    @property
    def background_positions(self) -> np.ndarray:
        """Up to 2,000 official answers and items spread over the index: what a question's cosine to
        the corpus at large is measured on (cheap at any size)."""
        if getattr(self, "_background", None) is None:
            kinds = np.array([u.kind in ("answer", "item", "section") for u in self.units], dtype=bool)
            positions = np.flatnonzero(kinds)
            if len(positions) > 2000:
                positions = positions[np.linspace(0, len(positions) - 1, 2000).astype(np.int64)]
            self._background = positions
        return self._background

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
