"""The audit log: every admin and officer action writes exactly one record (who, when, which channel,
what, on what), in the conversation core, whichever channel it came from; the CLI prints it."""

import datetime as dt

import pytest
from click.testing import CliRunner

from bot import cli
from bot.conversation import weblogin
from bot.conversation.actions import ActionDecision, UploadDecision
from bot.conversation.actor import Actor, Incoming
from bot.service import Assistant
from bot.storage import audit
from tests.conftest import DATA
from tests.turns import OFFICER_QUESTION, run_turn

ADMIN, OFFICER = "9101", "9102"
QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
QUIZ_CSV = (
    "question,A,B,C,D,correct,explanation,doc_number,question_number,item\n"
    '"Khoán sản phẩm là biện pháp ở câu hỏi nào?",Câu 2,Câu 5,Câu 7,Câu 8,B,"Câu hỏi 5, Chỉ thị 46-CT/TU",46-CT/TU,5,\n'
).encode()


@pytest.fixture
def core(settings, embedder):
    assistant = Assistant(settings.model_copy(update={"admin_ids": [int(ADMIN)]}), embedder=embedder)
    assistant.library.build()
    yield assistant
    assistant.close()


def admin() -> Actor:
    return Actor("telegram", ADMIN, ADMIN, "private", "Lê Văn Quản")


def log(core) -> list:
    return audit.entries(core.conversation().db, audit.Filters(), limit=1000)[0]


def one_record(core, action: str, do):
    """Do ``do()``; exactly one record more, of ``action``, by whoever did it."""
    before = len(log(core))
    result = do()
    after = log(core)
    assert len(after) == before + 1, [(r.action, r.target) for r in after[: len(after) - before]]
    assert after[0].action == action
    return after[0], result


def command(core, name, *args, actor=None):
    return run_turn(core.conversation().command(actor or admin(), name, list(args)))


def asked(core, name, *args):
    """A destructive command in chat only asks (no record yet); returns its "✅ Xác nhận" action."""
    before = len(log(core))
    question = command(core, name, *args)
    assert len(log(core)) == before, "the question must not be recorded"
    return next(
        c.action for r in question for c in r.choices if isinstance(c.action, ActionDecision) and c.action.accept
    )


def test_each_admin_and_officer_action_writes_one_record(core):
    conv = core.conversation()
    row, _ = one_record(core, "role_grant", lambda: command(core, "officer_add", OFFICER))
    assert (row.channel, row.actor_id, row.actor_name, row.target) == (
        "telegram",
        ADMIN,
        "Lê Văn Quản",
        "telegram:9102",
    )
    assert dt.datetime.now(dt.UTC) - row.at.replace(tzinfo=dt.UTC) < dt.timedelta(minutes=1)

    def preview_token() -> str:
        upload = conv.upload(admin(), QD99.name, QD99.read_bytes())
        upload.done(True)
        preview = next(r for r in upload.replies if getattr(r, "choices", None))
        return next(c.action.token for c in preview.choices if isinstance(c.action, UploadDecision))

    row, token = one_record(core, "upload", preview_token)
    assert row.target == QD99.name
    one_record(core, "cancel", lambda: run_turn(conv.tap(admin(), UploadDecision(token, False))))
    upload = conv.upload(admin(), QD99.name, QD99.read_bytes())
    upload.done(True)
    preview = next(r for r in upload.replies if getattr(r, "choices", None))
    token = next(c.action.token for c in preview.choices if isinstance(c.action, UploadDecision))
    assert log(core)[0].action == "upload" and log(core)[0].target == QD99.name
    one_record(core, "confirm", lambda: run_turn(conv.tap(admin(), UploadDecision(token, True))))
    assert "99-qd-tu" in {d.doc_id for d in core.library.documents()}

    row, _ = one_record(core, "rebuild", lambda: command(core, "reindex"))
    assert row.target == core.index.current().name
    built = core.index.current().name
    yes = asked(core, "remove", "99-qd-tu")
    row, _ = one_record(core, "remove", lambda: run_turn(conv.tap(admin(), yes)))
    assert row.target == "99-qd-tu" and row.detail == f"99-qd-tu.txt; phiên bản {core.index.current().name}"
    yes = asked(core, "rollback", built)
    row, _ = one_record(core, "rollback", lambda: run_turn(conv.tap(admin(), yes)))
    assert row.target == built and row.detail.startswith("từ v")

    # The review queue: a member's unanswered question, linked, marked, skipped, unlinked.
    member = Actor("telegram", "42", "42", "private", "Lan")
    for text in ("Cán bộ cứ đá bóng việc qua lại cho nhau thì sao?", "Giá vàng hôm nay bao nhiêu?", "Mấy giờ họp?"):
        conv.text(member, Incoming(text=text, addressed=True)).done(True)
    core.flush_records(10)
    cards = [r for r in command(core, "review", "10") if r.choices]
    assert len(cards) >= 3
    ops = {c.action.op: c.action for c in cards[0].choices}
    row, _ = one_record(core, "link", lambda: run_turn(conv.tap(admin(), ops.get("a") or ops["q"])))
    linked = int(row.target.lstrip("#"))
    one_record(
        core,
        "out_of_scope",
        lambda: run_turn(conv.tap(admin(), next(c.action for c in cards[1].choices if c.action.op == "o"))),
    )
    one_record(
        core,
        "skip",
        lambda: run_turn(conv.tap(admin(), next(c.action for c in cards[2].choices if c.action.op == "s"))),
    )
    yes = asked(core, "unlink", str(linked))
    one_record(core, "unlink", lambda: run_turn(conv.tap(admin(), yes)))

    officer = Actor("telegram", OFFICER, OFFICER, "private", "Đỗ Thị Tuyên")
    row, _ = one_record(core, "quiz_import", lambda: run_turn(conv.import_quiz(officer, "cau-hoi.csv", QUIZ_CSV)))
    assert (row.actor_id, row.target, row.detail) == (OFFICER, "cau-hoi.csv", "1 câu mới, 0 câu trùng")
    group = Actor("telegram", OFFICER, "-100777", "group", "Đỗ Thị Tuyên", "Chi bộ 3")
    one_record(
        core, "quiz_schedule", lambda: run_turn(conv.text(group, Incoming(text="/quiz_on 07:30", addressed=True)))
    )
    one_record(core, "quiz_schedule", lambda: run_turn(conv.text(group, Incoming(text="/quiz_off", addressed=True))))
    # The quiz on the web: a question written, turned off, a group's schedule set.
    row, _ = one_record(core, "quiz_edit", lambda: conv.save_quiz_question(officer, OFFICER_QUESTION))
    assert (row.target, row.detail) == (OFFICER_QUESTION["question"], "viết mới")
    written = next(e for e in core.quizzes.quiz_entries() if e.question.question == OFFICER_QUESTION["question"])
    row, _ = one_record(core, "quiz_edit", lambda: conv.set_quiz_question_active(officer, written.question.id, False))
    assert row.detail == "tắt"
    sub = core.quizzes.quiz_subscription(core.quizzes.quiz_subscriptions()[0].id)
    one_record(core, "quiz_schedule", lambda: conv.set_quiz_schedule(officer, sub.id, "06:45", ["T2"], True))
    one_record(core, "login_link", lambda: command(core, "web", actor=officer))
    one_record(core, "role_revoke", lambda: command(core, "officer_remove", OFFICER))


def test_refused_and_mistaken_actions_write_nothing(core):
    member = Actor("telegram", "42", "42", "private", "Lan")
    before = len(log(core))
    command(core, "rollback", actor=member)  # not an admin
    command(core, "officer_add", actor=member)
    command(core, "unlink", "abc")  # a mistake: the usage line, nothing done
    command(core, "officer_remove", "123456")  # not an officer: nothing changed
    assert len(log(core)) == before


def test_the_console_makes_dashboard_staff_and_the_cli_prints_the_log(core, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: core)
    runner = CliRunner()
    made = runner.invoke(cli.main, ["admin", "link", "--role", "officer", "--user", "lan"])
    assert made.exit_code == 0, made.output
    url = made.output.strip().splitlines()[-1]
    assert url.startswith(f"{core.settings.site_url}/admin/login?t=")
    staff = weblogin.redeem(core.conversation(), url.split("?t=", 1)[1])
    assert (staff.channel, staff.user_id) == ("web", "lan")
    assert core.conversation().role(Actor("web", "lan", "lan", "private", "lan")) == "officer"
    assert [r.action for r in log(core)[:2]] == ["login_link", "role_grant"]

    wrong = runner.invoke(cli.main, ["admin", "link", "--user", "Nguyễn Lan"])
    assert wrong.exit_code == 1 and "Tên đăng nhập gồm chữ không dấu" in wrong.output

    printed = runner.invoke(cli.main, ["admin", "audit", "--limit", "5"])
    assert printed.exit_code == 0
    assert "Máy chủ (terminal:local)  Tạo liên kết đăng nhập: web:lan" in printed.output
    assert "giờ Việt Nam" in printed.output
    assert runner.invoke(cli.main, ["admin", "audit", "--since", "31/02/2026"]).exit_code == 1
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    later = runner.invoke(cli.main, ["admin", "audit", "--since", tomorrow])
    assert "Chưa có việc nào được ghi lại." in later.output


def test_the_consoles_own_changes_are_in_the_log_as_the_server(core, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: core)
    runner = CliRunner()
    first = core.index.current().name

    def run(*args):
        out = runner.invoke(cli.main, list(args))
        assert out.exit_code == 0, out.output

    row, _ = one_record(core, "confirm", lambda: run("docs", "add", str(QD99)))
    assert (row.channel, row.actor_id, row.target) == ("terminal", "local", QD99.name)
    one_record(core, "rollback", lambda: run("index", "rollback", first, "--yes"))
    one_record(core, "rebuild", lambda: run("build"))
    row, _ = one_record(
        core, "link", lambda: run("phrasings", "add", "sếp cứ đẩy việc lên trên thì sao", "--question", "4")
    )
    one_record(core, "unlink", lambda: run("phrasings", "remove", row.target.lstrip("#")))
    one_record(core, "out_of_scope", lambda: run("phrasings", "out-of-scope", "lương hưu của tôi bao nhiêu"))
