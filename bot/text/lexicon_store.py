"""The lexicon and the diacritic table of an index version, on disk in a binary, mapped form.

As JSON these were the largest files of a version (~83 MB of syllable pairs, words and
n-grams at 100k units) and took seconds and hundreds of MB to load into Python sets and
dicts, in every serving process. A question only ever asks "is this pair in the
corpus?" or "how is this n-gram spelt?" a few dozen times, so the large collections
are stored as sorted 64-bit hashes (BLAKE2b) that are memory-mapped and binary-searched:
nothing is parsed at load, and processes share the pages. A false "yes" needs a
64-bit collision (about one in 10^13 lookups at a million entries): never in practice.

The small collections a question iterates or counts over (the corpus syllables with
their document frequencies, used to correct typos) stay exact strings.

Layout of the ``lexicon/`` folder of a version::

    meta.json              {"format": 1, "n_groups": N}
    syllables.txt          folded syllables, one a line;  syllables_df.npy (int64, same order)
    accented.txt           accented syllables, one a line
    pairs.npy folded_pairs.npy words.npy        sorted unique uint64 hashes
    restore_keys.npy       sorted uint64 hashes of folded n-grams
    restore_ends.npy       end offset (int64) of each key's spelling in restore.bin
    restore.bin            the spellings, UTF-8, concatenated in key order
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from bot.text.analysis import Lexicon, TextProfile
from bot.text.restore import DiacriticRestorer

FORMAT = 1
FOLDER = "lexicon"


def key(text: str) -> int:
    """The 64-bit hash a string is stored under."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _keys(texts: Iterable[str]) -> np.ndarray:
    return np.fromiter((key(t) for t in texts), dtype=np.uint64)


class HashedSet:
    """Membership of strings, by sorted hashes (a memory-mapped array)."""

    __slots__ = ("keys",)

    def __init__(self, keys: np.ndarray) -> None:
        self.keys = keys

    @classmethod
    def of(cls, texts: Iterable[str]) -> HashedSet:
        return cls(np.unique(_keys(texts)))

    def __contains__(self, text: object) -> bool:
        if not isinstance(text, str) or not len(self.keys):
            return False
        h = np.uint64(key(text))
        i = int(np.searchsorted(self.keys, h))
        return i < len(self.keys) and self.keys[i] == h

    def __len__(self) -> int:
        return len(self.keys)


class HashedTable:
    """A str → str mapping stored as sorted key hashes and a blob of values (``dict.get`` only)."""

    def __init__(self, keys: np.ndarray, ends: np.ndarray, blob: np.ndarray | bytes) -> None:
        self.keys = keys
        self.ends = ends
        self.blob = blob

    @classmethod
    def of(cls, table: dict[str, str]) -> HashedTable:
        hashes = _keys(table)
        values = list(table.values())
        order = np.argsort(hashes, kind="stable")
        encoded = [values[i].encode("utf-8") for i in order.tolist()]
        ends = np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded else np.zeros(0, np.int64)
        return cls(hashes[order], ends, b"".join(encoded))

    def get(self, text: str, default: str | None = None) -> str | None:
        if not len(self.keys):
            return default
        h = np.uint64(key(text))
        i = int(np.searchsorted(self.keys, h))
        if i >= len(self.keys) or self.keys[i] != h:
            return default
        start = int(self.ends[i - 1]) if i else 0
        return bytes(self.blob[start : int(self.ends[i])]).decode("utf-8")

    def __len__(self) -> int:
        return len(self.keys)


def save(folder: Path, lexicon: Lexicon, restorer: DiacriticRestorer) -> None:
    """Write ``lexicon`` and ``restorer`` into ``folder`` (created)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    profile = lexicon.profile
    syllables = sorted(profile.folded)
    (folder / "syllables.txt").write_text("\n".join(syllables), encoding="utf-8")
    np.save(folder / "syllables_df.npy", np.array([lexicon.df.get(s, 0) for s in syllables], dtype=np.int64))
    (folder / "accented.txt").write_text("\n".join(sorted(profile.accented)), encoding="utf-8")
    for name in ("pairs", "folded_pairs", "words"):
        np.save(folder / f"{name}.npy", HashedSet.of(getattr(profile, name)).keys)
    table = HashedTable.of(restorer.table)
    np.save(folder / "restore_keys.npy", table.keys)
    np.save(folder / "restore_ends.npy", table.ends)
    (folder / "restore.bin").write_bytes(table.blob)
    (folder / "meta.json").write_text(json.dumps({"format": FORMAT, "n_groups": lexicon.n_groups}), encoding="utf-8")


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return text.split("\n") if text else []


def load(folder: Path) -> tuple[Lexicon, DiacriticRestorer]:
    """Read a folder written by :func:`save` (large arrays memory-mapped)."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"định dạng từ vựng {meta.get('format')!r} không được hỗ trợ")
    syllables = _lines(folder / "syllables.txt")
    df = np.load(folder / "syllables_df.npy")
    if len(df) != len(syllables):
        raise ValueError("syllables.txt và syllables_df.npy không khớp")
    profile = TextProfile()
    profile.folded = set(syllables)
    profile.accented = set(_lines(folder / "accented.txt"))
    for name in ("pairs", "folded_pairs", "words"):
        setattr(profile, name, HashedSet(np.load(folder / f"{name}.npy", mmap_mode="r")))
    lexicon = Lexicon(profile, dict(zip(syllables, df.tolist(), strict=True)), int(meta["n_groups"]))
    blob_path = folder / "restore.bin"
    blob = np.memmap(blob_path, dtype=np.uint8, mode="r") if blob_path.stat().st_size else b""
    table = HashedTable(
        np.load(folder / "restore_keys.npy", mmap_mode="r"), np.load(folder / "restore_ends.npy", mmap_mode="r"), blob
    )
    return lexicon, DiacriticRestorer(table)
