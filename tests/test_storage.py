"""Persistence on SQLite and on a real PostgreSQL server: migrations, logs, feedback, roles."""

import datetime as dt

from sqlalchemy import inspect, text

from bot.answer.model import Answer, Source
from bot.storage import repository as repo
from bot.storage.models import QuestionLog

FOUND = Answer(
    found=True,
    answer="x",
    question="q",
    source=Source("t", "46-ct-tu", "46-CT/TU", "c", 4, 5),
    score=0.9,
    kind="item",
    version="v0001",
)
MISSED = Answer(found=False, score=0.1)


def test_migrations_create_the_schema(database):
    """One linear chain of revisions, up to its one head: the web sessions (issue 20) and then the
    intake and the stored documents and versions (issue 22), then the audit log (issue 21)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.storage.db import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == ["0009_audit"]
    assert script.get_revision("0009_audit").down_revision == "0008_intake_storage"
    assert script.get_revision("0008_intake_storage").down_revision == "0007_web_sessions"

    tables = set(inspect(database.engine).get_table_names())
    assert {"questions", "feedback", "roles", "chat_state", "alembic_version"} <= tables
    assert {
        "web_sessions",
        "intake",
        "blobs",
        "blob_chunks",
        "index_versions",
        "knowledge_files",
        "audit_log",
    } <= tables
    with database.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0009_audit"
    database.upgrade()  # idempotent


def test_questions_and_feedback(database):
    qid = repo.log_question(database, "telegram", "42", "7", "Tham mưu lòng vòng", FOUND)
    with database.session() as s:
        row = s.get(QuestionLog, qid)
        assert (row.found, row.question_number, row.item, row.index_version) == (True, 4, 5, "v0001")
    assert repo.record_feedback(database, qid, "telegram", "7", 1)
    assert repo.record_feedback(database, qid, "telegram", "7", -1)  # a new vote replaces the old
    assert repo.record_feedback(database, qid, "telegram", "8", 1)
    assert repo.feedback_counts(database, qid) == (1, 1)
    assert not repo.record_feedback(database, 999_999, "telegram", "7", 1)


def test_unanswered_report_groups_and_orders(database):
    for text_ in ["Tuổi nghỉ hưu?", "tuổi nghỉ hưu?", "Tuổi  nghỉ hưu?", "Giá vàng?"]:
        repo.log_question(database, "telegram", "1", "2", text_, MISSED)
    repo.log_question(database, "zalo", "3", "4", "Giá vàng?", MISSED)
    repo.log_question(database, "telegram", "1", "2", "Tham mưu lòng vòng", FOUND)
    repo.log_question(database, "telegram", "1", "2", "xin chào", Answer(found=False, kind="smalltalk"))
    rows = repo.unanswered(database)
    assert [(r.count, r.question.lower().split()[0]) for r in rows] == [(3, "tuổi"), (2, "giá")]
    assert rows[1].channels == "nhiều kênh"
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert repo.unanswered(database, since=future) == []


def test_roles_and_chat_state(database):
    assert repo.grant_role(database, "telegram", "11", "officer", "1")
    assert not repo.grant_role(database, "telegram", "11", "officer", "1")
    assert repo.has_role(database, "telegram", "11", "officer")
    assert not repo.has_role(database, "zalo", "11", "officer")
    assert repo.revoke_role(database, "telegram", "11", "officer")
    assert not repo.revoke_role(database, "telegram", "11", "officer")
    assert repo.get_chat_state(database, "zalo", "c1") == {}
    repo.set_chat_state(database, "zalo", "c1", {"suggestions": [["46-ct-tu", 4]]})
    repo.set_chat_state(database, "zalo", "c1", {"suggestions": [["46-ct-tu", 5]]})
    assert repo.get_chat_state(database, "zalo", "c1") == {"suggestions": [["46-ct-tu", 5]]}


OPEN_AT = """
import sys, time
from bot.storage.db import Database
for url, start in zip(sys.argv[1::2], sys.argv[2::2]):
    time.sleep(max(0.0, float(start) - time.time()))
    Database(url).dispose()
"""


def test_eight_processes_opening_a_fresh_sqlite_file_at_once_all_succeed(tmp_path):
    """Alembic's migrations are a check-then-create; the file lock makes them one process at a time.
    Eight processes, three rounds: each round a fresh file that all eight open at the same instant."""
    import subprocess
    import sys
    import time

    from tests.conftest import REPO

    first = time.time() + 8  # every process started and imported, then all open at these instants
    rounds = [(f"sqlite:///{tmp_path / f'round-{i}.db'}", str(first + 4 * i)) for i in range(3)]
    argv = [part for url_and_start in rounds for part in url_and_start]
    procs = [
        subprocess.Popen([sys.executable, "-c", OPEN_AT, *argv], cwd=REPO, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    failures = [p.stderr.read()[-300:] for p in procs if p.wait(180) != 0]
    assert not failures, failures
    from bot.storage.db import Database

    for url, _ in rounds:
        db = Database(url, migrate=False)
        with db.engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
        db.dispose()
