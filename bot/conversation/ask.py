"""Asking: a question becomes a quote with its citation, a "did you mean" confirmation, or a polite
refusal with suggestions. The question is logged once its reply was delivered (in the background)."""

from __future__ import annotations

import secrets
import time

from bot import metrics, observe
from bot.answer.followup import Context
from bot.answer.model import Answer, Suggestion
from bot.conversation import texts
from bot.conversation.actions import ConfirmAnswer, Feedback, ShowAnswer, resolve_doc
from bot.conversation.actor import Actor
from bot.conversation.replies import Choice, Confirm, Quote, Refusal, Reply, Text, Toast, Turn
from bot.storage import repository

MAX_QUESTION = 1000


def new_ref() -> str:
    """An unguessable reference for a question's buttons (the log row comes later)."""
    return secrets.token_urlsafe(9)  # 12 characters


def question_choice(s: Suggestion, prefix: str = "", key: str | None = None, ref: str | None = None) -> Choice:
    """A suggested official question; ``ref`` (the question it was offered for) records the tap."""
    label = (texts.QUESTION_LABEL_OF if s.document else texts.QUESTION_LABEL).format(
        number=s.question_number, question=s.question, document=s.document
    )
    return Choice(prefix + label, ShowAnswer(s.doc_id, s.question_number, ref), key=key)


def replies_for(answer: Answer, ref: str | None) -> list[Reply]:
    """The replies for an answer; ``ref`` (the logged question) enables feedback and confirmation."""
    if answer.found and answer.source is not None:
        out: list[Reply] = [Quote(answer=answer, choices=_quote_choices(answer, ref, main=True))]
        out += [Quote(answer=more, choices=_quote_choices(more, None, main=False)) for more in answer.more]
        return out
    if answer.kind == "empty":
        return [Text(text=texts.EMPTY)]
    if answer.kind == "smalltalk":
        return [Text(text=texts.SMALLTALK)]
    if answer.kind == "greeting":
        return [Text(text=texts.GREETING)]
    if answer.kind == "not_loaded":
        return [Text(text=texts.NOT_LOADED.format(document=answer.question))]
    numbered = [s for s in answer.suggestions if s.question_number is not None]
    if answer.confirm and numbered:
        first, others = numbered[0], numbered[1:]
        yes = (
            ConfirmAnswer(ref, first.doc_id, first.question_number)
            if ref
            else ShowAnswer(first.doc_id, first.question_number)
        )
        choices = (Choice(texts.CONFIRM_YES, yes, key="1"),)
        choices += tuple(question_choice(s, key=str(i), ref=ref) for i, s in enumerate(others, 2))
        question = (
            texts.CONFIRM_OF.format(question=first.question, document=first.document)
            if first.document
            else first.question
        )
        return [Confirm(question=question, hint=texts.CONFIRM_HINT, choices=choices)]
    return [Refusal(answer=answer, choices=tuple(question_choice(s, ref=ref) for s in numbered))]


def _quote_choices(answer: Answer, ref: str | None, main: bool) -> tuple[Choice, ...]:
    src = answer.source
    if answer.kind == "meta" or src is None:
        return ()
    out: list[Choice] = []
    if answer.kind == "item" and src.question_number is not None:
        out.append(Choice(texts.FULL_ANSWER, ShowAnswer(src.doc_id, src.question_number), key="0" if main else None))
    if main:
        out += [
            Choice(
                texts.OTHER_DOCUMENT.format(document=s.document, number=s.question_number),
                ShowAnswer(s.doc_id, s.question_number),
            )
            for s in answer.alternatives
        ]
        out += [question_choice(s, texts.RELATED) for s in answer.related[:2] if s.question_number is not None]
    if ref:
        out.append(Choice(texts.THUMBS_UP, Feedback(ref, 1), buttons_only=True))
        out.append(Choice(texts.THUMBS_DOWN, Feedback(ref, -1), buttons_only=True))
    return tuple(out)


def ask(core, actor: Actor, text: str) -> Turn:
    """Answer a member's question; log it (best effort, in the background) once delivered."""
    limiter = core.limiter
    key = f"{actor.channel}:{actor.user_id}"
    if not limiter.allow(key):
        return Turn([Text(text=texts.SLOW_DOWN)] if limiter.should_warn(key) else [])
    if len(text) > MAX_QUESTION:
        return Turn([Text(text=texts.TOO_LONG.format(limit=MAX_QUESTION))])
    started = time.perf_counter()
    answer = core.assistant.ask(text, _context(core, actor))
    if answer.kind in ("smalltalk", "greeting") and not actor.private:
        return Turn()  # thanks or a greeting in a group: the group does not need the bot's welcome
    _remember(core, actor, answer)
    core.maintain()
    seconds = time.perf_counter() - started
    metrics.ANSWER_SECONDS.labels(actor.channel).observe(seconds)
    metrics.count(metrics.QUESTIONS, actor.channel, metrics.outcome(answer))
    ref = new_ref() if answer.kind != "empty" else None
    turn = Turn(replies_for(answer, ref))
    arrived, member = observe.arrived_at(), core.assistant.records.member_key(actor.channel, actor.user_id)
    turn.after(
        lambda delivered: observe.question_answered(
            actor.channel, metrics.outcome(answer), answer.version, member, seconds, arrived, delivered
        )
    )
    if ref is not None:
        core.issued(ref, actor.user_id)

        def log_question(delivered: bool) -> None:
            row = repository.question_row(
                actor.channel, actor.chat_id, actor.user_id, text, answer, ref=ref, delivered=delivered
            )
            core.journal.submit("question log", lambda s: s.add(row))

        turn.after(log_question)
    return turn


def _context_key(actor: Actor) -> str:
    return f"ctx:{actor.channel}:{actor.chat_id}:{actor.user_id}"


def _context(core, actor: Actor) -> Context | None:
    """What this member's last answer in this chat was about (a few minutes; follow-ups)."""
    if not core.settings.followup_minutes:
        return None
    return Context.from_json(core.recent.get(_context_key(actor)))


def _remember(core, actor: Actor, answer: Answer) -> None:
    if not core.settings.followup_minutes or not answer.found or answer.source is None:
        return
    src = answer.source
    core.recent.put(_context_key(actor), Context(src.doc_id, src.question_number, src.item).to_json())


def _official(core, key: str, number: int) -> Answer | None:
    doc_id = resolve_doc(key, [d.doc_id for d in core.assistant.library.documents()])
    return core.assistant.answering.official_answer(doc_id, number) if doc_id else None


def show_answer(core, actor: Actor, key: str, number: int, ref: str | None = None) -> Turn:
    """A suggestion, related question or "whole answer" tap: the official answer, quoted.

    A suggestion tapped by the member who asked (``ref``) is recorded, and its quote carries 👍/👎:
    a 👍 there proposes linking the question to this answer (for an admin to review).
    """
    answer = _official(core, key, number)
    if answer is None:
        return Turn([Toast(text=texts.GONE_QUESTION, alert=True)])
    if ref is None or core.asker(ref) != actor.user_id:
        return Turn([Toast(text=""), *replies_for(answer, None)])
    turn = Turn([Toast(text=""), *replies_for(answer, ref)])
    turn.after(_record_tap(core, actor, ref, answer, "suggestion"))
    return turn


def _record_tap(core, actor: Actor, ref: str, answer: Answer, origin: str):
    """Record who took which official question for their question; a confirmation is also proposed
    as a link (never applied without an admin: bot.learning)."""
    from bot.learning.store import Target, propose

    doc_id, number = answer.source.doc_id, answer.source.question_number

    def record(delivered: bool) -> None:
        if origin == "confirm":
            metrics.count(metrics.CONFIRMATIONS, actor.channel)

        def write(s) -> None:
            asked = repository.question_by_ref(s, ref)
            s.add(
                repository.confirmation_row(
                    actor.channel,
                    actor.chat_id,
                    actor.user_id,
                    ref,
                    asked.text if asked else "",
                    doc_id,
                    number,
                    answer.question,
                    origin=origin,
                )
            )
            if origin == "confirm" and asked is not None:
                propose(s, asked.text, Target(doc_id, number), "confirmation", question_id=asked.id)

        core.journal.submit(origin, write)

    return record


def confirm(core, actor: Actor, action: ConfirmAnswer) -> Turn:
    """ "Yes, that is what I meant": the quote, and a record of who confirmed which question when."""
    answer = _official(core, action.doc_id, action.number)
    if answer is None:
        return Turn([Toast(text=texts.GONE_QUESTION, alert=True)])
    turn = Turn([Toast(text=""), *replies_for(answer, None)])
    turn.after(_record_tap(core, actor, action.ref, answer, "confirm"))
    return turn
