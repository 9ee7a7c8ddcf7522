"""Admins manage documents and index versions: add, replace, remove, roll back, rebuild while serving."""

import hashlib
import shutil
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from bot import cli
from bot.embed.base import Embedder
from bot.errors import DocumentError, DuplicateDocument, IndexBuildError
from bot.index.builder import build_index
from bot.index.store import IndexStore
from bot.service import Assistant
from tests.conftest import DATA

QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
KH77 = DATA / "docs" / "ke-hoach-77-kiem-thu.md"


@pytest.fixture
def core(settings, embedder):
    return Assistant(settings, embedder=embedder)


@pytest.fixture
def run(core, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: core)
    runner = CliRunner()
    return lambda *args, input=None: runner.invoke(cli.main, list(args), input=input)


def source(answer):
    return (answer.source.doc_number, answer.source.question_number) if answer.found else None


def test_cli_add_answer_remove_and_roll_back(core, run):
    assert run("build").exit_code == 0
    added = run("docs", "add", str(QD99), str(KH77))
    assert added.exit_code == 0, added.output
    assert "Đã thêm Quy định số 99-QĐ/TU" in added.output and "Kế hoạch số 77-KH/TU" in added.output

    listing = run("docs", "list")
    assert listing.output.count("đã lập chỉ mục") == 3 and "99-qd-tu" in listing.output
    # Stored under names derived from the documents, not the files' names.
    assert sorted(p.name for p in core.library.knowledge.files()) == [
        "77-kh-tu.md",
        "99-qd-tu.txt",
        "chi-thi-46-CT-TU-hoi-dap.txt",
    ]

    assert source(core.ask("Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?")) == ("99-QĐ/TU", 2)
    section = core.ask("Khi có cảnh báo bão thì cấp ủy phải làm gì?")
    assert section.found and section.source.doc_number == "77-KH/TU" and "trực ban 24/24 giờ" in section.answer
    assert source(core.ask("Tham mưu lòng vòng là biểu hiện gì?")) == ("46-CT/TU", 4)
    # Naming a document steers between documents with similar content.
    assert source(core.ask("Theo Quy định 99, người đứng đầu cấp ủy có trách nhiệm gì?")) == ("99-QĐ/TU", 3)
    assert source(core.ask("Theo Chỉ thị 46, người đứng đầu phải thế nào?")) == ("46-CT/TU", 2)
    help_docs = {d.name for d in core.library.documents()}
    assert help_docs == {"Chỉ thị số 46-CT/TU", "Quy định số 99-QĐ/TU", "Kế hoạch số 77-KH/TU"}

    kept = run("docs", "remove", "99-qd-tu", input="n\n")  # removing asks first; "no" changes nothing
    assert kept.exit_code == 1 and "Xóa Quy định số 99-QĐ/TU (99-qd-tu.txt)" in kept.output
    assert "99-qd-tu.txt" in {p.name for p in core.library.knowledge.files()}
    removed = run("docs", "remove", "99-qd-tu", input="y\n")
    assert removed.exit_code == 0 and "Đã xóa 99-qd-tu.txt" in removed.output
    assert not core.ask("Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?").found
    assert [p.name for p in (core.settings.knowledge_dir / ".history").iterdir()][0].endswith("99-qd-tu.txt")

    versions = run("index", "versions")
    assert versions.output.count("v0") == 3 and versions.output.count("*") == 1
    active = core.index.current().name
    kept = run("index", "rollback", input="n\n")  # the impact first; "n" keeps the version in service
    assert kept.exit_code == 0 and "Quay về phiên bản v0002" in kept.output, kept.output
    assert "Thành viên sẽ được trả lời thêm từ:\nQuy định 99-QĐ/TU: 4 câu trả lời" in kept.output
    assert "Đã hủy, vẫn dùng phiên bản" in kept.output and core.index.current().name == active
    assert not core.ask("Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?").found
    back = run("index", "rollback", input="y\n")
    assert back.exit_code == 0 and "Đã chuyển chỉ mục về phiên bản v0002" in back.output
    assert source(core.ask("Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?")) == ("99-QĐ/TU", 2)
    # The rollback brought the document back into the knowledge folder: the next build keeps it.
    assert "99-qd-tu.txt" in {p.name for p in core.library.knowledge.files()}
    assert run("docs", "list").output.count("đã lập chỉ mục") == 3


def test_refusals_change_nothing(core, settings, tmp_path, run):
    core.library.build()
    before_files = sorted(p.name for p in core.library.knowledge.files())
    before_versions = [v.name for v in core.store.versions()]

    same = tmp_path / "copy-of-46.txt"
    shutil.copy(settings.knowledge_dir / "chi-thi-46-CT-TU-hoi-dap.txt", same)
    with pytest.raises(DuplicateDocument, match="trùng nội dung"):
        core.library.add_documents([(same, None)])
    newer = tmp_path / "ct46-v2.txt"
    newer.write_text(same.read_text(encoding="utf-8") + "\nCâu hỏi 9: Thêm?\nTrả lời: Thêm.\n", encoding="utf-8")
    with pytest.raises(DuplicateDocument, match="--replace"):
        core.library.add_documents([(newer, None)])
    bad = tmp_path / "bad.txt"
    bad.write_text("Tiêu đề\nCâu hỏi 1: A?\nCâu hỏi 2: B?\nTrả lời: x\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="bad.txt, dòng 2"):
        core.library.add_documents([(bad, None)])
    failing = run("docs", "add", str(bad))
    assert failing.exit_code == 1 and "Lỗi: bad.txt, dòng 2" in failing.output

    assert sorted(p.name for p in core.library.knowledge.files()) == before_files
    assert [v.name for v in core.store.versions()] == before_versions

    # An explicit replace works, and a failing rebuild puts the old file back.
    summaries, _ = core.library.add_documents([(newer, None)], replace=True)
    assert summaries[0].replaces == "chi-thi-46-CT-TU-hoi-dap.txt"
    assert core.ask("Tham mưu lòng vòng").found


def test_failed_rebuild_restores_the_knowledge_folder(core, monkeypatch):
    core.library.build()
    files = sorted(p.name for p in core.library.knowledge.files())

    def broken_build(*a, **k):
        raise IndexBuildError("Xây dựng chỉ mục thất bại: thử nghiệm")

    monkeypatch.setattr(core.library, "build", broken_build)
    with pytest.raises(IndexBuildError):
        core.library.add_documents([(QD99, None)])
    with pytest.raises(IndexBuildError):
        core.library.remove_document("46-ct-tu")
    assert sorted(p.name for p in core.library.knowledge.files()) == files


def test_questions_keep_being_answered_during_a_rebuild_and_switch(core):
    core.library.build()
    old_version = core.index.current().name
    errors, answers = [], []
    stop = threading.Event()

    def ask_in_a_loop():
        while not stop.is_set():
            try:
                a = core.ask("Tham mưu lòng vòng không rõ người rõ việc")
                b = core.ask("Người đứng đầu cấp ủy phải là người như thế nào?")
                answers.append((source(a), source(b), a.version))
            except Exception as e:
                errors.append(e)

    worker = threading.Thread(target=ask_in_a_loop)
    worker.start()
    try:
        core.library.add_documents([(QD99, None)])
        # The switch happens while the loop runs; keep asking until answers come from the new version (a
        # few more of them: answers from the cache come back in microseconds, so a count alone could end
        # the loop before the switch is seen).
        new_version = core.index.current().name
        give_up = time.monotonic() + 30
        while worker.is_alive() and time.monotonic() < give_up:
            if sum(1 for _, _, v in answers if v == new_version) >= 5:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        worker.join()
    assert errors == []
    assert answers and all(a == ("46-CT/TU", 4) and b == ("46-CT/TU", 2) for a, b, _ in answers)
    assert {v for _, _, v in answers} >= {old_version, core.index.current().name}


class CountingEmbedder(Embedder):
    """Deterministic vectors from text hashes; records what it embeds (not for quality tests)."""

    def __init__(self, model_id="counting-test-model", dim=32):
        self.model_id = model_id
        self.dim = dim
        self.embedded: list[str] = []

    def _vec(self, text):
        seed = int(hashlib.sha1(text.encode()).hexdigest()[:8], 16)
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)

    def embed_queries(self, texts):
        return np.vstack([self._vec(t) for t in texts])

    def embed_passages(self, texts, progress=None):
        self.embedded.extend(texts)
        if progress:
            progress(len(texts))
        return np.vstack([self._vec(t) for t in texts])


def test_adding_a_small_document_to_10k_units_embeds_only_its_units(cold_settings, segmenter):
    from scripts.bench import synthetic_documents

    settings = cold_settings.model_copy(update={"max_upload_mb": 500})
    synthetic_documents(10_000, settings.knowledge_dir)
    embedder = CountingEmbedder()
    first = build_index(settings, embedder, segmenter)
    assert first.units >= 10_000 and first.embedded == len(set(embedder.embedded))

    embedder.embedded.clear()
    shutil.copy(QD99, settings.knowledge_dir / "99-qd-tu.txt")
    second = build_index(settings, embedder, segmenter)
    from bot.documents.parser import parse_file

    new_units = {u.text for u in parse_file(QD99).units()}
    assert set(embedder.embedded) == new_units
    assert second.embedded == len(new_units) and second.cached == second.units - len(new_units)


def test_changing_the_model_invalidates_the_cache_and_says_so(settings, segmenter):
    build_index(settings, CountingEmbedder("model-a"), segmenter)
    other = CountingEmbedder("model-b")
    result = build_index(settings, other, segmenter)
    assert result.cached == 0 and 0 < result.embedded <= result.units  # duplicates share one vector
    assert any("Mô hình đã đổi" in n and "model-a" in n for n in result.notices)
    assert IndexStore(settings.index_dir).versions()[-1].manifest["model_id"] == "model-b"


def test_a_corrected_version_replaces_the_document_with_a_preview_of_what_changed(core, run, tmp_path):
    from tests.corpus import txt_corrected, txt_hard_wrapped

    original, corrected = txt_hard_wrapped(tmp_path), txt_corrected(tmp_path)
    assert run("docs", "add", str(original.path)).exit_code == 0
    question = "Vụ việc phức tạp thì thời hạn giải quyết đơn thư được kéo dài tối đa bao nhiêu ngày?"
    before = core.ask(question)
    assert source(before) == ("31-QĐ/TU", 2) and "không quá 45 ngày" in before.answer

    preview = core.library.preview_document(corrected.path, "qd31-ban-sua-cuoi.txt")
    assert preview.replaces == "31-qd-tu.txt" and preview.replaces_name == "Quy định số 31-QĐ/TU (31-qd-tu.txt)"
    assert preview.number == "31-QĐ/TU" and preview.date == "12/2/2025" and preview.issuer == "Ban Thường vụ Tỉnh ủy"
    assert preview.items_per_question == {1: 0, 2: 0, 3: 3, 4: 0}
    assert preview.changes == [
        "Thêm Câu hỏi 4: Kết quả tiếp công dân được báo cáo khi nào?",
        "Câu hỏi 2: sửa câu trả lời “…nhưng không quá 45 ngày và phải…” → “…nhưng không quá 60 ngày và phải…”",
    ]

    refused = run("docs", "add", str(corrected.path))  # the CLI shows the preview, then asks for --replace
    assert refused.exit_code == 1
    assert "Sẽ thay thế Quy định số 31-QĐ/TU (31-qd-tu.txt)" in refused.output
    assert "không quá 60 ngày" in refused.output and "--replace" in refused.output
    replaced = run("docs", "add", "--replace", str(corrected.path))
    assert replaced.exit_code == 0, replaced.output
    assert "thay thế 31-qd-tu.txt" in replaced.output

    after = core.ask(question)
    assert source(after) == ("31-QĐ/TU", 2) and "không quá 60 ngày" in after.answer
    assert [d.name for d in core.library.documents()].count("Quy định số 31-QĐ/TU") == 1  # what /help lists
    files = sorted(p.name for p in core.library.knowledge.files())
    assert files == ["31-qd-tu.txt", "chi-thi-46-CT-TU-hoi-dap.txt"]
    history = list((core.settings.knowledge_dir / ".history").iterdir())
    assert len(history) == 1 and history[0].read_bytes() == original.path.read_bytes()  # kept, not served


def test_rollback_then_an_unrelated_upload_does_not_bring_the_document_back(core):
    core.library.build()
    core.library.add_documents([(QD99, None)])
    rolled_to = core.library.rollback()
    assert rolled_to == core.store.versions()[0].name
    asked = "Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?"
    assert source(core.ask(asked)) != ("99-QĐ/TU", 2)
    assert "99-qd-tu.txt" not in {p.name for p in core.library.knowledge.files()}

    core.library.add_documents([(KH77, None)])  # an unrelated upload rebuilds from the knowledge folder
    assert source(core.ask(asked)) != ("99-QĐ/TU", 2)
    assert {d.name for d in core.library.documents()} == {"Chỉ thị số 46-CT/TU", "Kế hoạch số 77-KH/TU"}
    assert not any(q.source.get("doc_number") == "99-QĐ/TU" for q in core.quizzes.quiz_bank())  # the quiz follows

    core.library.build()  # and so does a plain rebuild (/reindex)
    assert {d.name for d in core.library.documents()} == {"Chỉ thị số 46-CT/TU", "Kế hoạch số 77-KH/TU"}


def test_a_document_is_parsed_once_not_at_every_add(core, monkeypatch):
    import bot.documents.sandbox as sandbox

    parsed = []
    real = sandbox.parse_in_child  # every parse of the bot's runs in a capped child process
    monkeypatch.setattr(sandbox, "parse_in_child", lambda path, *a: parsed.append(path.name) or real(path, *a))
    core.library.build()
    assert parsed == ["chi-thi-46-CT-TU-hoi-dap.txt"]
    core.library.add_documents([(QD99, None)])
    core.library.add_documents([(KH77, None)])
    core.library.build()
    # Each content parsed once (the seed's parse was cached on disk by the first build).
    assert parsed == ["chi-thi-46-CT-TU-hoi-dap.txt", QD99.name, KH77.name]


def test_a_hard_link_to_an_outside_file_is_not_indexed(core, run, tmp_path):
    secret = tmp_path / "bang-luong.txt"  # someone's file outside the folder, readable as a document
    secret.write_text(
        "HỎI - ĐÁP\nVề bảng lương mật\nCâu hỏi 1: Lương của giám đốc là bao nhiêu?\n"
        "Trả lời: Lương giám đốc là chín mươi chín triệu đồng mỗi tháng.\n",
        encoding="utf-8",
    )
    (core.settings.knowledge_dir / "bang-luong.txt").hardlink_to(secret)
    built = run("build")
    assert built.exit_code == 0, built.output
    assert "Từ chối bang-luong.txt: là liên kết cứng (hard link)" in built.output
    answer = core.ask("Lương của giám đốc là bao nhiêu?")
    assert "chín mươi chín triệu" not in answer.answer
    assert [d.name for d in core.library.documents()] == ["Chỉ thị số 46-CT/TU"]


def test_a_link_in_the_knowledge_folder_is_refused_and_its_target_never_quoted(core, run, tmp_path):
    knowledge = core.settings.knowledge_dir
    (knowledge / "tai-khoan.txt").symlink_to("/etc/passwd")
    (knowledge / "mat-tich.txt").symlink_to(tmp_path / "khong-co.txt")
    built = run("build")
    assert built.exit_code == 0, built.output
    assert "Từ chối liên kết tai-khoan.txt → /etc/passwd: trỏ ra ngoài thư mục kho văn bản" in built.output
    assert "Liên kết hỏng mat-tich.txt" in built.output
    answer = core.ask("www-data usr sbin nologin")
    assert not answer.found and "nologin" not in answer.answer
    assert [d.name for d in core.library.documents()] == ["Chỉ thị số 46-CT/TU"]
    listed = run("docs", "list")
    assert "tai-khoan" not in listed.output
