"""Questions about a document itself: "Chỉ thị 46 ban hành ngày nào?", "kh218 do ai ban hành?",
"chỉ thị về thực hành tiết kiệm là chỉ thị số mấy?", "văn bản nào triển khai Nghị quyết 35?".

They are answered from the metadata parsed from the document's title line — number, type, date,
issuer, subject — never from generated text: the reply states those facts and the title is quoted
as the source. A message is about metadata only when

- it asks one of the questions below (when, who, which number, what about, which period, which
  document it implements, which document says …, how many questions), and
- it points at one *loaded* document: by number ("ct 46", "218/KH-UBND"), by type and subject
  ("chỉ thị về tiết kiệm"), by what its title says ("văn bản nào của tỉnh nói về chuyển đổi số"),
  by "văn bản đó" right after one of its answers (the caller passes it), or as the only one; and
- nothing else is asked: every remaining word of the message is in that document's title (one may
  be left over). "Chỉ thị 46 yêu cầu nghiêm khắc với những nội dung gì" asks about content.

Attributes the title does not carry (validity, who signed, what it replaces, pages) are not metadata
questions, and a message that names a document which is not loaded never gets a sentence about
ours — unless that document is the one a loaded title says it implements ("văn bản nào triển khai
Nghị quyết 35" when Chương trình 14 says it does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer import titles
from bot.answer.query import matches
from bot.documents.metadata import NUMBER_RE, number_key
from bot.documents.model import DocumentMeta, format_date
from bot.text.analysis import FOLDED_STOPWORDS
from bot.text.normalize import canonical, fold

# Patterns run on folded text so unaccented questions are understood too.
_WHEN = re.compile(
    r"\b(ban hanh|ra doi|ky|ra)\b.*\b(ngay nao|ngay bao nhieu|ngay may|khi nao|luc nao|nam nao"
    r"|thang nao|bao gio|hom nao)\b"
    r"|\b(ngay nao|khi nao|bao gio|nam nao)\b.*\bban hanh\b"
    r"|\bngay ban hanh\b|\b(ngay|nam) (bao nhieu|may|nao)\b"
)
_WHO = re.compile(
    r"\b(ai|co quan nao|cap nao|don vi nao)\b.*\bban hanh\b|\bban hanh\b.*\b(boi ai|cua ai|ai)\b"
    r"|\bco quan ban hanh\b|\bdo ai\b|\bcua (ai|co quan nao|cap nao|don vi nao)\b"
    r"|\b(tinh uy|ban thuong vu|ban chap hanh|uy ban nhan dan|hoi dong nhan dan|ubnd|hdnd)\b.*\bhay\b.*"
    r"\b(tinh uy|ban thuong vu|ban chap hanh|uy ban nhan dan|hoi dong nhan dan|ubnd|hdnd)\b"
)
_NUMBER = re.compile(r"\b(so hieu|ky hieu)\b|\bso (may|bao nhieu|gi)\b|\b(la|co) so (may|bao nhieu)\b")
_WHICH = re.compile(
    r"\b(van ban|tai lieu|chi thi|nghi quyet|quy dinh|ket luan|huong dan|ke hoach|chuong trinh(?: hanh dong)?"
    r"|thong tri|de an|quyet dinh) nao\b"
)
_SUBJECT = re.compile(
    r"\b(ve (van de|noi dung|viec|cai) gi|noi dung (chinh )?(la )?gi|ve gi|noi (ve )?(cai |noi dung |van de )?gi"
    r"|trich yeu|ten day du|ten (la )?gi|ve noi dung gi|noi ve noi dung gi"
    r"|la (van ban|chi thi|nghi quyet|quy dinh|ket luan|huong dan|ke hoach|chuong trinh) (gi|ve gi|ve cai gi))\b"
)
_PERIOD = re.compile(r"\bgiai doan (nao|may|bao nhieu)\b|\b(den|toi) nam nao\b|\bap dung (cho|trong) giai doan\b")
_IMPLEMENTS = re.compile(
    r"\b(trien khai|thuc hien|cu the hoa)\b.*\b(nghi quyet|chi thi|ket luan|quy dinh|van ban|ke hoach|chuong trinh)"
    r" nao\b|\b(nghi quyet|chi thi|ket luan|quy dinh) nao cua (trung uong|bo chinh tri|tw|ban bi thu)\b"
)
# A question about a document says so: it names one, or speaks of a document.
_DOC_WORDS = re.compile(
    r"\b(chi thi|nghi quyet|quy dinh|ket luan|quyet dinh|huong dan|ke hoach|thong tri|chuong trinh|de an"
    r"|van ban|tai lieu|hoi dap)\b"
)
_ISSUED = re.compile(r"\b(ban hanh|ra doi|duoc ky|ky ngay|ky ban hanh)\b")
_COUNT = re.compile(r"\bbao nhieu (cau hoi|cau)\b|\bmay cau hoi\b")
# What a title never says: until when a document is in force, who signed it, what it replaces or
# amends, how many pages. Asked of a document, these are not metadata questions ("ct 46 có hiệu lực
# tới năm nào" is not "ban hành năm nào"); the answerer refuses them as it refuses any unstated fact.
_NOT_IN_TITLE = re.compile(
    r"\b(hieu luc|het han|con han|thay the|bai bo|ai ky|nguoi ky|ky ten|ky boi|do ai ky"
    r"|bao nhieu trang|may trang)\b"
)

# The frame of a question about a document: what is left is the subject it names. Written with their
# marks and compared with them when the member typed marks — "nói" is frame, "nội" (vụ) is a subject —
# and as phrases where a syllable alone would be a subject: "giải trình", "cá thể hóa" are not the "giai
# đoạn", "cụ thể hóa" of a question about a document.
_FRAME = """ban hành|ra đời|ký|ngày|tháng|năm|nào|khi|lúc|giờ|hôm|bao nhiêu|bao giờ|mấy|ai|bởi|của|cơ quan|cấp
|đơn vị|số hiệu|ký hiệu|nội dung|nói|chính|vấn đề|việc|về|gì|tên|đầy đủ|trích yếu|câu hỏi|câu|hỏi|đáp|hỏi đáp
|tài liệu|ban thường vụ|thường vụ|tỉnh ủy|ủy|trung ương|chỉ thị|nghị quyết|quy định|kết luận|hướng dẫn
|kế hoạch|thông tri|chương trình|hành động|đề án|quyết định|là|được|này|đó|do|hay|văn bản|giai đoạn|áp dụng
|đến|tới|triển khai|thực hiện|cụ thể hóa|cụ thể|tỉnh|bộ chính trị|bộ|chính trị|tw|ban bí thư|ban|ủy ban
|nhân dân|ủy ban nhân dân|hội đồng|đảng|ban chấp hành|chấp hành|hành|số|số mấy|thuộc|có"""
_META_PHRASES: dict[str, frozenset[str]] = {}
for _p in (" ".join(p.split()) for p in canonical(_FRAME).lower().replace("\n", "").split("|")):
    _META_PHRASES[fold(_p)] = _META_PHRASES.get(fold(_p), frozenset()) | {_p}
_LONGEST_PHRASE = max(len(p.split()) for p in _META_PHRASES)


def _is_frame(words: list[str], folded: list[str]) -> bool:
    """Are these typed words (and their folded forms) one frame phrase? Unmarked words match any marks;
    marked ones their own."""
    forms = _META_PHRASES.get(" ".join(folded))
    if not forms:
        return False
    return any(all(f == w or w == m for w, f, m in zip(words, folded, form.split(), strict=True)) for form in forms)


@dataclass(frozen=True)
class MetaQuestion:
    intent: str  # when | who | number | which | subject | period | implements | count
    doc_id: str


def intent_of(folded: str) -> str | None:
    """The metadata question ``folded`` asks, or None."""
    for name, rx in (
        ("implements", _IMPLEMENTS),
        ("when", _WHEN),
        ("who", _WHO),
        ("count", _COUNT),
        ("period", _PERIOD),
        ("number", _NUMBER),
        ("which", _WHICH),
        ("subject", _SUBJECT),
    ):
        if rx.search(folded):
            return name
    return None


def _leftover(text: str) -> list[str]:
    """The words of a message that are not the frame of a metadata question (marks kept)."""
    words = re.findall(r"\w+", canonical(text).lower())
    folded = [fold(w) for w in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            if _is_frame(words[i : i + n], folded[i : i + n]):
                i += n
                break
        else:
            if folded[i] not in FOLDED_STOPWORDS:
                out.append(words[i])
            i += 1
    return out


def _in_title(word: str, meta: DocumentMeta) -> bool:
    """Is ``word`` in the title? Compared with its marks when it has them ("khắc" is not "khác")."""
    title = canonical(meta.title).lower()
    if fold(word) == word:
        return bool(re.search(rf"\b{re.escape(word)}\b", fold(title)))
    return bool(re.search(rf"(?<!\w){re.escape(word)}(?!\w)", title))


def stated_in_citation(folded: str) -> str | None:
    """The metadata a citation can state that ``folded`` asks of a document ("when" its date, "who"
    its issuer), or None; what no citation states (its validity, its signer) is never that."""
    intent = None if _NOT_IN_TITLE.search(folded) else intent_of(folded)
    if intent == "when" and not _ISSUED.search(folded):
        return None  # "hạn cuối … là ngày nào": a date, but not the one a citation gives
    return intent if intent in ("when", "who") else None


def citing(documents: dict[str, DocumentMeta], references: list, named: set[str]) -> list[str]:
    """Loaded documents whose title says they implement a document the message names — one of its
    ``references`` or a loaded document it ``named`` — by carrying that number: "Kế hoạch … triển
    khai thực hiện Nghị quyết số 09-NQ/TU …"."""
    keys = {number_key(documents[d].number) for d in named if documents[d].number}
    out = []
    for doc_id, meta in documents.items():
        own = number_key(meta.number) if meta.number else None
        cited = [n for n in NUMBER_RE.findall(meta.title) if number_key(n) != own]
        if any(number_key(n) in keys or any(matches(ref, n) for ref in references) for n in cited):
            out.append(doc_id)
    return out


# Asks for the document that implements the one named, not about the one named.
_ASKS_ANOTHER = re.compile(
    r"\b(trien khai|thuc hien|cu the hoa)\b.*\b(so may|la (van ban|chi thi|nghi quyet|quy dinh|ket luan|huong dan"
    r"|ke hoach|chuong trinh(?: hanh dong)?) nao)\b|\b(van ban|ke hoach|chuong trinh(?: hanh dong)?|huong dan|chi thi"
    r"|quy dinh|ket luan|nghi quyet) nao\b.*\b(trien khai|thuc hien|cu the hoa)\b"
)


def find_meta_question(query, documents: dict[str, DocumentMeta]) -> MetaQuestion | None:
    """The metadata question a :class:`~bot.answer.query.Query` asks of one loaded document, or None.
    (A follow-up — "văn bản đó ban hành ngày nào?" — arrives with the previous answer's document
    among ``query.refs``.)"""
    folded = fold(canonical(query.normalized))
    if _NOT_IN_TITLE.search(folded):
        return None
    intent = intent_of(folded)
    if intent is None or not (query.references or query.refs or _DOC_WORDS.search(folded)):
        return None  # "bot tên gì?" asks about the bot, not a document
    left = _leftover(query.unreferenced)
    if (query.references or query.refs) and _ASKS_ANOTHER.search(folded):
        # "Văn bản nào triển khai Nghị quyết 35?", "kế hoạch triển khai nq 09 là kế hoạch số mấy?": the
        # document asked for is the one whose title says it implements the one named.
        candidates = set(citing(documents, query.references, query.refs)) - set(query.refs)
    elif query.foreign:
        return None  # a document we do not have: not ours to describe
    else:
        candidates = set(query.refs)
        if not candidates and len(documents) == 1:
            candidates = set(documents)
        if not candidates:
            named = titles.named_by_title(titles.words(" ".join(left)), documents)
            candidates = {named} if named else set()
    if len(candidates) != 1:
        return None
    doc_id = next(iter(candidates))
    missing = [w for w in left if not _in_title(w, documents[doc_id])]
    # "… nói gì về X" of a named document asks about X, unless X is its title. "Nghị quyết về chuyển đổi
    # số trong cơ quan đảng, mặt trận, đoàn thể là nghị quyết số mấy" names one by its subject in the
    # member's words: the title needs only to hold most of them (the document is already the clear best).
    by_subject = intent in ("number", "which") and not query.references
    if missing and not (by_subject and len(missing) <= 2 and (query.refs or len(missing) * 3 <= len(left))):
        return None  # something else is asked
    if intent == "implements" and not _ASKS_ANOTHER.search(folded) and not _cites_another(documents[doc_id]):
        return None  # "ct 52 thực hiện chỉ thị nào của bộ chính trị?": its title does not say; its text may
    return MetaQuestion(intent, doc_id)


def _cites_another(meta: DocumentMeta) -> bool:
    """Does a title name a document other than its own ("… triển khai Nghị quyết số 09-NQ/TU …")?"""
    own = number_key(meta.number) if meta.number else None
    return any(number_key(n) != own for n in NUMBER_RE.findall(meta.title))


def identity(meta: DocumentMeta) -> str:
    """The document as its title names it, without the leaflet's "HỎI - ĐÁP Về": ``Chỉ thị số 46-CT/TU, …``."""
    m = re.match(r"^\s*h[oỏ]i\s*[-–—]?\s*đ[aá]p\s+(?:về\s+)?", meta.title, re.IGNORECASE)
    text = meta.title[m.end() :] if m else meta.title
    return text[:1].upper() + text[1:]


def answer_meta(intent: str, meta: DocumentMeta, n_questions: int) -> str:
    """A sentence stating the facts parsed from the title (no invented content)."""
    name = meta.short_name
    if intent == "when":
        if meta.date is None:
            return f"Tiêu đề của {name} không ghi ngày ban hành."
        by = f" của {meta.issuer}" if meta.issuer else ""
        return f"{name}{by} được ban hành ngày {format_date(meta.date)}."
    if intent == "who":
        if not meta.issuer:
            return f"Tiêu đề của {name} không ghi cơ quan ban hành."
        when = f" ngày {format_date(meta.date)}" if meta.date else ""
        return f"{name} do {meta.issuer} ban hành{when}."
    if intent in ("number", "which", "implements", "period"):
        return f"Đó là {identity(meta)}." if intent != "number" or meta.number else "Tiêu đề văn bản không ghi số hiệu."
    if intent == "count":
        return f"Tài liệu hỏi - đáp về {name} gồm {n_questions} câu hỏi."
    if meta.subject:
        about = "về " if f"về {meta.subject}" in meta.title else ""
        return f"{name} {about}{meta.subject}."
    return f"Tên đầy đủ của văn bản: {meta.title}"


def not_loaded(query, documents: dict[str, DocumentMeta]) -> str | None:
    """The label of the document a metadata question names that is not loaded, if any: "Nghị quyết 35
    ban hành ngày nào?" is refused clearly rather than searched."""
    if not query.foreign or query.refs or intent_of(fold(canonical(query.normalized))) is None:
        return None
    if query.references and _ASKS_ANOTHER.search(fold(canonical(query.normalized))):
        return None
    return query.foreign[0]
