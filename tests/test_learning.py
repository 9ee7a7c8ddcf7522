"""The bot learns from use: admins link members' real questions to official answers (in chat, on the
command line), mark others out of scope; links follow document versions; members' taps and votes
become proposals, never links; question logs expire; a refit with feedback is refused if worse.

Real model, real document, the shipped calibration and query adapter."""

import datetime as dt
import shutil

import pytest
from click.testing import CliRunner

from bot import cli
from bot.conversation.actions import Review, decode
from bot.conversation.actor import Actor, Incoming
from bot.conversation.replies import Confirm, Quote, Text
from bot.learning.store import ACTIVE, PROPOSED, RETIRED, REVIEW
from bot.service import Assistant
from tests.conftest import SEED_DOC

ADMIN = "900001"
MEMBER = "900002"

# Written for this test (not from any eval set): questions about Chỉ thị 46 asked so obliquely that
# the bot may not answer them, each with its official target and a paraphrase of it.
CANDIDATES = [
    (
        "Chuyện cán bộ ngồi chơi xơi nước thì tỉnh có nói gì không?",
        (4, 3),
        "cán bộ cứ ngồi chơi xơi nước thì tỉnh nói sao",
    ),
    (
        "Có quy định gì về việc sếp im lặng không chốt việc?",
        (4, 11),
        "sếp cứ im lặng không chốt việc thì có quy định gì",
    ),
    (
        "Tỉnh muốn cán bộ lãnh đạo phải sống sao cho anh em noi theo?",
        (2, None),
        "cán bộ lãnh đạo phải sống sao để anh em noi theo",
    ),
    (
        "Mấy chỗ hay bị dân kêu thì có bị soi kỹ hơn không?",
        (7, None),
        "chỗ nào hay bị dân kêu thì có bị soi kỹ hơn không ạ",
    ),
    ("Làm sao để anh em hết sợ sai mà dám làm?", (5, None), "làm thế nào để anh em hết sợ sai, dám làm"),
    ("Nhận việc rồi để đó cho qua thì bị coi là gì?", (4, 3), "nhận việc xong để đấy cho qua thì bị coi là gì"),
    (
        "Thấy dân khổ mà vẫn dửng dưng thì chỉ thị nói thế nào?",
        (4, 8),
        "thấy dân khổ mà cứ dửng dưng thì chỉ thị nói sao",
    ),
    (
        "Tỉnh có tính chuyện hạ bậc thi đua ai sợ trách nhiệm không?",
        (8, None),
        "ai sợ trách nhiệm thì tỉnh có hạ bậc thi đua không",
    ),
    (
        "Tinh thần đổi mới sáng tạo được khuyến khích thế nào?",
        (5, None),
        "tinh thần đổi mới, sáng tạo được khuyến khích ra sao",
    ),
    (
        "Có phải đối thoại với dân với doanh nghiệp không?",
        (7, None),
        "có phải đối thoại với người dân, doanh nghiệp không",
    ),
    ("Cán bộ đẩy việc qua lại như đá bóng thì sao?", (4, 6), "cán bộ đá bóng việc qua lại thì sao"),
    ("Sao tỉnh phải ra chỉ thị này?", (1, None), "vì sao tỉnh phải ra chỉ thị này"),
    ("Cán bộ dễ thì làm khó thì né có bị nêu không?", (1, 2), "việc dễ thì làm, việc khó thì né có bị nêu không"),
    ("Nói nay nói mai khác nhau thì bị gì?", (4, 2), "nay nói thế này mai nói thế khác thì bị gì"),
]


@pytest.fixture
def bot(settings, embedder):
    """An assistant with its own index and database (links must not leak into other tests)."""
    a = Assistant(settings, embedder=embedder)
    a.library.build()
    conv = a.conversation()
    conv.register_channel("telegram")
    yield a
    a.close()


def admin_actor():
    return Actor("telegram", ADMIN, ADMIN, "private", "Quản trị")


def member_actor():
    return Actor("telegram", MEMBER, MEMBER, "private", "Lan")


def say(bot, actor, text):
    turn = bot.conversation().text(actor, Incoming(text=text, addressed=True))
    turn.done(True)
    return turn


def tap(bot, actor, action):
    turn = bot.conversation().tap(actor, action)
    turn.done(True)
    return turn


def answered_with(answer, target) -> bool:
    number, item = target
    if not answer.found or answer.source is None or answer.source.question_number != number:
        return False
    return item is None or answer.source.item in (item, None)


def link_in_chat(bot, text, target):
    """What an admin does in Telegram/Zalo: /review, "Chọn câu khác", the question, then the item."""
    replies = say(bot, admin_actor(), "/review").replies
    card = next(r for r in replies if isinstance(r, Text) and r.choices and f"“{text}”" in r.text)
    other = next(c for c in card.choices if c.label.startswith("✏️"))
    (questions,) = [r for r in tap(bot, admin_actor(), other.action).replies if isinstance(r, Text)]
    number, item = target
    pick = next(c for c in questions.choices if c.label.startswith(f"Câu {number}:"))
    replies = [r for r in tap(bot, admin_actor(), pick.action).replies if isinstance(r, Text)]
    if replies[0].text.startswith("✅"):
        return replies[0]
    wanted = "Cả câu trả lời" if item is None else f"Mục ({item})"
    chosen = next(c for c in replies[0].choices if c.label == wanted)
    (done,) = [r for r in tap(bot, admin_actor(), chosen.action).replies if isinstance(r, Text)]
    return done


@pytest.fixture
def admin_settings(settings):
    return settings.model_copy(update={"admin_ids": [int(ADMIN)], "questions_per_minute": 1000})


@pytest.fixture
def chat_bot(admin_settings, embedder):
    a = Assistant(admin_settings, embedder=embedder)
    a.library.build()
    a.conversation().register_channel("telegram")
    yield a
    a.close()


def test_ten_refused_five_linked_in_chat_then_answered_and_kept_through_rebuild_and_rollback(chat_bot):
    bot = chat_bot
    refused = [c for c in CANDIDATES if not bot.ask(c[0]).found]
    assert len(refused) >= 10, [c[0] for c in CANDIDATES if bot.ask(c[0]).found]
    ten = refused[:10]
    linked, others = ten[:5], ten[5:]
    before_others = {q: bot.ask(q) for q, _, _ in others}
    before_paraphrases = sum(answered_with(bot.ask(p), t) for _, t, p in linked)

    for q, _, _ in ten:  # members ask; the five to link are asked twice (they come first in the queue)
        say(bot, member_actor(), q)
    for q, _, _ in linked:
        say(bot, member_actor(), q)
    assert bot.flush_records(30)

    for q, target, _ in linked:
        done = link_in_chat(bot, q, target)
        assert done.text.startswith("✅ Đã liên kết"), done.text

    def check():
        for q, target, _ in linked:
            a = bot.ask(q)
            assert answered_with(a, target) and a.learned is not None, (q, a.to_json())
        for q, _, _ in others:
            a, b = bot.ask(q), before_others[q]
            assert (a.found, a.confirm, a.source and a.source.question_number) == (
                b.found,
                b.confirm,
                b.source and b.source.question_number,
            ), q
        # Paraphrases of a link take it only above the fitted cosine (calibration.phrase_link): on our
        # corpus of eleven leaflets no cosine below 1 kept 98 % of such pairs right (the same generic
        # message is written about several leaflets), so links answer their own message and no worse.
        after = sum(answered_with(bot.ask(p), t) for _, t, p in linked)
        assert after >= before_paraphrases, (before_paraphrases, after)
        return after

    check()
    bot.library.build()  # a rebuild
    check()
    versions = bot.library.index_versions()
    bot.library.rollback(versions[-2].name)  # a rollback
    check()
    quoted = say(bot, member_actor(), linked[0][0]).replies
    assert isinstance(quoted[0], Quote)  # members get the quote, in chat, from the link


def test_marking_out_of_scope_refuses_it_and_a_near_duplicate(bot):
    # The document names the behaviour but says nothing of a transfer: the bot quotes item (5) anyway.
    question = "Tham mưu lòng vòng có bị chuyển công tác không?"
    near = "Tham mưu lòng vòng thì có bị chuyển công tác không ạ?"
    assert bot.ask(question).found and bot.ask(near).found
    row = bot.records.mark_out_of_scope(question, by="test")
    for q in (question, near):
        a = bot.ask(q)
        assert not a.found and not a.confirm and a.learned == row.id, (q, a.to_json())
    bot.records.remove_phrasing(row.id, by="test")  # undone: back to what the model does by itself
    assert bot.ask(question).learned is None


def test_the_command_line_links_lists_and_undoes(bot, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: bot)
    runner = CliRunner()
    q = "cán bộ cứ ngâm hồ sơ của dân thì sao"
    out = runner.invoke(cli.main, ["phrasings", "add", q, "--question", "4", "--item", "8"])
    assert out.exit_code == 0 and "Câu hỏi 4, mục (8)" in out.output, out.output
    a = bot.ask(q)
    assert (a.source.question_number, a.source.item) == (4, 8) and a.answer.startswith("(8)")
    out = runner.invoke(cli.main, ["phrasings", "list"])
    assert q in out.output and "đang dùng" in out.output
    pid = bot.records.phrasings()[0].id
    out = runner.invoke(cli.main, ["phrasings", "remove", str(pid)])
    assert out.exit_code == 0 and bot.records.phrasings()[0].status == "removed" if bot.records.phrasings() else True
    bad = runner.invoke(cli.main, ["phrasings", "add", q, "--question", "99"])
    assert bad.exit_code == 1 and "Không có Câu hỏi 99" in bad.output


def test_links_follow_document_versions(bot):
    doc = SEED_DOC.read_text(encoding="utf-8")
    row = bot.records.link_phrasing("mấy ông đứng đầu phải làm gương thế nào", 2, by="test")
    folder = bot.settings.knowledge_dir

    # The official question 2 is reworded in a new version: the link waits for an admin.
    changed = doc.replace(
        "Câu hỏi 2: Ban Thường vụ Tỉnh ủy yêu cầu người đứng đầu",
        "Câu hỏi 2: Ban Thường vụ Tỉnh ủy đòi hỏi người đứng đầu",
    )
    (folder / SEED_DOC.name).write_text(changed, encoding="utf-8")
    bot.library.build()
    assert {r.id: r.status for r in bot.records.phrasings()}[row.id] == REVIEW
    assert bot.ask("mấy ông đứng đầu phải làm gương thế nào").learned is None

    # The document removed: the link is retired; back with a rollback to the first version.
    first = bot.library.index_versions()[0].name
    bot.library.rollback(first)
    assert {r.id: r.status for r in bot.records.phrasings()}[row.id] == ACTIVE
    shutil.move(folder / SEED_DOC.name, folder.parent / "moved.txt")
    (folder / "other.txt").write_text(
        "HỎI - ĐÁP Về Quy định số 99-QĐ/TU, ngày 01/02/2025 của Ban Thường vụ Tỉnh ủy về thử nghiệm\n"
        "Câu hỏi 1: Quy định 99 áp dụng cho ai?\nTrả lời: Áp dụng cho mọi cán bộ thử nghiệm.\n",
        encoding="utf-8",
    )
    bot.library.build()
    assert {r.id: r.status for r in bot.records.phrasings()}[row.id] == RETIRED


def test_taps_and_votes_are_proposed_never_applied(chat_bot, monkeypatch):
    bot = chat_bot
    from bot.answer.model import Answer, Suggestion

    official = bot.answering.official_answer("46-ct-tu", 4)
    plausible = Answer(
        found=False, confirm=True, suggestions=[Suggestion(official.gid, "46-ct-tu", 4, official.question)]
    )
    real = bot.ask
    monkeypatch.setattr(
        bot, "ask", lambda text, context=None: plausible if "chấn chỉnh" in text else real(text, context)
    )
    turn = say(bot, member_actor(), "mấy cái biểu hiện phải chấn chỉnh là gì z")
    (offer,) = turn.replies
    assert isinstance(offer, Confirm)
    tap(bot, member_actor(), offer.choices[0].action)

    # A refusal's suggestion tapped, then 👍 on the answer it showed.
    refusal = say(bot, member_actor(), "Thủ tục kết nạp đảng viên gồm những bước nào?").replies[0]
    shown = tap(bot, member_actor(), refusal.choices[0].action).replies
    quote = next(r for r in shown if isinstance(r, Quote))
    thumbs_up = next(c for c in quote.choices if c.label.startswith("👍"))
    tap(bot, member_actor(), thumbs_up.action)

    # 👎 on a direct answer.
    direct = say(bot, member_actor(), "Tham mưu lòng vòng là biểu hiện gì?").replies[0]
    thumbs_down = next(c for c in direct.choices if c.label.startswith("👎"))
    tap(bot, member_actor(), thumbs_down.action)
    assert bot.flush_records(30)

    queue = {r.text: r for r in bot.records.phrasings(include_proposed=True)}
    assert queue["mấy cái biểu hiện phải chấn chỉnh là gì z"].origin == "confirmation"
    assert queue["Thủ tục kết nạp đảng viên gồm những bước nào?"].origin == "suggestion"
    assert queue["Tham mưu lòng vòng là biểu hiện gì?"].origin == "thumbs_down"
    assert all(r.status == PROPOSED for r in queue.values())  # nothing applied without an admin
    monkeypatch.undo()
    assert bot.ask("mấy cái biểu hiện phải chấn chỉnh là gì z").learned is None

    # A member cannot take the admin's step.
    step = Review(queue["Tham mưu lòng vòng là biểu hiện gì?"].id, "o")
    refused = tap(bot, member_actor(), step).replies
    assert "chỉ quản trị viên" in refused[0].text
    assert decode("r|1|o|||") == Review(1, "o")


def test_old_question_logs_expire_except_linked_ones_and_exports_are_pseudonymous(bot):
    from bot.learning.privacy import purge
    from bot.storage.models import QuestionLog

    for q in ("câu hỏi cũ một", "câu hỏi cũ hai"):
        say(bot, member_actor(), q)
    assert bot.flush_records(30)
    db = bot._db
    with db.session() as s:
        rows = s.query(QuestionLog).all()
        for r in rows:
            r.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
        kept_id = rows[0].id
    with db.session() as s:
        from bot.learning.store import propose

        propose(s, rows[0].text, None, "unanswered", question_id=kept_id)
    done = purge(db, bot.settings.question_retention_days)
    assert done["questions"] == len(rows) - 1
    with db.session() as s:
        assert [r.id for r in s.query(QuestionLog).all()] == [kept_id]

    name = bot.records.pseudonyms()
    assert name("telegram", MEMBER) == name("telegram", MEMBER) != name("zalo", MEMBER)
    assert MEMBER not in name("telegram", MEMBER) and name("telegram", MEMBER).startswith("tv-")


def test_a_refit_with_poisoned_feedback_is_refused(bot):
    """Admins' links can be wrong: out-of-scope questions linked to answers must not get installed."""
    from bot.evaluate import load_rows
    from tests.conftest import REPO

    cal = load_rows(REPO / "eval" / "calibration.jsonl")
    rows = [r for r in cal if r["expect"]][:60] + [r for r in cal if not r["expect"]][:40]
    baseline = bot.answering.calibrate(rows, quick=True)  # the "installed" model of this test
    poison = [r["q"] for r in load_rows(REPO / "eval" / "calibration-chat.jsonl") if r["cat"] == "oos_near"][:30]
    for i, q in enumerate(poison):
        bot.records.link_phrasing(q, 1 + i % 8, by="test")
    checks = [REPO / "eval" / "holdout.jsonl"]
    result = bot.answering.recalibrate_with_feedback(rows, [], checks, quick=True, baseline=baseline)
    assert result.positives == 30
    assert not result.accepted, {k: v.lines()[-1] for k, v in result.after.items()}
    assert result.worse and all(w.startswith("holdout.jsonl: ") for w in result.worse)
