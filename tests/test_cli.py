"""The ``hoidap`` command line: every command documented, JSON lines, clean errors."""

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from bot import cli
from tests.conftest import REPO


def all_commands(group: click.Group, prefix: str = ""):
    for name, cmd in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        yield full, cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, full + " ")


@pytest.fixture
def runner(assistant, monkeypatch):
    """CLI runner wired to the session's assistant (no second model load)."""
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: assistant)
    return CliRunner()


def test_every_command_has_help_with_example_and_is_in_readme():
    # The README is the front door; the command reference lives in docs/ (configuration.md).
    docs = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    readme = "\n".join(p.read_text(encoding="utf-8") for p in docs)
    runner = CliRunner()
    for name, cmd in all_commands(cli.main):
        result = runner.invoke(cli.main, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert cmd.help and cmd.help.strip(), f"{name} has no help"
        if not isinstance(cmd, click.Group):
            assert "Example:" in cmd.help, f"{name} help has no example"
        assert f"hoidap {name}" in readme, f"`hoidap {name}` is missing from README.md and docs/"


def test_ask_json_reads_stdin_one_object_per_line(runner):
    result = runner.invoke(cli.main, ["ask", "--json", "-"], input="Tham mưu lòng vòng\n\nGiá vàng hôm nay?\n")
    assert result.exit_code == 0, result.output
    lines = result.output.strip("\n").split("\n")
    assert len(lines) == 3
    first, empty, oos = (json.loads(line) for line in lines)
    assert first["found"] and first["source"]["question_number"] == 4 and first["source"]["item"] == 5
    assert first["answer"].startswith("(5) Tham mưu")
    assert empty["found"] is False and oos["found"] is False


def test_ask_human_readable_has_quote_and_citation(runner):
    result = runner.invoke(cli.main, ["ask", "Người đứng đầu phải thế nào?"])
    assert result.exit_code == 0
    assert "“Phải thực sự nêu gương" in result.output
    assert "— Câu hỏi 2 — Hỏi-Đáp Chỉ thị số 46-CT/TU ngày 03/4/2024" in result.output


def test_eval_prints_categories_and_summary(runner):
    result = runner.invoke(cli.main, ["eval", str(REPO / "eval" / "holdout.jsonl")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith("inscope_top1=")
    assert "oos_reject=" in result.output and "item " in result.output


def test_chat_ends_cleanly_at_end_of_input(runner):
    result = runner.invoke(cli.main, ["chat"], input="xin chào\nTham mưu lòng vòng\n")
    assert result.exit_code == 0
    assert "Xin chào!" in result.output and "Câu hỏi 4, mục (5)" in result.output


def test_domain_errors_are_one_clean_line_and_exit_1(tmp_path, monkeypatch):
    monkeypatch.setenv("HOIDAP_KNOWLEDGE_DIR", str(tmp_path / "nothing"))
    monkeypatch.setenv("HOIDAP_INDEX_DIR", str(tmp_path / "index"))
    cli.get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.main, ["build"])
    finally:
        cli.get_settings.cache_clear()
    assert result.exit_code == 1
    assert "Lỗi:" in result.output and "Traceback" not in result.output


def test_console_script_end_to_end(seed_settings, tmp_path):
    """The installed ``hoidap`` script, in its own process, answering JSON lines from stdin."""
    env = dict(
        os.environ,
        HOIDAP_INDEX_DIR=str(seed_settings.index_dir),
        HOIDAP_MODEL=seed_settings.model,
        # Its own database: not whatever data/hoidap.db a developer's earlier runs left in the checkout.
        HOIDAP_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        HOIDAP_DATA_DIR=str(tmp_path / "data"),
    )
    exe = os.path.join(os.path.dirname(sys.executable), "hoidap")
    proc = subprocess.run(
        [exe, "ask", "--json", "-"],
        input="khoan san pham la gi\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["found"] and answer["source"]["question_number"] == 5


def test_report_unanswered_prints_and_exports_csv(tmp_path, monkeypatch):
    from bot.answer.model import Answer
    from bot.storage import repository
    from bot.storage.db import Database

    url = f"sqlite:///{tmp_path / 'r.db'}"
    db = Database(url)
    for q in ["Tuổi nghỉ hưu?", "tuoi nghi huu", "Tuổi nghỉ hưu?", "Giá vàng?"]:
        repository.log_question(db, "telegram", "1", "2", q, Answer(found=False))
    monkeypatch.setenv("HOIDAP_DATABASE_URL", url)
    cli.get_settings.cache_clear()
    try:
        shown = CliRunner().invoke(cli.main, ["report", "unanswered"])
        exported = CliRunner().invoke(cli.main, ["report", "unanswered", "--csv", "-"])
    finally:
        cli.get_settings.cache_clear()
    assert shown.exit_code == 0 and "     3  Tuổi nghỉ hưu?" in shown.output  # variants counted together
    lines = exported.output.strip().splitlines()
    assert lines[0] == "so_lan,cau_hoi,lan_cuoi,kenh" and lines[1].startswith("3,Tuổi nghỉ hưu?,")


def test_one_invalid_byte_spoils_one_line_not_the_stream(runner):
    """printf 'Tham m\\xffưu lòng vòng\\nTham mưu lòng vòng\\n' | hoidap ask --json -"""
    data = b"Tham m\xff" + "ưu lòng vòng\nTham mưu lòng vòng\n".encode()
    result = runner.invoke(cli.main, ["ask", "--json", "-"], input=data)
    assert result.exit_code == 0, result.output
    first, second = (json.loads(line) for line in result.output.strip("\n").split("\n"))
    assert "found" in first
    assert second["found"] and second["source"]["question_number"] == 4
