"""Evidence for accepting the best answer, as numbers a calibrated model weighs.

One similarity score is not enough to refuse well: questions on civil-service
topics the document does not cover share most of its vocabulary and land close
to it in embedding space. So we also measure how much of the question's
*content* the matched answer actually covers, what the corpus has never seen,
and how clearly the best answer beats the runner-up.

Everything lexical is measured on the question part of the message after chat
normalisation (:class:`bot.answer.query.Query`): fillers, address words and the
context sentences of a long message neither help nor hurt. Two signals judge
meaning rather than vocabulary: a question that names a document which is not
loaded (``Kết luận 21-KL/TW``), and one that asks *when*, *how long* or *how
much* while the answer states no date or figure.
"""

from __future__ import annotations

import re

from bot.answer.query import matches
from bot.answer.retrieval import Retrieval, Retriever
from bot.index.version import Group
from bot.text.normalize import fold

FEATURES = (
    "dense",  # best cosine between the message (question part or whole) and the answer's units
    "dense_focus",  # best cosine of the question part alone
    "dense_question",  # cosine to the official question
    "coverage",  # IDF-weighted share of content syllables found in the answer
    "pair_coverage",  # share of adjacent content pairs found in the answer
    "unit_coverage",  # IDF-weighted share of content syllables found in the best unit (an item) and its question
    "unit_pair_coverage",  # share of adjacent content pairs found there
    "uncovered",  # content syllables the answer lacks (capped)
    "corpus_oov",  # content syllables absent from every document (capped)
    "corpus_pair_oov",  # content pairs absent from every document (capped)
    "corpus_word_oov",  # segmented words absent from every document (capped)
    "word_uncovered",  # segmented words the answer lacks (capped)
    "content_size",  # how many content syllables the question part has (scaled)
    "margin",  # fused score of the best answer minus the runner-up
    "doc_margin",  # the same against the runner-up of the same document only (overlapping documents)
    "dense_margin",  # same on cosine only
    "foreign_reference",  # documents named that are neither loaded nor cited by this answer
    "other_document",  # documents named that are not loaded, cited by this answer, and no loaded one is named
    "type_mismatch",  # asks when / how long / how much, and the answer states no date or figure
    "unstated",  # asks a sanction, a place, a specific case, a comparison, and the answer states none
    "dense_z",  # the question part's best cosine here, in spreads above its mean cosine to the corpus at large
    "own_adapter",  # this answer's document has an adapter of its own (learned from its members' messages)
    "named_this",  # the message names loaded documents (number, type and subject) and this answer is from one
    "named_other",  # the message names loaded documents and this answer is from another one
)

# Asking for a time, a duration or an amount (folded text). Vietnamese puts such a question word at
# the start of its clause ("Bao giờ … ?") or at its end ("… là khi nào?", "… bao nhiêu ngày?"); in
# the middle it is usually part of a statement ("chả rõ ai làm, bao giờ xong, …").
_ASKS_FIGURE = re.compile(
    r"\b(khi nao|bao gio|luc nao|ngay nao|thang nao|nam nao|thoi diem nao|thoi han nao|bao lau|may ngay|may thang"
    r"|may nam|bao nhieu (tien|phan tram|nam|thang|ngay|lan|diem|%)|bao nhieu|truoc ngay nao|han chot|may diem)\b"
)
# A count asked with "mấy" + a unit ("mấy lần", "mấy giờ", "mấy kỳ", "mấy thành viên"), in the last
# clause. Bare "mấy" is mostly a plural in chat ("mấy ông", "mấy bạn", "mấy người đứng đầu"), so only
# these units count; in an earlier clause it is context ("nhắn hỏi mấy lần, seen xong im luôn, …").
_ASKS_COUNT = re.compile(r"\bmay (gio|lan|ky|buoi|dot|tuan|thanh vien|phan tram|%|trieu|nghin|dong|ty|cap|vong)\b")
_CLAUSE = re.compile(r"[,;:.?!…]+")


def asks_figure(text: str) -> bool:
    """Does ``text`` ask when, how long or how much (at a clause's edge, or anywhere in its last clause)?"""
    clauses = [c for c in _CLAUSE.split(fold(text)) if c.strip()]
    for n, clause in enumerate(clauses):
        for m in _ASKS_FIGURE.finditer(clause):
            before = len(clause[: m.start()].split())
            after = len(clause[m.end() :].split())
            if before <= 1 or after <= 2:
                return True
        # Anywhere in the last clause ("Mỗi xã được cấp bao nhiêu máy tính mới theo kế hoạch 218?", "bị cảnh
        # cáo thì bao lâu mới được nâng lương lại ạ"), a count, an amount or a time is what it asks, whatever
        # particles follow; in an earlier clause it is usually context ("gửi văn bản mấy lần mà chẳng ai đoái
        # hoài, …"). "Bao nhiêu biểu hiện?" of a list is told apart later (_counts_items).
        if n == len(clauses) - 1 and (_ASKS_FIGURE.search(clause) or _ASKS_COUNT.search(clause)):
            return True
    return False


# What else a question can ask that an answer may simply not state (folded patterns): the sanction
# for a behaviour, where to find or file something, a specific case or a count of cases, how it
# compares with another text. Each is paired with what an answer stating it would contain; an answer
# on the right topic that lacks it does not answer the question ("bị kỷ luật hình thức gì?" asked of
# a passage that only names the behaviour).
_SANCTION_FORMS = (
    r"khien trach|canh cao|cach chuc|khai tru|giang chuc|ha bac|bai nhiem|mien nhiem|buoc thoi viec|thoi viec"
    r"|duoi viec|tru luong|phat tien|truy cuu"
)
_UNSTATED = (
    # A named form of sanction ("khiển trách hay cảnh cáo?", "có bị cách chức không", "phạt tiền bao nhiêu")
    # is stated only by an answer that names one: "xếp loại không hoàn thành nhiệm vụ" or "xử lý nghiêm"
    # is a consequence, not the form asked.
    (
        re.compile(rf"\b(hinh thuc ky luat|ky luat hinh thuc|bi ky luat (hinh thuc )?gi|{_SANCTION_FORMS}|muc phat)\b"),
        re.compile(rf"\b({_SANCTION_FORMS}|hinh thuc ky luat|ky luat bang hinh thuc)\b"),
    ),
    (
        re.compile(
            r"\b(bi ky luat (the nao|ra sao)|bi (phat|xu ly)|xu ly (the nao|ra sao|gi)|che tai|phat bao nhieu)\b"
        ),
        re.compile(
            # "xử lý" in its sense of handling a sanction, not of handling work ("xử lý công việc").
            rf"\b(ky luat|xu ly (ky luat|nghiem|trach nhiem|vi pham|sai pham|theo quy dinh cua dang|theo dieu le)"
            r"|(bi|de|phai|se|xem xet,?|kien quyet|nghiem khac|nghiem tuc|dua ra) xu ly"
            # "phạt" folds to "phat" as "phát" (huy, sinh) does: only in its forms that cannot be "phát".
            rf"|{_SANCTION_FORMS}|xu phat|bi phat|muc phat|phat (hanh chinh|tien)|che tai|thay the|tam dinh chi"
            r"|dieu chuyen|khong hoan thanh nhiem vu)\b"
        ),
    ),
    (re.compile(r"\b(o dau|tai dau|noi nao|cho nao|lay o dau|nop o dau|gui (ve )?dau|dia chi|link|website)\b"), None),
    (
        re.compile(
            r"\b(vi du cu the|truong hop cu the|co ai (da )?bi|da co ai|bao nhieu (nguoi|can bo|dang vien|cuoc|vu|don vi)"
            r"|may (nguoi|can bo|dang vien|cuoc|vu) (da )?bi|ten (la )?gi|ai da)\b"
        ),
        None,
    ),
    (re.compile(r"\b(khac gi|khac nhau|so voi|giong nhau|khac (gi )?so voi)\b"), None),
    (re.compile(r"\b(ai ky|nguoi ky|ky ban hanh|ai la nguoi ky|do ai ky)\b"), re.compile(r"\bky\b")),
    # How far things have come: leaflets state aims and duties, not today's figures.
    (
        re.compile(
            r"\b(den nay|hien nay|hien tai|tu dau nam|nam nay|bay gio)\b.*\b(da|duoc) (co )?(duoc )?bao nhieu\b"
            r"|\b(da|duoc) (co )?bao nhieu\b.*\b(roi|chua)\b"
            r"|\b(nam ngoai|nam truoc|nam qua|vua qua|ca tinh|toan tinh)\b.*\bbao nhieu\b"
        ),
        None,
    ),
)


# A figure of the kind asked: money, a share, a date or deadline, a duration (folded patterns).
_FIGURE_KINDS = (
    (
        re.compile(
            r"\bbao nhieu (tien|dong|ty|trieu|nghin|ngan)\b"
            r"|\b(tien|phu cap|luong|thuong|kinh phi|phat|ho tro|chi phi|le phi|muc chi)\b.{0,24}\bbao nhieu\b"
        ),
        re.compile(r"\d[\d.,]*\s*(dong|trieu|ty|nghin)\b|\b(thang luong|muc luong|he so|luong co so)\b"),
    ),
    (re.compile(r"\b(bao nhieu phan tram|bao nhieu %|ty le (la )?bao nhieu)"), re.compile(r"%|phan tram")),
    # A deadline is stated by a date or a time limit, not by "hằng năm" or "định kỳ" (how often).
    (
        re.compile(r"\b(han chot|han cuoi|thoi han|truoc ngay nao|cham nhat (la )?(khi nao|ngay nao|bao gio))\b"),
        re.compile(r"\d{1,2}/\d{1,2}|\b(truoc ngay|thoi han|cham nhat|trong vong|trong thoi gian|ngay lam viec)\b"),
    ),
    (
        re.compile(
            r"\b(khi nao|bao gio|luc nao|ngay nao|thang nao|nam nao|thoi han|han chot|truoc ngay nao|den khi nao)\b"
        ),
        re.compile(
            r"\d{1,2}/\d{1,2}|\b(nam|thang|quy|ngay) [\divx]+\b|\bhang (nam|thang|quy|tuan)\b|\bdinh ky\b|\btruoc ngay\b"
            r"|\b(ngay|thang|nam) lam viec\b|\bthoi han\b"
        ),
    ),
    (
        re.compile(r"\b(bao lau|may ngay|may thang|may nam|bao nhieu ngay|bao nhieu thang|bao nhieu nam)\b"),
        re.compile(r"\d+\s*(ngay|thang|nam|gio|tuan)|\b(ngay|thang) lam viec\b"),
    ),
)


# A count of things ("bao nhiêu người", "mấy lần", "bao nhiêu xã"): stated by a number before that very
# unit ("02 lần", "ba người", "100% xã"), not by any figure (a year, an article's number). "Mấy người" in
# chat is mostly a plural, so people are counted only with "bao nhiêu".
_COUNTED = (
    r"lan|dot|ky|buoi|cuoc|vong|nguoi|thanh vien|can bo|dang vien|dai bieu|hoc vien|don vi|co quan|xa|phuong"
    r"|huyen|thon|ban|to chuc|co so|chi bo|dang bo|truong|lop|hoi nghi|cuoc hop|dia phuong|ho|gia dinh"
)
_ASKS_HOW_MANY = re.compile(rf"\bbao nhieu ({_COUNTED})\b|\bmay (lan|dot|ky|buoi|cuoc|vong)\b")
_NUMBER_WORD = r"\d[\d.,]*%?|mot|hai|ba|bon|tu|nam|sau|bay|tam|chin|muoi|tram|nghin|cac|moi|tat ca|toan bo"


def _wrong_count(q: str, a: str) -> bool:
    m = _ASKS_HOW_MANY.search(q)
    if not m:
        return False
    unit = m.group(1) or m.group(2)
    return not re.search(rf"\b({_NUMBER_WORD})\s+(\w+\s+){{0,2}}?{unit}\b", a)


def _wrong_figure(question: str, answer: str) -> bool:
    """Asks for a figure of one kind (money, a share, a date, a duration, a count) that the answer never
    gives."""
    q, a = fold(question), fold(answer)
    return _wrong_count(q, a) or any(asked.search(q) and not stated.search(a) for asked, stated in _FIGURE_KINDS)


def unstated(question: str, answer: str) -> int:
    """How many things ``question`` asks (beyond its topic) that ``answer`` does not state."""
    q, a = fold(question), fold(answer)
    return sum(1 for asked, stated in _UNSTATED if asked.search(q) and (stated is None or not stated.search(a)))


# Figures an answer can state: dates, numbers other than item labels "(5)".
_FIGURE = re.compile(r"\d")
_ITEM_LABEL = re.compile(r"\(\d{1,2}\)")


def _capped(n: float, cap: float) -> float:
    return min(float(n), cap)


MARGIN_CAP = 0.05
Z_CAP = 4.0


def _clip(x: float, cap: float) -> float:
    return max(-cap, min(float(x), cap))


def _states_figure(group: Group) -> bool:
    return bool(_FIGURE.search(_ITEM_LABEL.sub(" ", group.answer)))


def _foreign(retrieval: Retrieval, group: Group) -> tuple[int, int]:
    """Documents the message names that are not loaded: (not cited by this answer, cited by it).

    A cited one counts only when the message names none of the loaded documents: then it asks
    about that other document ("Theo QĐ 45 thì tiêu chí … là gì?"), not about ours.
    """
    if not retrieval.query.foreign:
        return 0, 0
    cited = fold(group.question + " " + group.answer)
    count = other = 0
    for ref in retrieval.query.references:
        if ref.label not in retrieval.query.foreign:
            continue
        # "theo Quy định 45…" answered by a text that cites "Quy định số 45-QĐ/TU" is not foreign to it.
        if cites(cited, ref):
            other += not retrieval.query.refs
            continue
        count += 1
    return count, other


def cites(folded_text: str, ref) -> bool:
    """Does a (folded) official text cite the document ``ref`` names ("Quy định số 08-QĐi/TW")?"""
    return bool(re.search(rf"\b{re.escape(ref.number)}\s*-\s*[a-z]", folded_text)) and (
        not ref.kind or ref.kind in folded_text or matches(ref, _cited_number(folded_text, ref.number))
    )


def citation(folded_text: str, number: str) -> re.Match | None:
    """Where a (folded) official text first cites the document numbered ``number`` ("45-qd/tu")."""
    return re.search(rf"\b{re.escape(number)}\s*-\s*[a-z]{{1,6}}(?:/[a-z]{{1,6}})?", folded_text)


def _cited_number(cited: str, number: str) -> str | None:
    m = citation(cited, number)
    return m.group(0).upper() if m else None


def features(retrieval: Retrieval, retriever: Retriever, rank: int = 0) -> list[float]:
    """Feature vector (in :data:`FEATURES` order) for the hit at ``rank``."""
    hits = retrieval.hits
    hit = hits[rank]
    terms = retrieval.terms
    lex = retriever.version.lexicon
    profile = retriever.profile(hit.group)
    corpus = lex.profile

    content = terms.content
    weight = sum(lex.idf(t) for t in content)
    coverage = sum(lex.idf(t) * terms.has(profile, t) for t in content) / weight if weight else 0.0
    pairs = terms.pairs
    pair_cov = sum(1 for a, b in pairs if terms.has_pair(profile, a, b)) / len(pairs) if pairs else 0.0
    unit = retriever.unit_profile(hit.group, hit.best_unit)
    unit_cov = sum(lex.idf(t) * terms.has(unit, t) for t in content) / weight if weight else 0.0
    unit_pair_cov = sum(1 for a, b in pairs if terms.has_pair(unit, a, b)) / len(pairs) if pairs else 0.0
    uncovered = sum(1 - terms.has(profile, t) for t in content)
    oov = sum(1 - terms.has(corpus, t) for t in content)
    pair_oov = sum(1 for a, b in pairs if not terms.has_pair(corpus, a, b))
    word_oov = sum(1 for w in terms.words if w not in corpus.words)
    word_unc = sum(1 for w in terms.words if w not in profile.words)

    others = [h for i, h in enumerate(hits) if i != rank]
    margin = hit.score - max((h.score for h in others), default=hit.score - 1.0)
    doc_margin = hit.score - max(
        (h.score for h in others if h.group.doc_id == hit.group.doc_id), default=hit.score - 0.1
    )
    dense_margin = hit.dense - max((h.dense for h in others), default=hit.dense - 1.0)
    mismatch = float(
        asks_figure(retrieval.focus)
        and not _counts_items(retrieval, hit.group)
        and (not _states_figure(hit.group) or _wrong_figure(retrieval.focus, hit.group.answer))
    )
    foreign, other = _foreign(retrieval, hit.group)
    named = retrieval.query.refs
    return [
        hit.dense,
        hit.dense_focus,
        hit.dense_question,
        coverage,
        pair_cov,
        unit_cov,
        unit_pair_cov,
        _capped(uncovered, 4),
        _capped(oov, 4),
        _capped(pair_oov, 4),
        _capped(word_oov, 3),
        _capped(word_unc, 3),
        min(len(content), 8) / 8,
        # Margins and the lift over the corpus are capped: past these values they say nothing more, and an
        # index of one leaflet (few competitors) would otherwise read as certainty.
        _clip(margin, MARGIN_CAP),
        _clip(doc_margin, MARGIN_CAP),
        _clip(dense_margin, MARGIN_CAP),
        _capped(foreign, 2),
        _capped(other, 2),
        mismatch,
        _capped(unstated(retrieval.focus, hit.group.answer), 2),
        _clip((hit.dense_focus - retrieval.background[0]) / retrieval.background[1], Z_CAP),
        float(retriever.has_adapter(hit.group.doc_id)),
        float(bool(named) and hit.group.doc_id in named),
        float(bool(named) and hit.group.doc_id not in named),
    ]


_COUNT_OF_ITEMS = re.compile(
    r"\bbao nhieu (bieu hien|noi dung|y|diem|muc|van de|yeu cau|nhiem vu|giai phap|bien phap)\b"
)


def _counts_items(retrieval: Retrieval, group: Group) -> bool:
    """ "Có bao nhiêu biểu hiện?" is answered by a list: its items are the figure."""
    return bool(_COUNT_OF_ITEMS.search(fold(retrieval.focus))) and len(group.positions) > 3
