"""What several test files share about the conversation core's turns and the quiz an officer writes."""

from bot.conversation.replies import Work
from bot.progress import Progress

# A question an officer writes on the dashboard, checked against Chỉ thị 46's Câu hỏi 5.
OFFICER_QUESTION = {
    "question": "Theo Chỉ thị 46, “khoán sản phẩm” nằm ở câu hỏi nào?",
    "A": "Câu 2",
    "B": "Câu 5",
    "C": "Câu 7",
    "correct": "B",
    "explanation": "Câu hỏi 5",
    "doc_number": "46-CT/TU",
    "question_number": "5",
}


def run_turn(turn) -> list:
    """The turn's replies, with its long work (a rebuild) done as a channel would."""
    out = list(turn.replies)
    for reply in turn.replies:
        if isinstance(reply, Work):
            out += reply.run(Progress())
    turn.done(True)
    return out
