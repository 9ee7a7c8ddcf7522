"""Vietnamese wording of replies, shared by every channel, and the plain-text layout.

Channels add their own markup (Telegram HTML, Zalo plain text with numbered
choices) around the same sentences, so members read the same thing everywhere.
"""

from __future__ import annotations

from bot.answer.model import Answer
from bot.answer.tables import rows_as_lines

NOT_FOUND = (
    "Xin lỗi, tôi chưa tìm thấy câu trả lời chính thức nào đủ sát với câu hỏi của bạn trong các văn bản hiện có."
)
SUGGEST_HEADER = "Có phải bạn muốn hỏi…"
# "câu 2 là gì?" with several documents loaded and none of them meant.
WHICH_DOCUMENT = "Nhiều văn bản có {question}. Bạn muốn xem của văn bản nào?"


def refusal_lines(answer: Answer) -> tuple[str, str]:
    """What a refusal says above its suggestions: (the message, the suggestions' header)."""
    if answer.kind == "which_document":
        return WHICH_DOCUMENT.format(question=answer.question), ""
    return NOT_FOUND, SUGGEST_HEADER


NO_SUGGESTION = "Bạn có thể hỏi lại bằng cách khác, nêu rõ nội dung cần tìm (ví dụ: “người đứng đầu phải thế nào?”)."
GREETING = (
    # Private chats only, as SMALLTALK: groups get silence.
    "Xin chào! Tôi là trợ lý hỏi–đáp về các văn bản của Tỉnh ủy. Hãy đặt câu hỏi về nội dung văn bản, "
    "tôi sẽ trích nguyên văn câu trả lời chính thức kèm nguồn."
)
SMALLTALK = (
    # Thanks, praise and "ok" (private chats only: groups get silence).
    "Dạ, tôi luôn sẵn sàng hỗ trợ. Khi cần, bạn cứ hỏi về nội dung các văn bản, "
    "tôi sẽ trích nguyên văn câu trả lời chính thức kèm nguồn."
)
NOT_LOADED = (
    "Văn bản “{document}” chưa có trong các tài liệu hỏi–đáp hiện có, nên tôi không trả lời về văn bản này. "
    "Bạn có thể hỏi về nội dung các văn bản đang có."
)
EMPTY = "Bạn hãy gõ một câu hỏi về nội dung văn bản, ví dụ: “Tham mưu lòng vòng là biểu hiện gì?”"
CONFIRM = "Có phải bạn muốn hỏi: {question}"
CONFIRM_HINT_PLAIN = "(Gõ 1 để xem câu trả lời chính thức của câu hỏi này.)"
ITEM_OF = "Trích mục ({item}) của Câu hỏi {number}: {question}"
ANSWER_OF = "Câu hỏi {number}: {question}"


def context_line(answer: Answer) -> str | None:
    """The official question the quote answers (names the parent question of an item)."""
    src = answer.source
    if src is None or src.question_number is None or not answer.question:
        return None
    if answer.kind == "item":
        return ITEM_OF.format(item=src.item, number=src.question_number, question=answer.question)
    return ANSWER_OF.format(number=src.question_number, question=answer.question)


def suggestion_text(s) -> str:
    """An offered official question, with its document once several are loaded."""
    return f"{s.question} ({s.document})" if s.document else s.question


def confirm_line(answer: Answer) -> str:
    """``Có phải bạn muốn hỏi: <official question>`` for a plausible but uncertain answer."""
    return CONFIRM.format(question=suggestion_text(answer.suggestions[0]))


def format_plain(answer: Answer) -> str:
    """Terminal layout: context, quoted official text, citation; or refusal and suggestions.

    A message that asked several things gets one block per official answer.
    """
    blocks = [_format_one(answer)] + [_format_one(extra) for extra in answer.more]
    return "\n\n".join(blocks)


def _format_one(answer: Answer) -> str:
    if answer.found and answer.kind == "meta" and answer.source is not None:
        return f"{answer.answer}\n— Theo tiêu đề văn bản: “{answer.source.document}”"
    if answer.found and answer.source is not None:
        lines = []
        ctx = context_line(answer)
        if ctx:
            lines.append(ctx)
        lines.append("“" + rows_as_lines(answer.answer) + "”")
        lines.append("— " + answer.source.citation)
        return "\n".join(lines)
    if answer.kind == "empty":
        return EMPTY
    if answer.kind == "smalltalk":
        return SMALLTALK
    if answer.kind == "greeting":
        return GREETING
    if answer.kind == "not_loaded":
        return NOT_LOADED.format(document=answer.question)
    if answer.confirm and answer.suggestions:
        lines = [confirm_line(answer), CONFIRM_HINT_PLAIN]
        if len(answer.suggestions) > 1:
            lines.append("Hoặc:")
            lines.extend(f"  {i}. {suggestion_text(s)}" for i, s in enumerate(answer.suggestions[1:], 2))
        return "\n".join(lines)
    headline, header = refusal_lines(answer)
    lines = [headline]
    if answer.suggestions:
        lines += [header] if header else []
        lines.extend(f"  {i}. {suggestion_text(s)}" for i, s in enumerate(answer.suggestions, 1))
    else:
        lines.append(NO_SUGGESTION)
    return "\n".join(lines)
