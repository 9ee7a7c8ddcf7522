"""Learning from use, in chat: the review queue (/review), links and marks (/phrasings, /unlink).

An admin works through candidates — questions the bot could not answer, members' confirmations,
👍 on a suggested answer, 👎 on an answer — each with the bot's best guess: one tap links it, or
"Chọn câu khác" walks through the official questions (and items), or it is marked out of scope, or
skipped. Nothing a member did is applied without this step. Implemented once for every channel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.conversation import audit, texts
from bot.conversation.actions import Review
from bot.conversation.actor import Actor, Incoming
from bot.conversation.replies import Choice, Listing, Text, Toast, Turn
from bot.errors import UserInputError
from bot.learning.store import OUT_OF_SCOPE, Target, get, label
from bot.personal import mask

SHOWN = 5
MAX_SHOWN = 30
LISTED = 500  # candidates a dashboard list filters and pages through
# A guess the member pointed at (confirmed "Có phải…", or liked the suggested answer) is offered as
# the answer; one the assistant made for a question it could not answer is only a hint.
SURE_ORIGINS = ("confirmation", "suggestion")


def _by(actor: Actor) -> str:
    return f"{actor.channel}:{actor.user_id}"


def question_label(core, doc_id: str, number: int, question: str, documents=None) -> str:
    """ "Câu hỏi 4 – Chỉ thị 46-CT/TU: …" once several documents are loaded (the answering code's
    label, bot.conversation.ask), "Câu hỏi 4: …" while there is one."""
    documents = documents if documents is not None else core.assistant.library.documents()
    doc = next((d for d in documents if d.doc_id == doc_id), None)
    if doc is not None and len(documents) > 1:
        return texts.QUESTION_LABEL_OF.format(number=number, document=doc.label, question=question)
    return texts.QUESTION_LABEL.format(number=number, question=question)


def target_label(core, row, documents=None) -> str:
    """What a link answers with, named as the answering code names it: "Câu hỏi 4, mục (6) – Chỉ thị
    46-CT/TU: …" (a mark: "không thuộc văn bản")."""
    if row.kind == OUT_OF_SCOPE or row.question_number is None:
        return label(row)
    documents = documents if documents is not None else core.assistant.library.documents()
    doc = next((d.label for d in documents if d.doc_id == row.doc_id), None) or row.doc_number or row.doc_id
    number = f"{row.question_number}, mục ({row.item})" if row.item else str(row.question_number)
    question = row.official_question or ""
    question = question if len(question) <= 120 else question[:119] + "…"
    return texts.QUESTION_LABEL_OF.format(number=number, document=doc, question=question).rstrip(": ")


def _accept(doc_id: str, number: int, documents) -> str:
    doc = next((d for d in documents if d.doc_id == doc_id), None)
    if doc is not None and len(documents) > 1:
        return texts.REVIEW_ACCEPT_OF.format(number=number, document=doc.label)
    return texts.REVIEW_ACCEPT.format(number=number)


@dataclass(frozen=True)
class ReviewRow:
    """One candidate as a list row (the dashboard): what was asked, why it is here, the guess and
    how sure it is, the document it points to, and the row's actions as choices."""

    pid: int
    text: str
    why: str
    asked: int
    origin: str
    updated: dt.datetime | None
    doc_id: str | None
    guess: str | None  # the guessed official question, labelled with its document
    sure: bool  # the guess may be offered as the answer; else it is shown as a hint
    accept: Choice | None
    actions: tuple[Choice, ...]  # choose another, out of scope, skip
    channels: frozenset[str] = frozenset()  # where members asked it


def review_rows(core, actor: Actor) -> list[ReviewRow]:
    """The whole review queue (up to LISTED) as rows, for lists that search, filter and page."""
    if not core.roles.is_admin(actor):
        return []
    from bot.storage.repository import channels_asked, question_key

    documents = core.assistant.library.documents()
    queue = core.assistant.records.review_queue(limit=LISTED)
    asked = channels_asked(core.db, sorted({question_key(it.text) for it in queue}))
    out = []
    for it in queue:
        why = texts.REVIEW_WHY.get(it.origin, texts.REVIEW_WHY["unanswered"]).format(count=it.asked)
        guess = accept = None
        if it.guess is not None:
            number = it.guess.question_number
            guess = question_label(core, it.guess.doc_id, number, it.guess_question or "", documents)
            accept = Choice(_accept(it.guess.doc_id, number, documents), Review(it.phrasing_id, "a"))
        out.append(
            ReviewRow(
                pid=it.phrasing_id,
                text=mask(it.text),
                why=why,
                asked=it.asked,
                origin=it.origin,
                updated=it.updated,
                doc_id=it.guess.doc_id if it.guess else None,
                guess=guess,
                sure=it.guess is not None and it.origin in SURE_ORIGINS,
                accept=accept,
                actions=(
                    Choice(texts.REVIEW_OTHER, Review(it.phrasing_id, "q")),
                    Choice(texts.REVIEW_OUT, Review(it.phrasing_id, "o")),
                    Choice(texts.REVIEW_SKIP, Review(it.phrasing_id, "s")),
                ),
                channels=frozenset(asked.get(question_key(it.text), ())),
            )
        )
    return out


def review(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """``/review [số]``: the first candidates of the queue (5 by default, at most 30)."""
    shown = SHOWN
    if args:
        if not args[0].isdigit() or not 1 <= int(args[0][:3]) <= MAX_SHOWN:
            return Turn([Text(text=texts.REVIEW_USAGE.format(max=MAX_SHOWN))])
        shown = int(args[0])
    items = core.assistant.records.review_queue(limit=shown)
    if not items:
        return Turn([Text(text=texts.REVIEW_NONE)])
    documents = core.assistant.library.documents()
    out = [Text(text=texts.REVIEW_TITLE.format(count=len(items)))]
    for it in items:
        why = texts.REVIEW_WHY.get(it.origin, texts.REVIEW_WHY["unanswered"]).format(count=it.asked)
        lines = [texts.REVIEW_ITEM.format(text=mask(it.text), why=why)]
        choices: list[Choice] = []
        if it.guess is not None:
            guess = question_label(core, it.guess.doc_id, it.guess.question_number, it.guess_question or "", documents)
            lines.append(texts.REVIEW_GUESS.format(guess=guess))
            choices.append(
                Choice(_accept(it.guess.doc_id, it.guess.question_number, documents), Review(it.phrasing_id, "a"))
            )
        else:
            lines.append(texts.REVIEW_NO_GUESS)
        choices += [
            Choice(texts.REVIEW_OTHER, Review(it.phrasing_id, "q")),
            Choice(texts.REVIEW_OUT, Review(it.phrasing_id, "o")),
            Choice(texts.REVIEW_SKIP, Review(it.phrasing_id, "s")),
        ]
        out.append(Text(text="\n".join(lines), choices=tuple(choices)))
    return Turn(out)


def step(core, actor: Actor, action: Review) -> Turn:
    """One tap of the review flow (admins only, checked here like every privileged action)."""
    if not core.roles.is_admin(actor):
        return Turn([Toast(text=texts.NOT_ADMIN, alert=True)])
    row = get(core.db, action.pid)
    if row is None or row.status != "proposed":
        return Turn([Toast(text=texts.REVIEW_GONE, alert=True)])
    assistant = core.assistant
    try:
        if action.op == "s":
            assistant.records.skip_review(action.pid, _by(actor))
            audit.record(core, actor, "skip", f"#{action.pid}", mask(row.text))
            return Turn([Toast(text=""), Text(text=texts.SKIPPED)])
        if action.op == "o":
            done = assistant.records.decide_review(action.pid, _by(actor), out_of_scope=True)
            audit.record(core, actor, "out_of_scope", f"#{done.id}", mask(done.text))
            return Turn([Toast(text=""), Text(text=texts.MARKED_OUT.format(text=mask(done.text)))])
        if action.op == "a":
            done = assistant.records.decide_review(action.pid, _by(actor))
            target = target_label(core, done)
            audit.record(core, actor, "link", f"#{done.id}", f"{mask(done.text)} → {target}")
            return Turn([Toast(text=""), Text(text=texts.LINKED.format(text=mask(done.text), target=target))])
        if action.op == "q":
            return Turn([Toast(text=""), _questions(core, row)])
        if action.op == "i" and action.doc_id and action.number:
            return Turn([Toast(text=""), _items(core, row, action.doc_id, action.number)])
        if action.op == "l" and action.doc_id and action.number:
            doc_id = _doc(core, action.doc_id)
            done = assistant.records.decide_review(action.pid, _by(actor), Target(doc_id, action.number, action.item))
            target = target_label(core, done)
            audit.record(core, actor, "link", f"#{done.id}", f"{mask(done.text)} → {target}")
            return Turn([Toast(text=""), Text(text=texts.LINKED.format(text=mask(done.text), target=target))])
    except UserInputError as e:
        return Turn([Toast(text=""), Text(text=str(e))])
    return Turn([Toast(text=texts.STALE_BUTTON, alert=True)])


def _doc(core, key: str) -> str:
    from bot.conversation.actions import resolve_doc

    doc_id = resolve_doc(key, [d.doc_id for d in core.assistant.library.documents()])
    if doc_id is None:
        raise UserInputError(texts.GONE_QUESTION)
    return doc_id


def _questions(core, row) -> Text:
    choices = []
    documents = core.assistant.library.documents()
    for doc in documents:
        for number, question, items in core.assistant.records.official_questions(doc.doc_id):
            op = "i" if items else "l"
            label_ = texts.REVIEW_QUESTION_LABEL.format(number=number, question=question)
            if len(documents) > 1:  # "Câu 4" alone is ambiguous: the answering code's label
                label_ = texts.QUESTION_LABEL_OF.format(number=number, document=doc.label, question=question)
            choices.append(Choice(label_, Review(row.id, op, doc.doc_id, number)))
    return Text(text=texts.REVIEW_CHOOSE_QUESTION.format(text=mask(row.text)), choices=tuple(choices))


def _items(core, row, key: str, number: int) -> Text:
    doc_id = _doc(core, key)
    items = next((it for n, _, it in core.assistant.records.official_questions(doc_id) if n == number), [])
    choices = [Choice(texts.REVIEW_WHOLE, Review(row.id, "l", doc_id, number))]
    choices += [Choice(texts.REVIEW_ITEM_LABEL.format(item=i), Review(row.id, "l", doc_id, number, i)) for i in items]
    return Text(text=texts.REVIEW_CHOOSE_ITEM.format(text=mask(row.text), number=number), choices=tuple(choices))


def phrasings(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    rows = core.assistant.records.phrasings()
    if not rows:
        return Turn([Text(text=texts.PHRASINGS_NONE)])
    documents = core.assistant.library.documents()
    lines = [
        texts.PHRASING_ROW.format(
            id=r.id,
            text=mask(r.text)[:120],
            target=target_label(core, r, documents),
            status=texts.PHRASING_STATUS.get(r.status, ""),
        )
        for r in rows[-50:]
    ]
    title = texts.PHRASINGS_TITLE.format(count=len(rows))
    return Turn([Listing(title=title, sections=[(None, lines)], footer=texts.PHRASINGS_HINT)])


def unlink(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """Asks first: what the link did, with "✅ Xác nhận bỏ liên kết"."""
    from bot.conversation import impact, pending

    if len(args) != 1 or not args[0].lstrip("#").isdigit() or len(args[0]) > 12:
        return Turn([Text(text=texts.UNLINK_USAGE)])
    return pending.ask(core, actor, "unlink", args, impact.unlink(core, actor, int(args[0].lstrip("#"))))


def unlink_now(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    if len(args) != 1 or not args[0].lstrip("#").isdigit() or len(args[0]) > 12:
        return Turn([Text(text=texts.UNLINK_USAGE)])
    row = core.assistant.records.remove_phrasing(int(args[0].lstrip("#")), _by(actor))
    audit.record(core, actor, "unlink", f"#{row.id}", mask(row.text))
    return Turn([Text(text=texts.UNLINKED.format(id=row.id, text=mask(row.text)))])
