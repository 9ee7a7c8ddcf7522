"""The quiz bank generated from the real document: verified, within Telegram's limits, and enough of it."""

import json

import pytest
from click.testing import CliRunner

from bot import cli
from bot.errors import QuizImportError, UserInputError
from bot.quiz.importer import load_quiz_file
from bot.quiz.model import QuizQuestion, limit_problems
from bot.quiz.schedule import describe_days, parse_schedule
from bot.quiz.verify import verify
from bot.text.normalize import normalize
from tests.conftest import SEED_DOC

RAW = normalize(SEED_DOC.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bank(assistant):
    return assistant.quizzes.quiz_bank()


def test_at_least_40_distinct_questions_of_every_kind(bank):
    assert len(bank) >= 40
    assert len({q.id for q in bank}) == len({q.question + "|".join(q.options) for q in bank}) == len(bank)
    assert {q.kind for q in bank} == {"cloze", "item", "fact"}


def test_every_question_holds_telegram_limits_and_cites_its_source(bank):
    for q in bank:
        assert limit_problems(q) == [], q.question
        assert len(q.question) <= 300 and len(q.options) == 4
        assert all(1 <= len(o) <= 100 for o in q.options) and len(q.explanation) <= 200
        assert q.source["doc_number"] == "46-CT/TU"
        assert "46-CT/TU" in q.explanation


def test_every_question_passes_the_validity_check(bank, assistant):
    version = assistant.index.current()
    assert [q.id for q in bank if verify(q, version)] == []


def test_cloze_filled_with_the_right_option_is_the_official_text(bank):
    for q in (q for q in bank if q.kind == "cloze"):
        snippet = q.question.split("\n", 1)[1].strip("…")
        assert normalize(snippet.replace("___", q.options[q.correct])) in RAW, q.question
        for i, wrong in enumerate(q.options):
            if i != q.correct:  # a wrong option never reproduces the document
                assert normalize(snippet.replace("___", wrong)) not in RAW


def test_item_questions_quote_the_cited_item(bank):
    items = [q for q in bank if q.kind == "item"]
    assert len(items) >= 12
    for q in items:
        assert normalize(q.options[q.correct].rstrip("…")) in RAW
        assert q.source["item"] is not None


def test_fact_questions_match_the_title(bank):
    facts = {q.source.get("fact"): q for q in bank if q.kind == "fact"}
    assert facts["date"].options[facts["date"].correct] == "03/4/2024"
    assert facts["issuer"].options[facts["issuer"].correct] == "Ban Thường vụ Tỉnh ủy"
    assert facts["questions"].options[facts["questions"].correct] == "8"


def test_a_tampered_question_fails_verification(bank, assistant):
    version = assistant.index.current()
    cloze = next(q for q in bank if q.kind == "cloze")
    wrong = (cloze.correct + 1) % 4
    tampered = QuizQuestion(cloze.kind, cloze.question, cloze.options, wrong, cloze.explanation, cloze.source)
    assert verify(tampered, version)
    fact = next(q for q in bank if q.kind == "fact")
    assert verify(QuizQuestion("fact", fact.question, fact.options, (fact.correct + 1) % 4, "", fact.source), version)


def test_quiz_bank_json_command(assistant, monkeypatch):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: assistant)
    result = CliRunner().invoke(cli.main, ["quiz", "bank", "--json"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) >= 40
    for row in rows:
        assert set(row) == {"id", "kind", "question", "options", "correct", "explanation", "source"}
        assert row["kind"] in {"cloze", "item", "fact"} and len(row["options"]) == 4 and 0 <= row["correct"] < 4
        assert {"doc_number", "question_number", "item"} <= set(row["source"])


CSV = """question,A,B,C,D,correct,explanation,doc_number,question_number,item
"Biện pháp “giao nhiệm vụ, khoán sản phẩm” nằm ở câu hỏi nào?",Câu 2,Câu 5,Câu 7,Câu 8,B,"Câu hỏi 5, Chỉ thị 46-CT/TU",46-CT/TU,5,
Ai ban hành Chỉ thị 46?,Ban Thường vụ Tỉnh ủy,UBND tỉnh,,,1,,46-CT/TU,,
"""

YAML = """- question: Biện pháp khoán sản phẩm nằm ở câu hỏi nào?
  options: [Câu 2, Câu 5, Câu 7, Câu 8]
  correct: B
  explanation: Câu hỏi 5, Chỉ thị 46-CT/TU
  source: {doc_number: 46-CT/TU, question_number: 5}
- question: Bảng chấm điểm nêu gương ở câu nào?
  options: [Câu 6, Câu 1]
  correct: 1
"""

KNOWN = {"46-CT/TU": set(range(1, 9))}


def test_import_csv_and_yaml(tmp_path):
    (tmp_path / "q.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "q.yaml").write_text(YAML, encoding="utf-8")
    csv_q = load_quiz_file(tmp_path / "q.csv", KNOWN)
    assert [(q.correct, len(q.options)) for q in csv_q] == [(1, 4), (0, 2)]
    assert csv_q[0].source == {"doc_number": "46-CT/TU", "question_number": 5, "item": None}
    yaml_q = load_quiz_file(tmp_path / "q.yaml", KNOWN)
    assert [q.correct for q in yaml_q] == [1, 0] and yaml_q[0].kind == "imported"


@pytest.mark.parametrize(
    "name, text, line, message",
    [
        ("a.csv", CSV.replace("Câu 8,B,", "Câu 8,E,"), 2, "đáp án đúng"),
        ("b.csv", CSV + '"' + "x" * 301 + '",A,B,,,A,,,,\n', 4, "tối đa 300"),
        ("c.csv", CSV + "Chỉ một phương án?,A,,,,A,,,,\n", 4, "từ 2 đến 10 phương án"),
        ("d.csv", CSV.replace("46-CT/TU,5,", "46-CT/TU,15,"), 2, "không có Câu hỏi 15"),
        ("e.csv", CSV + CSV.splitlines()[1] + "\n", 4, "trùng với dòng 2"),
        ("f.yaml", YAML.replace("correct: 1", "correct: 7"), 6, "đáp án đúng"),
        ("g.yaml", "- question: ok\n  options: [a, b\n- question: x\n", 3, "YAML không hợp lệ"),
        ("h.yaml", YAML.replace("  options: [Câu 6, Câu 1]\n", ""), 6, "phương án"),
    ],
)
def test_import_errors_name_the_line(tmp_path, name, text, line, message):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(QuizImportError) as err:
        load_quiz_file(tmp_path / name, KNOWN)
    assert err.value.line == line and message in str(err.value) and f"dòng {line}" in str(err.value)


@pytest.mark.parametrize(
    "args, expected",
    [
        (["07:30"], ("07:30", "0123456")),
        (["7h"], ("07:00", "0123456")),
        (["06:45", "T2-T6"], ("06:45", "12345")),
        (["18:00", "T2,T4,T6"], ("18:00", "135")),
        (["18:00", "T7-CN"], ("18:00", "06")),
        (["08:00", "hằng", "ngày"], ("08:00", "0123456")),
    ],
)
def test_schedule_arguments(args, expected):
    assert parse_schedule(args) == expected


@pytest.mark.parametrize("args", [[], ["25:00"], ["07:30", "T9"], ["07:30", "T6-T2"]])
def test_bad_schedule_arguments_explain_the_usage(args):
    with pytest.raises(UserInputError, match="/quiz_on 07:30"):
        parse_schedule(args)


def test_describe_days():
    assert describe_days("12345") == "T2, T3, T4, T5, T6" and describe_days("0123456") == "hằng ngày"


def test_an_import_reports_every_bad_row_at_once_and_imports_none(tmp_path):
    bad = (
        CSV.replace("Câu 8,B,", "Câu 8,E,")  # line 2: a letter with no option
        + "Chỉ một phương án?,A,,,,A,,,,\n"  # line 4: one option
        + "Câu thứ năm?,Có,Không,,,A,,46-CT/TU,15,\n"  # line 5: a question the document has not
        + "Câu thứ sáu?,Có,Không,,,A,,46-CT/TU,abc,\n"  # line 6: not a number
    )
    (tmp_path / "nhieu-loi.csv").write_text(bad, encoding="utf-8")
    with pytest.raises(QuizImportError) as err:
        load_quiz_file(tmp_path / "nhieu-loi.csv", KNOWN)
    lines = [line for line, _ in err.value.problems]
    reasons = " | ".join(reason for _, reason in err.value.problems)
    assert lines == [2, 4, 5, 6]
    assert "đáp án đúng" in reasons and "từ 2 đến 10 phương án" in reasons
    assert "không có Câu hỏi 15" in reasons and "phải là một số" in reasons
    assert "4 dòng có lỗi, chưa nhập câu nào" in str(err.value)


def test_the_cli_lists_every_bad_row_and_shows_kinds_in_vietnamese(assistant, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "_assistant", lambda settings=None: assistant)
    bad = CSV.replace("Câu 8,B,", "Câu 8,E,") + "Chỉ một phương án?,A,,,,A,,,,\n"
    (tmp_path / "loi.csv").write_text(bad, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["quiz", "import", str(tmp_path / "loi.csv")])
    assert result.exit_code != 0
    assert "loi.csv: 2 dòng có lỗi, chưa nhập câu nào:" in result.output
    assert "  dòng 2: đáp án đúng" in result.output and "  dòng 4: cần từ 2 đến 10 phương án" in result.output
    listing = CliRunner().invoke(cli.main, ["quiz", "bank"])
    assert "[Điền vào chỗ trống]" in listing.output and "[cloze]" not in listing.output


def test_an_xlsx_with_the_template_columns_imports_like_a_csv(tmp_path):
    from openpyxl import Workbook

    from bot.quiz.importer import COLUMNS

    book = Workbook()
    book.active.append(list(COLUMNS))
    book.active.append(
        ["Khoán sản phẩm ở câu hỏi nào?", "Câu 2", "Câu 5", "Câu 7", "Câu 8", "B", "", "46-CT/TU", 5, None]
    )
    book.save(tmp_path / "q.xlsx")
    (q,) = load_quiz_file(tmp_path / "q.xlsx", KNOWN)
    assert (q.correct, q.source["question_number"], q.kind) == (1, 5, "imported")
