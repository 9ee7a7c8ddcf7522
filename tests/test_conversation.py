"""The conversation core without any channel: typed replies, one-tap confirmation (and its record),
several answers to one message, roles and private-only commands, quiet groups, bounded buttons."""

import dataclasses

import pytest

from bot.answer.model import Answer, Suggestion
from bot.channels.terminal import Terminal
from bot.conversation import actions
from bot.conversation.actor import Actor, Incoming
from bot.conversation.core import is_chatter, quiz_letter
from bot.conversation.replies import Confirm, Quote, Refusal, Text, Toast
from bot.service import Assistant
from bot.storage import repository
from bot.storage.db import Database

ADMIN = "9001"


@pytest.fixture
def core(seed_settings, embedder, tmp_path):
    settings = seed_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'conv.db'}", "admin_ids": [int(ADMIN)]}
    )
    assistant = Assistant(settings, embedder=embedder)
    yield assistant
    assistant.close()


def say(core, text, user="42", chat=None, kind="private", **incoming):
    actor = Actor("telegram", user, chat or user, kind, "Lan", None if kind == "private" else "Chi bộ")
    incoming.setdefault("addressed", kind == "private")
    return core.conversation().text(actor, Incoming(text=text, **incoming))


def plausible(core) -> Answer:
    """What the answerer returns for a plausible but uncertain match (confirm=True)."""
    official = core.answering.official_answer("46-ct-tu", 4)
    return Answer(
        found=False,
        confirm=True,
        suggestions=[
            Suggestion(official.gid, "46-ct-tu", 4, official.question),
            Suggestion(0, "46-ct-tu", 2, "Người đứng đầu phải thế nào?"),
        ],
    )


def test_confirmation_is_one_tap_away_and_the_tap_is_recorded(core, monkeypatch):
    monkeypatch.setattr(core, "ask", lambda text, context=None: plausible(core))
    turn = say(core, "mấy cái biểu hiện cần chấn chỉnh là gì nhỉ")
    (confirm,) = turn.replies
    assert isinstance(confirm, Confirm) and confirm.question.startswith("Ban Thường vụ Tỉnh ủy yêu cầu nhận diện")
    yes = confirm.choices[0]
    assert yes.key == "1" and isinstance(yes.action, actions.ConfirmAnswer)
    turn.done(True)

    tapped = core.conversation().tap(Actor("telegram", "42", "42"), actions.encode(yes.action))
    quote = next(r for r in tapped.replies if isinstance(r, Quote))
    assert quote.answer.source.question_number == 4
    tapped.done(True)
    assert core.flush_records(30)
    (row,) = repository.confirmations(Database(core.settings.database_url))
    assert (row.user_id, row.doc_id, row.question_number) == ("42", "46-ct-tu", 4)
    assert row.asked == "mấy cái biểu hiện cần chấn chỉnh là gì nhỉ" and row.official_question.startswith("Ban")
    assert row.question_ref == yes.action.ref and row.created_at is not None


def test_the_terminal_takes_a_confirmation_by_number(core, monkeypatch):
    terminal = Terminal(core)
    monkeypatch.setattr(core, "ask", lambda text, context=None: plausible(core))
    shown = terminal.say("mấy cái biểu hiện cần chấn chỉnh")
    assert shown.startswith("Có phải bạn muốn hỏi: Ban Thường vụ") and "Gõ 1" in shown and "2. Câu hỏi 2" in shown
    monkeypatch.undo()
    quoted = terminal.say("1")
    assert "— Câu hỏi 4 — Hỏi-Đáp Chỉ thị số 46-CT/TU" in quoted


def test_several_questions_in_one_message_get_one_quote_each(core, monkeypatch):
    first = core.ask("tham mưu lòng vòng")
    second = core.ask("khoán sản phẩm là gì")
    monkeypatch.setattr(core, "ask", lambda text, context=None: dataclasses.replace(first, more=[second]))
    quotes = say(core, "tham mưu lòng vòng là gì, còn khoán sản phẩm?").replies
    assert [type(r) for r in quotes] == [Quote, Quote]
    assert [q.answer.source.question_number for q in quotes] == [4, 5]
    assert any(isinstance(c.action, actions.Feedback) for c in quotes[0].choices)  # feedback on the message
    terminal = Terminal(core)
    text = terminal.say("hai câu")
    assert text.count("— Câu hỏi") == 2


def test_refusal_suggestions_and_private_only_commands(core):
    refusal = say(core, "Thủ tục kết nạp đảng viên gồm những bước nào?").replies[0]
    assert isinstance(refusal, Refusal) and 1 <= len(refusal.choices) <= 3
    for command in ("/docs", "/unanswered", "/reindex", "/rollback", "/remove 46-ct-tu"):
        (hint,) = say(core, command, user=ADMIN, chat="-100", kind="group").replies
        assert "chỉ dùng trong tin nhắn riêng" in hint.text, command
    (refused,) = say(core, "/docs", user="77").replies
    assert "chỉ quản trị viên" in refused.text
    (bounded,) = say(core, "/unanswered 99999999999", user=ADMIN).replies
    assert "Số ngày phải từ 1 đến 3650" in bounded.text


def test_groups_stay_quiet_unless_asked(core):
    group = {"chat": "-100", "kind": "group"}
    assert say(core, "Hôm nay họp mấy giờ?", **group).replies == []  # not addressed
    for chatter in ("cảm ơn bot", "Ok", "👍👍", "Em chọn đáp án B ạ", "hay quá"):
        assert say(core, chatter, reply_to_bot=True, addressed=True, **group).replies == [], chatter
    asked = say(core, "còn khoán sản phẩm là gì?", reply_to_bot=True, addressed=True, **group).replies
    assert isinstance(asked[0], Quote)
    assert say(core, "b", reply_to_bot=True, reply_to_quiz=True, addressed=True, **group).replies == []


def test_edits_answer_questions_again_but_redo_nothing_else(core):
    assert isinstance(say(core, "khoán sản phẩm là gì", edited=True).replies[0], Quote)
    assert say(core, "/quiz_now", user=ADMIN, chat="-100", kind="group", edited=True).replies == []
    assert say(core, "/officer_add 5", user=ADMIN, edited=True).replies == []


def test_quiz_answers_and_chatter_are_recognised():
    assert [quiz_letter(t) for t in ("b", "B.", "Đáp án: C", "em chọn đáp án d ạ", "chọn a nhé")] == [1, 1, 2, 3, 0]
    assert quiz_letter("bao giờ họp") is None and quiz_letter("đáp án là gì vậy") is None
    assert all(is_chatter(t) for t in ("cảm ơn", "Thanks!", "ok bot", "🙏", "..."))
    assert not is_chatter("cảm ơn, cho hỏi khoán sản phẩm là gì")


@pytest.mark.parametrize(
    "data",
    [
        "",
        "u|x",
        "f|999999999999999999999999999|1",
        "a|46-ct-tu|0",
        "a|46-ct-tu|99999",
        "a|../../etc|1",
        "c|ref|46-ct-tu",
        "f|abcdefgh|2",
        "x" * 65,
        "a|46-ct-tu|1|extra",
        None,
        123,
    ],
)
def test_garbled_button_data_decodes_to_nothing(data):
    assert actions.decode(data) is None


def test_button_data_stays_within_64_bytes():
    long_doc = "quyet-dinh-so-1234-qd-ubnd-ve-viec-ban-hanh-quy-che-lam-viec-cua-uy-ban"
    for action in (
        actions.ShowAnswer(long_doc, 9999),
        actions.ConfirmAnswer("A" * 24, long_doc, 9999),
        actions.Feedback("B" * 24, -1),
        actions.UploadDecision("C" * 24, True),
    ):
        data = actions.encode(action)
        assert len(data.encode()) <= 64 and actions.decode(data) is not None
    key = actions.decode(actions.encode(actions.ShowAnswer(long_doc, 3))).doc_id
    assert actions.resolve_doc(key, ["46-ct-tu", long_doc]) == long_doc


def test_feedback_only_by_the_asker(core):
    turn = say(core, "khoán sản phẩm là gì", user="42")
    thumbs = next(c for c in turn.replies[0].choices if isinstance(c.action, actions.Feedback))
    turn.done(True)
    conv = core.conversation()
    (not_yours,) = conv.tap(Actor("telegram", "43", "-100", "group"), thumbs.action).replies
    assert isinstance(not_yours, Toast) and "Chỉ người đã hỏi" in not_yours.text
    (thanks,) = conv.tap(Actor("telegram", "42", "42"), thumbs.action).replies
    assert "Cảm ơn" in thanks.text
    assert core.flush_records(30)
    db = Database(core.settings.database_url)
    with db.session() as s:
        asked = repository.question_by_ref(s, thumbs.action.ref)
        assert repository.feedback_counts(db, asked.id) == (1, 0)


def test_a_lost_chat_tells_its_officer_once(core):
    conv = core.conversation()
    admin = Actor("telegram", ADMIN, ADMIN)
    conv.roles.grant(admin, "55")
    officer = Actor("telegram", "55", "-100", "group", "Tuyên giáo", "Chi bộ Một")
    (ok,) = conv.text(officer, Incoming(text="/quiz_on 07:30 thứ 2", addressed=True)).replies
    assert "nhóm này" in ok.text and "T2" in ok.text
    (notice,) = conv.chat_lost("telegram", "-100", "forbidden")
    assert isinstance(notice, Text) and notice.to == "55" and "Chi bộ Một" in notice.text
    assert conv.chat_lost("telegram", "-100", "forbidden") == []
