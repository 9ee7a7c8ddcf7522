"""Score the assistant on a labelled question set (the format of ``eval/dev.jsonl``).

Each row: ``{"q": question, "cat": category, "expect": [[question_number, item|null], …],
"must": [phrase, …], "must_all": [phrase, …]}``. An in-scope row (non-empty
``expect``) is right when the answer is found, cites one of the expected
question numbers, and quotes all of ``must_all`` (when given) or any of ``must``
(when given). An out-of-scope row (empty ``expect``) is right when nothing is found.

Two more figures say what a member experiences:

- ``wrong_answers``: quotes that should not have been given — a quote of the
  wrong text for an answerable question, any quote for an out-of-scope one, and
  any further quote of a multi-question reply that cites an unexpected question;
- ``one_tap_reach`` (answerable questions): answered right, or not answered but
  with the right official question first among the suggestions (the "Có phải
  bạn muốn hỏi…?" offer or the first suggestion), one tap away.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.answer.model import Answer
from bot.errors import UserInputError
from bot.text.normalize import normalize


def load_rows(path: Path) -> list[dict]:
    """Rows of a JSONL question set; a bad line is a clear error with its number."""
    rows = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise UserInputError(f"Không đọc được {path}: {e.strerror}") from e
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row.get("q"), str) or not isinstance(row.get("expect", []), list):
                raise ValueError("cần trường q (chuỗi) và expect (danh sách)")
        except ValueError as e:
            raise UserInputError(f"{Path(path).name}, dòng {n}: dòng không hợp lệ ({e})") from e
        rows.append(row)
    return rows


def targets(row: dict) -> list[tuple[str | None, int, int | None]]:
    """What a row accepts, as (document, question, item): ``[Q, item]`` entries (one-document sets)
    accept that question of any document; ``[doc, Q, item]`` entries name the document (its id, once
    :func:`bot.answer.corpus.resolve_rows` mapped the corpus keys); Q = 0 is the document itself."""
    out = []
    for entry in row.get("expect") or []:
        if len(entry) == 3:
            out.append((entry[0], int(entry[1]), entry[2]))
        else:
            out.append((None, int(entry[0]), entry[1] if len(entry) > 1 else None))
    return out


def matches(answer: Answer, wanted: list[tuple[str | None, int, int | None]], strict: bool = False) -> bool:
    """Is ``answer`` one of ``wanted``? The whole answer counts where one item was expected unless ``strict``."""
    src = answer.source
    if not answer.found or src is None:
        return False
    for doc, number, item in wanted:
        if doc is not None and src.doc_id != doc:
            continue
        if number == 0:
            if answer.kind == "meta":
                return True
            continue
        if src.question_number != number or answer.kind == "meta":
            continue
        # One-document sets judge the quoted text by their ``must`` phrases instead of the item.
        if doc is None or src.item == item or (not strict and src.item is None):
            return True
    return False


def is_correct(row: dict, answer: Answer, strict: bool = False) -> bool:
    wanted = targets(row)
    if not wanted:
        return not answer.found
    if not any(matches(a, wanted, strict) for a in [answer, *answer.more]):
        return False
    if not matches(answer, wanted, strict):
        return True  # a message that asks two things: a further answer is the expected one
    text = normalize(answer.answer)
    must_all = row.get("must_all") or []
    if must_all:
        return all(normalize(m) in text for m in must_all)
    must = row.get("must") or []
    return any(normalize(m) in text for m in must) if must else True


@dataclass
class EvalReport:
    per_category: dict[str, tuple[int, int]] = field(default_factory=dict)  # cat -> (right, total)
    inscope: tuple[int, int] = (0, 0)
    oos: tuple[int, int] = (0, 0)
    failures: list[tuple[dict, Answer]] = field(default_factory=list)
    wrong_answers: int = 0
    reach: tuple[int, int] = (0, 0)
    confirms: int = 0  # "Có phải bạn muốn hỏi…?" offers

    @staticmethod
    def _ratio(pair: tuple[int, int]) -> float:
        return pair[0] / pair[1] if pair[1] else 0.0

    @property
    def inscope_top1(self) -> float:
        return self._ratio(self.inscope)

    @property
    def oos_reject(self) -> float:
        return self._ratio(self.oos)

    @property
    def one_tap_reach(self) -> float:
        return self._ratio(self.reach)

    def lines(self) -> list[str]:
        out = [
            f"{cat:<12} {right:>3}/{total:<3} = {right / total:.3f}"
            for cat, (right, total) in sorted(self.per_category.items())
        ]
        out.append(
            f"inscope_top1={self.inscope_top1:.3f} oos_reject={self.oos_reject:.3f} "
            f"wrong_answers={self.wrong_answers} one_tap_reach={self.one_tap_reach:.3f} confirms={self.confirms}"
        )
        return out


def wrong_quotes(row: dict, answer: Answer) -> int:
    """How many quotes in ``answer`` (main and further) should not have been given."""
    wanted = targets(row)
    if not wanted:
        return int(answer.found) + len(answer.more)
    wrong = int(answer.found and not is_correct(row, answer))
    for extra in answer.more:
        wrong += not matches(extra, wanted)
    return wrong


def reaches(row: dict, answer: Answer) -> bool:
    """Right answer, or the right official question first among the offered ones."""
    if is_correct(row, answer):
        return True
    if answer.found or not answer.suggestions:
        return False
    first = answer.suggestions[0]
    return any(
        (doc is None or doc == first.doc_id) and number == first.question_number for doc, number, _ in targets(row)
    )


def evaluate(rows: Iterable[dict], ask: Callable[[str], Answer]) -> EvalReport:
    cats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    ins = [0, 0]
    oos = [0, 0]
    reach = [0, 0]
    report = EvalReport()
    for row in rows:
        answer = ask(row["q"])
        ok = is_correct(row, answer)
        report.wrong_answers += wrong_quotes(row, answer)
        report.confirms += answer.confirm
        if row.get("expect"):
            reach[0] += reaches(row, answer)
            reach[1] += 1
        bucket = ins if row.get("expect") else oos
        bucket[0] += ok
        bucket[1] += 1
        cat = row.get("cat") or row.get("kind") or "?"
        cats[cat][0] += ok
        cats[cat][1] += 1
        if not ok:
            report.failures.append((row, answer))
    report.per_category = {k: (v[0], v[1]) for k, v in cats.items()}
    report.inscope = (ins[0], ins[1])
    report.oos = (oos[0], oos[1])
    report.reach = (reach[0], reach[1])
    return report
