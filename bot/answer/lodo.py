"""Leave one document out: how answering does on a leaflet nobody fitted on.

Admins add a document the calibration has never seen, so that is what we measure. For each
leaflet D of our corpus (:mod:`bot.answer.corpus`): the adapter, the accept/refuse model and
every threshold are fitted on an index *without* D, from messages that are neither about D nor
expect it — as if D did not exist yet; then D is added to the index, as an admin would add it,
and D's own messages are answered and scored. ``scripts/lodo.py`` prints the figures.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.calibration import Calibration
from bot.answer.corpus import Corpus, key_map, resolve_rows
from bot.answer.fit import MemoEmbedder, fit_calibration
from bot.embed.adapter import AdaptedEmbedder, QueryAdapter
from bot.evaluate import EvalReport, evaluate
from bot.index.manager import FixedIndex
from bot.index.version import IndexVersion


@dataclass
class Workbench:
    """Indexes of subsets of the corpus, built once each and sharing one embedding cache.

    ``render(leaflet, folder) -> Path`` writes a leaflet as admins would upload it (txt, docx, pdf);
    by default its plain text is used.
    """

    settings: object
    embedder: object
    segmenter: object
    corpus: Corpus
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="hoidap-lodo-")))
    render: Callable | None = None
    _versions: dict = field(default_factory=dict)
    _files: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.memo = MemoEmbedder(self.embedder)

    def file(self, key: str) -> Path:
        if key not in self._files:
            leaflet = self.corpus.leaflets[key]
            out = self.folder / "files"
            self._files[key] = self.render(leaflet, out) if self.render else leaflet.source
        return self._files[key]

    def index(self, keys: list[str]) -> IndexVersion:
        """An index of the leaflets ``keys`` (built on first use)."""
        from bot.index.builder import build_index
        from bot.index.store import IndexStore

        wanted = frozenset(keys)
        if wanted not in self._versions:
            settings = self.settings.model_copy(
                update={
                    "index_dir": self.folder / "index",
                    "data_dir": self.folder / "data",
                    "index_keep_versions": 200,
                }
            )
            sources = self.folder / "sources" / "-".join(sorted(wanted))
            shutil.rmtree(sources, ignore_errors=True)  # exactly these leaflets, whatever a past run left
            sources.mkdir(parents=True)
            for key in sorted(wanted):
                path = self.file(key)
                (sources / path.name).write_bytes(path.read_bytes())
            result = build_index(settings, self.embedder, self.segmenter, [sources])
            self._versions[wanted] = IndexVersion(IndexStore(settings.index_dir).root / "versions" / result.version)
        return self._versions[wanted]

    def rows(self, rows: list[dict], version: IndexVersion) -> list[dict]:
        return resolve_rows(rows, key_map(self.corpus.leaflets, version.documents))

    def fit(self, keys: list[str], corpus: Corpus, **options) -> tuple[Calibration, QueryAdapter | None]:
        """Calibration and adapter fitted on ``corpus``'s messages against an index of ``keys``."""
        version = self.index(keys)
        ids = key_map(self.corpus.leaflets, version.documents)
        # Each document alone too: the model must hold with one leaflet loaded as with many.
        views = {ids[k]: self.index([k]) for k in keys if k in ids}
        return fit_calibration(
            version,
            self.memo,
            self.segmenter,
            self.rows(corpus.rows, version),
            self.rows(corpus.training, version),
            views=views,
            **options,
        )

    def answerer(self, version: IndexVersion, calibration: Calibration, adapter: QueryAdapter | None) -> Answerer:
        return Answerer(FixedIndex(version), AdaptedEmbedder(self.memo, adapter), self.segmenter, calibration)


@dataclass
class HeldOut:
    key: str
    report: EvalReport
    strict: float
    calibration: dict


def strict_rate(rows: list[dict], answers: list) -> float:
    from bot.evaluate import is_correct

    inscope = [(r, a) for r, a in zip(rows, answers, strict=True) if r.get("expect")]
    return sum(is_correct(r, a, strict=True) for r, a in inscope) / max(len(inscope), 1)


def score(answerer: Answerer, rows: list[dict]) -> tuple[EvalReport, float]:
    answers: list = []

    def ask(q: str):
        answers.append(answerer.answer(q))
        return answers[-1]

    report = evaluate(rows, ask)
    return report, strict_rate(rows, answers)


def leave_one_out(
    bench: Workbench, keys: list[str] | None = None, progress: Callable[[str], None] | None = None, **options
) -> list[HeldOut]:
    """For each leaflet: fit without it (index and messages), then answer its messages with it loaded."""
    say = progress or (lambda _m: None)
    everything = sorted(bench.corpus.leaflets)
    full = bench.index(everything)
    out = []
    for key in keys or everything:
        rest = [k for k in everything if k != key]
        say(f"{key}: fitting on {len(rest)} other leaflets")
        calibration, adapter = bench.fit(rest, bench.corpus.without(key), **options)
        report, strict = score(bench.answerer(full, calibration, adapter), bench.rows(bench.corpus.owned_by(key), full))
        out.append(HeldOut(key, report, strict, {"threshold": calibration.threshold, **calibration.metrics}))
        say(
            f"{key}: inscope {report.inscope_top1:.3f} oos {report.oos_reject:.3f} "
            f"wrong {report.wrong_answers} reach {report.one_tap_reach:.3f}"
        )
    return out
