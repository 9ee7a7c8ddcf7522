"""Members' personal data stays in the database: masked in the unanswered report (CLI, CSV), and never
in the logs, even when the database fails while a question is being logged."""

import csv
import logging

import pytest
from click.testing import CliRunner

from bot import cli
from bot.conversation.actor import PRIVATE, Actor, Incoming
from bot.personal import EMAIL, NAME, NUMBER, PHONE, mask
from bot.service import Assistant

ASKED = [
    "Em là Trần Thị Bích, sđt 0912 345 678, hỏi lương hưu của em bao nhiêu?",
    "gửi giúp em vào bich.tran@gmail.com bảng lương tháng này nhé",
    "đồng chí Lê Minh Tuấn xin nghỉ phép năm mấy ngày? CCCD 001203004567",
    "chuyển tiền thưởng vào STK 0123 4567 8901 giúp em",
]
TYPED = ("0912", "345 678", "bich.tran", "gmail.com", "Trần Thị Bích", "Lê Minh Tuấn", "001203004567", "8901")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sđt 0912345678 nhé", f"sđt {PHONE} nhé"),
        ("gọi +84 912 345 678 hoặc 024.3825.1234", f"gọi {PHONE} hoặc {PHONE}"),
        ("mail cho an.nguyen@so-noivu.gov.vn", f"mail cho {EMAIL}"),
        ("CMND 123456789, CCCD 001203004567", f"CMND {NUMBER}, CCCD {NUMBER}"),
        ("STK 1903 5566 7788 99 Techcombank", f"STK {NUMBER} Techcombank"),
        ("Tôi là Nguyễn Văn An, hỏi về chỉ thị", f"Tôi là {NAME}, hỏi về chỉ thị"),
        ("em Trần Thị Bích ở chi bộ 3 hỏi", f"em {NAME} ở chi bộ 3 hỏi"),
        ("anh Hùng hỏi tham mưu lòng vòng là gì", f"anh {NAME} hỏi tham mưu lòng vòng là gì"),
        ("Lê Minh hỏi về Quy định 31-QĐ/TU", f"{NAME} hỏi về Quy định 31-QĐ/TU"),
        # What the documents say is nobody's personal data: left as typed.
        ("Chỉ thị số 46-CT/TU ngày 03/4/2024 của Ban Thường vụ Tỉnh ủy", None),
        ("Quyết định số 1234/QĐ-UBND năm 2025 áp dụng ở Hà Nội không?", None),
        ("người đứng đầu phải thế nào", None),
    ],
)
def test_personal_data_is_masked_and_document_words_are_not(text, masked):
    assert mask(text) == (masked or text)


@pytest.fixture
def core(seed_settings, embedder, tmp_path):
    core = Assistant(
        seed_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'pd.db'}"}), embedder=embedder
    )
    yield core
    core.close()


def ask_all(core) -> None:
    conv = core.conversation()
    for i, text in enumerate(ASKED):
        member = Actor("telegram", str(5550100 + i), str(5550100 + i), PRIVATE, "Thành viên")
        turn = conv.text(member, Incoming(text=text, addressed=True))
        turn.done(True)
    assert core.flush_records(30)


def test_report_unanswered_csv_writes_a_file_without_phones_or_emails(core, monkeypatch, tmp_path):
    ask_all(core)
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: core)
    out = tmp_path / "chua-tra-loi.csv"
    result = CliRunner().invoke(cli.main, ["report", "unanswered", "--days", "7", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Đã ghi {len(ASKED)} dòng vào {out}" in result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["so_lan", "cau_hoi", "lan_cuoi", "kenh"] and len(rows) == len(ASKED) + 1
    written = data.decode("utf-8-sig")
    assert not [t for t in TYPED if t in written]
    assert PHONE in written and EMAIL in written and NAME in written and NUMBER in written
    assert "lương hưu" in written  # what was asked still reads

    # The same on stdout, and in the human-readable report and the chat's /unanswered.
    for args in (["--csv", "-"], []):
        shown = CliRunner().invoke(cli.main, ["report", "unanswered", "--days", "7", *args]).output
        assert "lương hưu" in shown and not [t for t in TYPED if t in shown]


def test_a_database_error_never_logs_the_question_or_who_asked(core, caplog):
    from sqlalchemy import text

    conv = core.conversation()
    conv.maintain()  # the hourly retention purge, done now: the failure below is the question's log
    core.flush_records(30)
    caplog.set_level(logging.DEBUG)
    with conv.db.engine.begin() as c:
        c.execute(text("DROP TABLE questions"))  # every question log now fails, and is retried
    conv.journal._attempts = 2  # give up quickly
    member = Actor("telegram", "5550199", "5550199", PRIVATE, "Thành viên")
    conv.text(member, Incoming(text=ASKED[0], addressed=True)).done(True)
    core.flush_records(60)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors  # the trouble is reported…
    logged = caplog.text
    assert "INSERT INTO questions" in logged  # …naming what failed,
    assert "5550199" not in logged and not [t for t in TYPED if t in logged]  # …not what or who
    assert "lương hưu" not in logged
