"""Refit the accept/refuse model and the query adapter with what admins taught, safely.

``hoidap calibrate --with-feedback`` adds the reviewed links (positives) and out-of-scope marks
(negatives) to our own labelled sets, refits, and compares the candidate with the installed model
on held-out sets that neither ever fitted (``eval/holdout*.jsonl``). A candidate that is worse on
any of them — members' links can be wrong — is not installed. Links and marks keep working either
way: they are used directly when answering (:mod:`bot.learning.memory`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.answer.answerer import Answerer
from bot.answer.calibration import Calibration
from bot.embed.adapter import AdaptedEmbedder, QueryAdapter
from bot.evaluate import EvalReport, evaluate, load_rows

# A candidate may be this much below the installed model on a held-out set and still count as
# no worse (rates), or make this many more wrong quotes.
RATE_TOLERANCE = 0.01
WRONG_TOLERANCE = 1


@dataclass
class Recalibration:
    calibration: Calibration
    adapter: QueryAdapter | None
    before: dict[str, EvalReport] = field(default_factory=dict)
    after: dict[str, EvalReport] = field(default_factory=dict)
    worse: list[str] = field(default_factory=list)  # why the candidate was refused (empty: accepted)
    positives: int = 0
    negatives: int = 0

    @property
    def accepted(self) -> bool:
        return not self.worse


def score(answerer: Answerer, rows: list[dict]) -> EvalReport:
    return evaluate(rows, answerer.answer)


def compare(name: str, before: EvalReport, after: EvalReport) -> list[str]:
    out = []
    if after.inscope_top1 < before.inscope_top1 - RATE_TOLERANCE:
        out.append(f"{name}: inscope_top1 {before.inscope_top1:.3f} → {after.inscope_top1:.3f}")
    if after.oos_reject < before.oos_reject - RATE_TOLERANCE:
        out.append(f"{name}: oos_reject {before.oos_reject:.3f} → {after.oos_reject:.3f}")
    if after.wrong_answers > before.wrong_answers + WRONG_TOLERANCE:
        out.append(f"{name}: wrong_answers {before.wrong_answers} → {after.wrong_answers}")
    return out


def recalibrate(
    assistant,
    rows: list[dict],
    train_rows: list[dict],
    check_sets: list[Path],
    progress=None,
    quick: bool = False,
    baseline: tuple[Calibration, QueryAdapter | None] | None = None,
) -> Recalibration:
    """Fit a candidate with the feedback and judge it against ``baseline`` (default: installed)."""
    positives, negatives = assistant.records.feedback_rows()
    calibration, adapter = assistant.answering.calibrate(
        rows + positives + negatives, list(train_rows) + positives, progress=progress, quick=quick
    )
    result = Recalibration(calibration, adapter, positives=len(positives), negatives=len(negatives))
    if baseline is None:
        baseline = (assistant.calibration, assistant.query_adapter)

    def answerer(cal: Calibration, adp: QueryAdapter | None) -> Answerer:
        # No cache and no phrasings: the two models are compared on what they do themselves.
        return Answerer(
            assistant.index,
            AdaptedEmbedder(assistant.embedder, adp),
            assistant.segmenter,
            cal,
            cache_size=0,
            max_suggestions=assistant.settings.max_suggestions,
        )

    installed, candidate = answerer(*baseline), answerer(calibration, adapter)
    for path in check_sets:
        held_out = load_rows(path)
        result.before[path.name] = score(installed, held_out)
        result.after[path.name] = score(candidate, held_out)
        result.worse += compare(path.name, result.before[path.name], result.after[path.name])
    return result
