"""Reply layout: HTML escaping of every text, splitting long answers at paragraph boundaries."""

from bot.answer.model import Answer, Source, Suggestion
from bot.channels.split import split_message
from bot.channels.telegram.render import answer_html, answer_keyboard


def test_split_keeps_paragraphs_whole_and_respects_the_limit():
    paragraphs = [f"({i}) " + "lời văn chính thức " * 20 for i in range(1, 13)]
    text = "\n".join(paragraphs)
    pieces = split_message(text, 1000)
    assert all(len(p) <= 1000 for p in pieces)
    assert "\n".join(pieces) == text  # nothing lost or altered
    assert all(p.split("\n")[0].startswith("(") for p in pieces)  # each piece starts at a paragraph


def test_split_breaks_an_overlong_paragraph_at_spaces():
    text = "chữ " * 3000
    pieces = split_message(text.strip(), 2000)
    assert all(len(p) <= 2000 for p in pieces) and len(pieces) == 6
    assert " ".join(pieces) == text.strip()


def test_document_and_user_text_is_escaped():
    src = Source("Văn bản <thử> & kiểm", "d", "1-CT/TU", "Hỏi-Đáp <b>", 1, None)
    a = Answer(
        found=True, answer="Nội dung <script>x</script> & “trích”", question="Câu <i>?", source=src, kind="answer"
    )
    (html,) = answer_html(a)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert "Hỏi-Đáp &lt;b&gt;" in html


def test_long_official_answer_is_split_under_4096_with_citation_last():
    long = "\n".join(f"({i}) " + "nội dung " * 60 for i in range(1, 20))
    src = Source("T", "d", "1-CT/TU", "Hỏi-Đáp Chỉ thị số 1-CT/TU", 3, None)
    pieces = answer_html(Answer(found=True, answer=long, question="Q?", source=src, kind="answer"))
    assert len(pieces) > 1 and all(len(p) <= 4096 for p in pieces)
    assert all(p.count("<blockquote>") == p.count("</blockquote>") == 1 for p in pieces)
    assert "Câu hỏi 3 — Hỏi-Đáp" in pieces[-1] and "Câu hỏi 3 — Hỏi-Đáp" not in pieces[0]


def test_suggestion_buttons_fit_telegram_limits():
    s = [Suggestion(i, "46-ct-tu", i, "Ban Thường vụ Tỉnh ủy yêu cầu " * 5) for i in range(1, 4)]
    kb = answer_keyboard(Answer(found=False, suggestions=s), None)
    buttons = [b for row in kb.inline_keyboard for b in row]
    assert len(buttons) == 3
    assert all(len(b.text) <= 60 and len(b.callback_data.encode()) <= 64 for b in buttons)
