"""Hostile files: a 3 MB PDF whose streams inflate to 3 GB is refused with a clear Vietnamese message,
by the stream checks, while the server's memory stays where it was; whatever the checks miss meets
the memory limit of the child process every document is parsed in."""

import resource

import pytest
from click.testing import CliRunner

from bot import cli
from bot.conversation.actor import PRIVATE, Actor
from bot.documents import sandbox
from bot.documents.sandbox import ParseLimits, parse_in_child
from bot.errors import DocumentTooLarge
from tests.corpus import pdf_bomb, pdf_justified

GIB = 1024**3


@pytest.mark.parametrize(
    ("streams", "each_mb", "why"),
    [(30, 100, "một luồng dữ liệu giải nén ra hơn 50 MB"), (200, 15, "nội dung giải nén ra hơn 200 MB")],
    ids=["thirty-100MB-streams", "two-hundred-15MB-streams"],
)
def test_a_3mb_pdf_inflating_to_3gb_is_refused_by_docs_preview(assistant, monkeypatch, tmp_path, streams, each_mb, why):
    bomb = pdf_bomb(tmp_path / "tai-lieu.pdf", streams, each_mb * 1024 * 1024)
    assert bomb.stat().st_size < 3.2 * 1024 * 1024 and streams * each_mb >= 3000  # 3 MB, 3 GB inflated
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: assistant)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    result = CliRunner().invoke(cli.main, ["docs", "preview", str(bomb)])
    assert result.exit_code == 1
    assert f"Lỗi: tai-lieu.pdf: tệp PDF bị từ chối: {why} (nghi là “bom nén”)" in result.output
    # Refused in the parsing child, well within 1 GB; this process holds no more than the file.
    assert sandbox.last_run["peak_bytes"] is not None and sandbox.last_run["peak_bytes"] < GIB
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before < 200 * 1024 * 1024
    assert not list(assistant.settings.knowledge_dir.glob("*.pdf"))


def test_an_admins_upload_of_the_bomb_gets_the_same_refusal(seed_settings, embedder, tmp_path):
    from bot.service import Assistant

    settings = seed_settings.model_copy(
        update={"admin_ids": [4201], "database_url": f"sqlite:///{tmp_path / 'bomb.db'}"}
    )
    core = Assistant(settings, embedder=embedder)
    try:
        admin = Actor("telegram", "4201", "4201", PRIVATE, "Quản trị")
        data = pdf_bomb(tmp_path / "bom.pdf").read_bytes()
        turn = core.conversation().upload(admin, "ke-hoach.pdf", data)
        (reply,) = turn.replies
        assert "Không thể thêm tài liệu" in reply.text and "ke-hoach.pdf" in reply.text and "bom nén" in reply.text
    finally:
        core.close()


def test_the_parsing_child_is_capped_whatever_the_checks_miss(tmp_path):
    sample = pdf_justified(tmp_path)
    doc = parse_in_child(sample.path, sample.path.read_bytes(), None, ParseLimits(768 * 1024 * 1024, 60))
    assert len(doc.pairs) == sample.questions  # room enough: parsed as usual, in the child
    # Four 45 MB streams: each under the per-stream check, all under the per-document one, yet pdfminer
    # needs some 300 MB to read them. With a 200 MB cap the child runs out, not this process.
    heavy = pdf_bomb(tmp_path / "nang.pdf", streams=4, inflated_each=45 * 1024 * 1024)
    with pytest.raises(DocumentTooLarge, match="cần quá nhiều bộ nhớ hoặc thời gian để đọc"):
        parse_in_child(heavy, heavy.read_bytes(), None, ParseLimits(200 * 1024 * 1024, 60))
