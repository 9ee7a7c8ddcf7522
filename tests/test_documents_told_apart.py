"""Several leaflets loaded together (the seed, Nghị quyết 09 as a PDF, Kế hoạch 218 — which implements
it, on the same themes — as a Word file, Quy định 78): each message is answered from the right one, a
document's own questions about itself are answered from its title, follow-ups are read with the last
answer, labels name their document, and small talk is never quoted. Real model, real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answer.followup import Context
from bot.conversation.actor import GROUP, PRIVATE, Actor, Incoming
from bot.conversation.replies import Confirm, Quote, Refusal
from tests.corpus import render_leaflet

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "eval" / "corpus" / "docs"


def official(doc: str) -> dict[int, tuple[str, str]]:
    """Question number → (official question, official answer text) of a corpus leaflet."""
    from bot.documents.parser import parse_file

    return {p.number: (p.question, p.answer) for p in parse_file(CORPUS / f"{doc}.txt").pairs}


# --- which document answers -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "doc"),
    [
        ("kh218 đặt ra những chỉ tiêu gì đến năm 2025?", "218-kh-ubnd"),
        ("nq09 đặt ra những chỉ tiêu gì đến năm 2025?", "09-nq-tu"),
        ("theo kế hoạch của ubnd về chuyển đổi số thì nhiệm vụ trọng tâm là gì", "218-kh-ubnd"),
        ("nghị quyết về chuyển đổi số của ban chấp hành đề ra nhiệm vụ giải pháp gì", "09-nq-tu"),
    ],
)
def test_a_named_document_answers(multidoc, message, doc):
    a = multidoc.ask(message)
    assert a.found, a.to_json()
    assert a.source.doc_id == doc, a.to_json()


@pytest.mark.xfail(
    strict=True,
    reason="known gap (docs/answering.md): the calibrated model refuses this figure question "
    "(p=0.14 for NQ 09's bullet, 0.07 for KH 218 câu 3 (2) that states it), so no alternative is offered",
)
def test_two_documents_that_answer_alike_one_quoted_the_other_one_tap_away(multidoc):
    a = multidoc.ask(
        "mục tiêu chuyển đổi số đến năm 2025 về tỷ lệ hồ sơ công việc xử lý trên môi trường mạng là bao nhiêu"
    )
    assert a.found, a.to_json()
    nq09, kh218 = official("nq09"), official("kh218")
    texts = {ans for _, ans in nq09.values()} | {ans for _, ans in kh218.values()}
    items = {it for ans in texts for it in ans.splitlines()}
    assert a.answer in texts or a.answer in items  # one official text, never a mix
    assert a.alternatives, a.to_json()
    assert {a.source.doc_id, a.alternatives[0].doc_id} == {"09-nq-tu", "218-kh-ubnd"}


def test_every_offered_question_names_its_document(multidoc):
    a = multidoc.ask("tuổi nghỉ hưu của cán bộ nữ là bao nhiêu")
    assert not a.found
    assert all(s.document for s in a.suggestions), a.to_json()


# --- the documents themselves -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "doc", "fact"),
    [
        ("kh218 do cơ quan nào ban hành", "218-kh-ubnd", "Ủy ban nhân dân tỉnh"),
        ("Kế hoạch 218/KH-UBND ban hành ngày nào?", "218-kh-ubnd", "02/7/2024"),
        ("văn bản nào triển khai nghị quyết 09 về chuyển đổi số", "218-kh-ubnd", "218/KH-UBND"),
        ("quy định khuyến khích cán bộ năng động sáng tạo là quy định số mấy", "78-qd-tu", "78-QĐ/TU"),
        ("nghi quyet 09 ban hanh ngay nao", "09-nq-tu", "14/3/2024"),
        ("kh 218 thuộc cơ quan nào ban hành", "218-kh-ubnd", "Ủy ban nhân dân tỉnh"),
        ("qđ 78 là quy định gì", "78-qd-tu", "khuyến khích"),
    ],
)
def test_metadata_of_every_document(multidoc, message, doc, fact):
    a = multidoc.ask(message)
    assert a.found and a.kind == "meta", a.to_json()
    assert a.source.doc_id == doc and fact in a.answer


def test_what_a_title_never_says_is_not_read_from_it(multidoc):
    """Validity is not the issue date: "có hiệu lực" is answered by the official answer that states it
    (Quy định 78, Câu hỏi 11), and never by a sentence made from a title."""
    a = multidoc.ask("qđ 78 có hiệu lực từ khi nào")
    assert a.found and a.kind != "meta", a.to_json()
    assert (a.source.doc_id, a.source.question_number) == ("78-qd-tu", 11), a.to_json()
    assert multidoc.ask("nghị quyết 09 có hiệu lực đến năm nào").kind != "meta"
    # What it implements, when its title does not say: its text may, its title cannot.
    assert multidoc.ask("qđ 78 thực hiện chỉ thị nào của bộ chính trị").kind != "meta"
    assert multidoc.ask("kh218 do ai ký").kind != "meta"


def test_which_loaded_text_cites_a_document_that_is_not_loaded(multidoc):
    """Kết luận 14-KL/TW is not loaded; Quy định 78's first answer says it makes it concrete."""
    a = multidoc.ask("kết luận 14-KL/TW của bộ chính trị được cụ thể hóa trong văn bản nào của tỉnh")
    assert a.found, a.to_json()
    assert (a.source.doc_id, a.source.question_number) == ("78-qd-tu", 1), a.to_json()
    assert "Kết luận số 14-KL/TW" in a.answer
    # Asking what that other document itself says stays unanswered: it is not ours to quote.
    assert not multidoc.ask("kết luận 14-KL/TW yêu cầu những gì").found


def test_the_date_of_a_document_that_is_not_loaded_is_quoted_from_the_text_that_cites_it(multidoc):
    """Quy định 78 cites "Kết luận số 14-KL/TW, ngày 22/9/2021 của Bộ Chính trị": asked when (or by whom)
    that Kết luận was issued, members get the official text that says so, not a refusal."""
    for message in ("kết luận 14 ban hành ngày nào", "kl 14-KL/TW do ai ban hành vậy"):
        a = multidoc.ask(message)
        assert a.found and (a.source.doc_id, a.source.question_number) == ("78-qd-tu", 1), a.to_json()
        assert "14-KL/TW, ngày 22/9/2021 của Bộ Chính trị" in a.answer
    # What the citation does not state (how long it is in force, a deadline) is still refused.
    assert not multidoc.ask("kết luận 14 có hiệu lực đến năm nào").found
    assert not multidoc.ask("hạn cuối thực hiện kết luận 14 là ngày nào").found


def test_a_document_that_is_not_loaded_is_refused_as_such(multidoc):
    a = multidoc.ask("Nghị quyết 35 ban hành ngày nào?")
    assert not a.found and a.kind == "not_loaded" and "Nghị quyết 35" in a.question


# --- follow-ups -----------------------------------------------------------------------------------------
def test_follow_ups_read_with_the_previous_answer(multidoc):
    first = multidoc.ask("qđ 78 áp dụng đối với những đối tượng nào?")
    assert first.found and first.source.doc_id == "78-qd-tu", first.to_json()
    ctx = Context(first.source.doc_id, first.source.question_number, first.source.item)
    item = multidoc.ask("ý 2 là gì?", ctx)
    assert item.found and item.kind == "item" and item.source.item == 2
    assert item.source.question_number == first.source.question_number
    when = multidoc.ask("văn bản đó ban hành ngày nào?", ctx)
    assert when.found and when.kind == "meta" and "20/8/2024" in when.answer
    # Without the context the same words are no question at all.
    assert not multidoc.ask("ý 2 là gì?").found


def test_an_official_question_asked_by_its_number(multidoc):
    """Members reading a leaflet ask for "câu 3" of it: the whole official answer, from the document
    named, else the one the chat was about; with neither, each document's question of that number."""
    a = multidoc.ask("cho em xem câu hỏi số 3 của qđ 78")
    assert a.found and (a.source.doc_id, a.source.question_number) == ("78-qd-tu", 3), a.to_json()
    assert a.answer == official("qd78")[3][1]
    ctx = Context("218-kh-ubnd", 1, None)
    b = multidoc.ask("câu 2 thì sao", ctx)
    assert b.found and (b.source.doc_id, b.source.question_number) == ("218-kh-ubnd", 2), b.to_json()
    c = multidoc.ask("câu 2 là gì?")
    assert not c.found and c.kind == "which_document", c.to_json()
    assert {s.question_number for s in c.suggestions} == {2} and len({s.doc_id for s in c.suggestions}) >= 3
    assert all(s.document for s in c.suggestions)
    core = multidoc.conversation()
    [reply] = core.text(_member(PRIVATE), Incoming("câu 2 là gì?", addressed=True)).replies
    assert isinstance(reply, Refusal) and len(reply.choices) == len(c.suggestions)
    # Every channel says which documents have it, not "nothing found".
    from bot.channels import plain
    from bot.channels.telegram import render as telegram
    from bot.channels.web import render as web

    said = "Nhiều văn bản có Câu hỏi 2"
    text = plain.render(reply, plain.Numbering())
    assert said in text and "Quy định 78" in text and "chưa tìm thấy" not in text, text
    assert said in "".join(m.html for m in telegram.messages(reply))
    assert said in web.view(reply).body
    # A number a document does not have is searched like any other message, never a made-up question.
    assert not multidoc.ask("câu 40 của qđ 78").found


def test_a_question_of_its_own_is_not_a_follow_up(multidoc):
    ctx = Context("78-qd-tu", 2, None)
    a = multidoc.ask("Kế hoạch 218/KH-UBND ban hành ngày nào?", ctx)
    assert a.kind == "meta" and a.source.doc_id == "218-kh-ubnd"


# --- small talk, through the conversation core --------------------------------------------------------
def _member(chat_kind=GROUP):
    return Actor("telegram", "u-77", "g-1" if chat_kind == GROUP else "u-77", chat_kind, "Thành viên")


@pytest.mark.parametrize("text", ["cảm ơn bot nhé", "bot trả lời nhanh ghê, giỏi quá 👍", "ok e hiểu rồi ạ"])
def test_thanks_in_a_group_get_silence_and_in_private_a_short_reply(multidoc, text):
    core = multidoc.conversation()
    assert core.text(_member(GROUP), Incoming(text, addressed=True, mentioned=True)).replies == []
    assert core.text(_member(GROUP), Incoming(text, addressed=True, reply_to_bot=True)).replies == []
    private = core.text(_member(PRIVATE), Incoming(text, addressed=True)).replies
    assert len(private) == 1 and not isinstance(private[0], Quote)


def test_labels_in_the_chat_name_the_document(multidoc):
    core = multidoc.conversation()
    turn = core.text(_member(PRIVATE), Incoming("cán bộ được thưởng gì khi làm việc tốt", addressed=True))
    offers = [r for r in turn.replies if isinstance(r, Refusal | Confirm | Quote)]
    labels = [c.label for r in offers for c in r.choices if "Câu hỏi" in c.label]
    assert labels and all(" – " in label for label in labels), labels


# --- the preview's self-test ----------------------------------------------------------------------------
def test_the_self_test_flags_a_collision(multidoc, tmp_path):
    """A new plan that repeats Nghị quyết 09's questions is flagged before anyone confirms it."""
    text = (CORPUS / "nq09.txt").read_text(encoding="utf-8")
    twin = text.replace(
        "Nghị quyết số 09-NQ/TU, ngày 14/3/2024 của Ban Chấp hành Đảng bộ tỉnh",
        "Kế hoạch số 77-KH/TU, ngày 01/10/2024 của Ban Thường vụ Tỉnh ủy",
        1,
    )
    source = tmp_path / "kh77.txt"
    source.write_text(twin, encoding="utf-8")
    path = render_leaflet(source, tmp_path / "upload", "docx")
    summary, checks = multidoc.library.self_test_document(path, "ke-hoach-77.docx")
    assert summary.number == "77-KH/TU"
    assert checks and any(c.collides_with for c in checks)
    assert any("Nghị quyết 09-NQ/TU" in label for c in checks for label in c.collides_with)
    # Nothing was added: the live index still holds four documents.
    assert len(multidoc.library.documents()) == 4


def test_a_document_s_own_adapter_leaves_the_other_documents_alone(multidoc, tmp_path):
    """An adapter trained on the seed's messages is applied where the seed's units are scored, and
    nowhere else: a question about another leaflet is ranked among that leaflet's units as before."""
    import numpy as np

    from bot.answer.retrieval import Retriever
    from bot.embed.adapter import AdaptedEmbedder, QueryAdapter

    version = multidoc.index.current()
    rng = np.random.default_rng(3)
    w = np.eye(384, dtype=np.float32) + 0.05 * rng.standard_normal((384, 384)).astype(np.float32)
    adapter = QueryAdapter(None, multidoc.embedder.model_id, {"46-ct/tu": w})
    adapter.save(tmp_path / "a.npz")
    loaded = QueryAdapter.load(tmp_path / "a.npz")
    assert loaded.digest == adapter.digest and set(loaded.documents) == {"46-ct/tu"}

    plain = Retriever(version, multidoc.embedder, multidoc.segmenter, 0.1)
    adapted = Retriever(version, AdaptedEmbedder(multidoc.embedder, loaded), multidoc.segmenter, 0.1)
    question = "cán bộ có sáng kiến đổi mới được khuyến khích như thế nào"
    every = len(version.groups)  # every group ranked: a random adapter may push the seed's far down
    before = {h.group.gid: h for h in plain.retrieve(question, top_groups=every).hits}
    after = {h.group.gid: h for h in adapted.retrieve(question, top_groups=every).hits}
    others = [g for g in before if g in after and before[g].group.doc_id != "46-ct-tu"]
    assert others
    for gid in others:
        assert after[gid].dense == pytest.approx(before[gid].dense, abs=1e-6)
    seed = [g for g in before if g in after and before[g].group.doc_id == "46-ct-tu"]
    assert seed and any(abs(after[g].dense - before[g].dense) > 1e-4 for g in seed)  # scored by its adapter
