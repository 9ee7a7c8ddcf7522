"""An answer is never lost to its own bookkeeping: logs are written after delivery, in the
background, retried while the database is locked, cleaned of what databases refuse, and a database
that vanished or became read-only is reported once, clearly."""

import logging
import sqlite3
import threading

from bot.conversation.actor import Actor, Incoming
from bot.conversation.replies import Quote
from bot.service import Assistant
from bot.storage import repository
from bot.storage.clean import clean_text
from bot.storage.db import Database
from bot.storage.journal import Journal
from bot.storage.models import QuestionLog


def test_a_question_is_answered_while_another_writer_holds_the_database(seed_settings, embedder, tmp_path):
    settings = seed_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'busy.db'}"})
    core = Assistant(settings, embedder=embedder)
    conv = core.conversation()
    actor = Actor("telegram", "42", "42")
    conv.text(actor, Incoming(text="người đứng đầu phải thế nào", addressed=True)).done(True)  # warm
    assert core.flush_records(timeout=60)  # nothing of ours pending when the other writer comes

    other = sqlite3.connect(tmp_path / "busy.db", timeout=30)
    other.execute("BEGIN EXCLUSIVE")  # another process writing for as long as this test wants (≥ 40 s)
    other.execute("INSERT INTO roles (channel, user_id, role) VALUES ('x', 'y', 'z')")
    answered = threading.Event()
    try:
        turn = conv.text(actor, Incoming(text="khoán sản phẩm là gì", addressed=True))
        answered.set()
        assert isinstance(turn.replies[0], Quote) and turn.replies[0].answer.source.question_number == 5
        turn.done(True)  # delivered: the log goes to the background writer, which waits for the lock
        assert answered.is_set()  # the reply came while the lock was still held
        assert not core.flush_records(timeout=0.5)  # …and the log is still waiting
    finally:
        other.rollback()
        other.close()
    assert core.flush_records(timeout=60)
    with Database(settings.database_url).session() as s:
        assert s.query(QuestionLog).filter_by(text="khoán sản phẩm là gì").count() == 1
    core.close()


def test_text_is_stored_without_what_databases_refuse(database):
    dirty = "Tham m\x00ưu\x07 lòng\ud800 vòng\ufffe\n\tok"
    assert clean_text(dirty) == "Tham mưu lòng vòng\n\tok"
    from bot.answer.model import Answer

    qid = repository.log_question(database, "zalo", "c\x00", "u\x00", dirty, Answer(found=False))
    with database.session() as s:
        row = s.get(QuestionLog, qid)
        assert row.text == "Tham mưu lòng vòng\n\tok" and row.chat_id == "c" and row.user_id == "u"


def test_a_deleted_database_is_reported_once_and_recreated(tmp_path, caplog):
    path = tmp_path / "gone.db"
    db = Database(f"sqlite:///{path}")
    journal = Journal(db, attempts=3, max_wait=0.01)
    from bot.answer.model import Answer

    def log_one(text):
        row = repository.question_row("zalo", "1", "2", text, Answer(found=False))
        journal.submit("question log", lambda s: s.add(row))

    log_one("trước")
    assert journal.flush(30)
    db.engine.dispose()
    path.unlink()
    caplog.set_level(logging.WARNING)
    for i in range(3):
        log_one(f"sau {i}")
    assert journal.flush(30)
    vanished = [r for r in caplog.records if "was deleted while running" in r.getMessage()]
    assert len(vanished) == 1 and str(path) in vanished[0].getMessage()
    with db.session() as s:
        assert [r.text for r in s.query(QuestionLog).order_by(QuestionLog.id)] == ["sau 0", "sau 1", "sau 2"]
    journal.close()


def test_a_read_only_database_is_reported_once(tmp_path, caplog):
    path = tmp_path / "ro.db"
    Database(f"sqlite:///{path}").dispose()
    db = Database(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    db.url = f"sqlite:///{path}"  # the file itself exists: only writing fails
    journal = Journal(db, attempts=3, max_wait=0.01)
    caplog.set_level(logging.WARNING)
    for i in range(3):
        journal.submit("chat choices", lambda s, i=i: repository.put_chat_state(s, "zalo", f"c{i}", {}))
    assert journal.flush(30)
    said = [r.getMessage() for r in caplog.records]
    assert sum("became read-only" in m and "retried in the background" in m for m in said) == 1, said
    assert sum("gave up writing" in m for m in said) == 1 and journal.dropped == 3
    journal.close()
