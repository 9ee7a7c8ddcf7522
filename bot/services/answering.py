"""Answering beyond one question: official answers, evidence, and fitting the accept/refuse model.

``Assistant.ask`` itself stays on the assistant (see there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.answer.model import Answer

if TYPE_CHECKING:
    from bot.service import Assistant


class Answering:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant

    def official_answer(self, doc_id: str, question_number: int) -> Answer | None:
        """The whole official answer to one official question (suggestion taps, "xem toàn văn")."""
        return self._assistant.answerer.answer_question(doc_id, question_number)

    def explain(self, question: str):
        """Retrieval and accept/refuse evidence for one question: (retrieval, retriever, calibration)."""
        retrieval, retriever = self._assistant.answerer.retrieve(question)
        return retrieval, retriever, self._assistant.calibration

    def calibrate(self, rows, train_rows=(), adapt: bool = True, progress=None, quick: bool = False):
        """Fit the accept/refuse model (and the query adapter) on labelled questions against the
        active index: ``(Calibration, QueryAdapter | None)``. ``train_rows`` only train the adapter."""
        from bot.answer.fit import fit_calibration
        from bot.threads import threads

        a = self._assistant
        with threads(a.settings.build_threads):  # every core: minutes of embedding and fitting
            return fit_calibration(
                a.index.current(),
                a.embedder,
                a.segmenter,
                rows,
                train_rows,
                adapt=adapt,
                progress=progress,
                quick=quick,
            )

    def calibrate_on_corpus(self, adapt: bool = True, progress=None, quick: bool = False):
        """Fit on our whole labelled corpus (bot.answer.corpus: every leaflet of eval/corpus and the seed,
        with their messages) against an index of those leaflets built under ``index_dir/calibration``
        (its own embedding cache: built once, reused by later fits). ``(Calibration, QueryAdapter | None)``."""
        from bot.answer.corpus import load_corpus
        from bot.answer.lodo import Workbench
        from bot.threads import threads

        a = self._assistant
        corpus = load_corpus()
        bench = Workbench(a.settings, a.embedder, a.segmenter, corpus, folder=a.settings.index_dir / "calibration")
        with threads(a.settings.build_threads):
            return bench.fit(sorted(corpus.leaflets), corpus, adapt=adapt, progress=progress, quick=quick)

    def recalibrate_with_feedback(self, rows, train_rows, check_sets, progress=None, quick=False, baseline=None):
        """Refit with admins' links and marks; the candidate is judged on held-out sets against the
        installed model (see bot.learning.recalibrate). Nothing is installed here."""
        from bot.learning.recalibrate import recalibrate

        return recalibrate(self._assistant, rows, train_rows, check_sets, progress, quick, baseline)
