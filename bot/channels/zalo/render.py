"""Zalo replies as plain text: no buttons, so choices are numbered and the member replies with the number."""

from __future__ import annotations

from bot.answer import format as wording
from bot.answer.model import Answer, Suggestion
from bot.quiz.model import LETTERS, QuizQuestion

HINT_NOT_TEXT = "Tôi chỉ đọc được câu hỏi bằng chữ. Bạn hãy gõ câu hỏi, ví dụ: “Người đứng đầu phải thế nào?”"
HOI_USAGE = "Cách dùng: /hoi câu hỏi của bạn — ví dụ: /hoi tham mưu lòng vòng là gì"


def answer_text(answer: Answer) -> tuple[str, dict[str, list]]:
    """The reply, and the numbered choices it offers (number → [doc_id, question number])."""
    choices: dict[str, list] = {}
    if answer.found and answer.source is not None:
        if answer.kind == "meta":
            return wording.format_plain(answer), choices
        lines = [wording.format_plain(answer)]
        if answer.kind == "item" and answer.source.question_number is not None:
            choices["0"] = [answer.source.doc_id, answer.source.question_number]
            lines.append("\nGõ 0 để xem toàn văn câu trả lời.")
        related = [s for s in answer.related if s.question_number is not None][:2]
        if related:
            lines.append("\nCâu hỏi liên quan (gõ số để xem):")
            lines += _numbered(related, choices)
        return "\n".join(lines), choices
    if answer.kind in ("empty", "smalltalk"):
        return wording.format_plain(answer), choices
    if not answer.suggestions:
        return f"{wording.NOT_FOUND}\n{wording.NO_SUGGESTION}", choices
    lines = [wording.NOT_FOUND, wording.SUGGEST_HEADER]
    lines += _numbered([s for s in answer.suggestions if s.question_number is not None], choices)
    lines.append("Trả lời bằng số (1, 2, 3…) để xem câu trả lời chính thức.")
    return "\n".join(lines), choices


def _numbered(suggestions: list[Suggestion], choices: dict[str, list]) -> list[str]:
    out = []
    for s in suggestions:
        n = str(len([k for k in choices if k != "0"]) + 1)
        choices[n] = [s.doc_id, s.question_number]
        out.append(f"{n}. Câu hỏi {s.question_number}: {s.question}")
    return out


def quiz_text(question: QuizQuestion) -> str:
    letters = "–".join((LETTERS[0], LETTERS[len(question.options) - 1]))
    return f"❓ CÂU ĐỐ HẰNG NGÀY\n{question.as_text()}\n\nTrả lời bằng một chữ cái ({letters})."


def quiz_result(correct: bool, question: QuizQuestion) -> str:
    right = f"{LETTERS[question.correct]}. {question.options[question.correct]}"
    head = "✅ Chính xác!" if correct else f"❌ Chưa đúng. Đáp án: {right}"
    return f"{head}\n{question.explanation}".strip()


def help_text(documents) -> str:
    lines = [
        "Trợ lý Hỏi–Đáp văn bản của Tỉnh ủy: trả lời bằng nguyên văn câu trả lời chính thức, kèm nguồn.",
        "Nhắn tin riêng: gõ câu hỏi (có dấu hay không dấu đều được). Trong nhóm: /hoi câu hỏi.",
        "Câu đố hằng ngày: trả lời bằng chữ cái A–D; /bxh xem bảng xếp hạng.",
        "",
        "Văn bản đang trả lời:",
    ]
    lines += [f"• {d.name} — {d.questions} câu hỏi–đáp" if d.questions else f"• {d.name}" for d in documents]
    return "\n".join(lines)
