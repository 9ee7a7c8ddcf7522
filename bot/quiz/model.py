"""A quiz question and Telegram's limits on it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

QUESTION_MAX = 300
OPTION_MAX = 100
EXPLANATION_MAX = 200
OPTIONS_MIN, OPTIONS_MAX = 2, 10
LETTERS = "ABCDEFGHIJ"
# What officers read for each kind (the code names stay in the data).
KIND_LABELS = {
    "cloze": "Điền vào chỗ trống",
    "item": "Chọn ý đúng trong câu trả lời",
    "fact": "Thông tin về văn bản",
    "imported": "Do cán bộ soạn",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, "Khác")


@dataclass
class QuizQuestion:
    kind: str  # cloze | item | fact | imported
    question: str
    options: list[str]
    correct: int
    explanation: str
    source: dict = field(default_factory=dict)  # doc_id, doc_number, question_number, item
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            key = json.dumps([self.kind, self.question, self.options, self.correct], ensure_ascii=False)
            self.id = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]

    def to_json(self) -> dict:
        out = asdict(self)
        return {k: out[k] for k in ("id", "kind", "question", "options", "correct", "explanation", "source")}

    def as_text(self, with_answer: bool = False) -> str:
        """Plain-text form (Zalo, previews): question, lettered options, optionally the answer."""
        lines = [self.question, ""]
        lines += [f"{LETTERS[i]}. {opt}" for i, opt in enumerate(self.options)]
        if with_answer:
            lines += ["", f"Đáp án: {LETTERS[self.correct]}. {self.options[self.correct]}", self.explanation]
        return "\n".join(lines)


def limit_problems(q: QuizQuestion) -> list[str]:
    """What breaks Telegram's quiz-poll limits (Vietnamese, for officers)."""
    problems = []
    if not q.question.strip():
        problems.append("câu hỏi trống")
    if len(q.question) > QUESTION_MAX:
        problems.append(f"câu hỏi dài {len(q.question)} ký tự (tối đa {QUESTION_MAX})")
    if not OPTIONS_MIN <= len(q.options) <= OPTIONS_MAX:
        problems.append(f"cần từ {OPTIONS_MIN} đến {OPTIONS_MAX} phương án, đang có {len(q.options)}")
    for i, opt in enumerate(q.options):
        if not opt.strip():
            problems.append(f"phương án {LETTERS[i] if i < len(LETTERS) else i + 1} trống")
        elif len(opt) > OPTION_MAX:
            problems.append(
                f"phương án {LETTERS[i] if i < len(LETTERS) else i + 1} dài {len(opt)} ký tự (tối đa {OPTION_MAX})"
            )
    if len({o.strip().lower() for o in q.options}) != len(q.options):
        problems.append("có phương án trùng nhau")
    if not 0 <= q.correct < len(q.options):
        problems.append("đáp án đúng không nằm trong các phương án")
    if len(q.explanation) > EXPLANATION_MAX:
        problems.append(f"giải thích dài {len(q.explanation)} ký tự (tối đa {EXPLANATION_MAX})")
    return problems
