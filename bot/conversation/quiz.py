"""The daily quiz, once for every channel: subscribing, sending (scheduled or now), previews,
answers by letter on text channels, leaderboards and statistics."""

from __future__ import annotations

import datetime as dt
import logging

from bot import metrics
from bot.conversation import audit, texts
from bot.conversation.actions import QuizVote
from bot.conversation.actor import GROUP, PRIVATE, Actor, Incoming
from bot.conversation.replies import Choice, Listing, QuizPoll, Text, Toast, Turn
from bot.errors import HoidapError, QuizError, UserInputError
from bot.quiz.model import LETTERS
from bot.quiz.schedule import ALL_DAYS, describe_days, parse_schedule
from bot.quiz.scoring import PERIODS
from bot.storage.journal import trouble_kind
from bot.storage.models import utcnow

log = logging.getLogger(__name__)
STATS_DAYS = 14
SITE_CHAT = "site"  # the one chat of a channel whose members each see their own page (the web)
SITE_SLOT = "00:00"


def _target(core, actor: Actor, args: list[str]):
    """A trailing ``@kenh`` or ``-100…`` names another chat (a channel managed from a private chat)."""
    from bot.conversation.core import ChatInfo

    if args and (args[-1].startswith("@") or args[-1].startswith("-100")):
        resolve = core.channel(actor.channel).resolve
        chat = resolve(args[-1]) if resolve else None
        if chat is None:
            raise UserInputError(texts.TARGET_NOT_FOUND.format(target=args[-1]))
        return args[:-1], chat, True
    return args, ChatInfo(actor.chat_id, actor.chat_kind, actor.chat_title), False


def _where(chat, named: bool) -> str:
    if named:
        return texts.WHERE_NAMED.format(title=chat.title or chat.chat_id)
    return texts.WHERE_PRIVATE if chat.kind == PRIVATE else texts.WHERE_GROUP


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def quiz_on(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    args, chat, named = _target(core, actor, args)
    time, days = parse_schedule(args)
    sub = core.quiz.subscribe(actor.channel, chat.chat_id, chat.kind, chat.title, time, days, actor.user_id)
    where = _where(chat, named)
    when = f"{sub.time} {describe_days(sub.days)}"
    audit.record(core, actor, "quiz_schedule", f"{actor.channel}:{chat.title or chat.chat_id}", f"bật: {when}")
    return Turn([Text(text=texts.QUIZ_ON.format(where=where, time=sub.time, days=describe_days(sub.days)))])


def quiz_off(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    _, chat, named = _target(core, actor, args)
    where = _where(chat, named)
    if core.quiz.unsubscribe(actor.channel, chat.chat_id):
        audit.record(core, actor, "quiz_schedule", f"{actor.channel}:{chat.title or chat.chat_id}", "tắt")
        return Turn([Text(text=texts.QUIZ_OFF.format(where=where))])
    return Turn([Text(text=_capital(texts.QUIZ_NOT_ON.format(where=where)))])


def poll_for(core, claim) -> QuizPoll:
    return QuizPoll(
        question=claim.question,
        delivery_id=claim.delivery_id,
        anonymous=claim.chat_type == "channel" and core.channel(claim.channel).polls,
        open_period=core.settings.quiz_open_period or None,
        close=claim.close,
        to=claim.chat_id,
    )


def _claim(core, channel: str, chat_id: str, chat_type: str, question, **when):
    """Claim a delivery the way ``channel`` sends quizzes: a poll where it has polls (anonymous in a
    broadcast channel: counted, not scored per person), else lettered text. None: claimed already."""
    polls = core.channel(channel).polls
    return core.quiz.claim(
        channel,
        chat_id,
        chat_type,
        question,
        "poll" if polls else "text",
        anonymous=polls and chat_type == "channel",
        **when,
    )


def _sync_bank(core) -> None:
    """Bring the bank up to the active version; without an index, imported questions may still serve."""
    try:
        core.assistant.quizzes.sync_quiz_bank()
    except HoidapError as e:
        log.warning("quiz bank not synced: %s", e)


def quiz_now(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    _, chat, _named = _target(core, actor, args)
    core.assistant.quizzes.sync_quiz_bank()
    sub = core.quiz.subscription(actor.channel, chat.chat_id)
    question = core.quiz.next_question(actor.channel, chat.chat_id)
    claim = _claim(core, actor.channel, chat.chat_id, chat.kind, question, subscription_id=sub.id if sub else None)
    return Turn([poll_for(core, claim)])


def _private_preview(actor: Actor, title: str, question) -> Turn:
    body = question.as_text(with_answer=True)
    receipt = None if actor.private else Text(text=texts.PREVIEW_SENT)
    reply = Text(
        title=title,
        text=body,
        to=actor.user_id,
        fallback=Text(text=texts.OPEN_PRIVATE_CHAT),
        receipt=receipt,
    )
    return Turn([reply])


def quiz_preview(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    _, chat, _named = _target(core, actor, args)
    core.assistant.quizzes.sync_quiz_bank()
    question = core.quiz.next_question(actor.channel, chat.chat_id, pin=True)
    return _private_preview(actor, texts.PREVIEW_TITLE, question)


def quiz_skip(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    _, chat, _named = _target(core, actor, args)
    core.assistant.quizzes.sync_quiz_bank()
    question = core.quiz.skip(actor.channel, chat.chat_id)
    return _private_preview(actor, texts.SKIPPED_TITLE, question)


def quiz_stats(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    if actor.private:
        chats = core.quiz.chats_of(actor.channel, actor.user_id, everyone=core.roles.is_admin(actor))
    else:
        chats = [actor.chat_id]
    stats = core.quiz.stats(actor.channel, chats, STATS_DAYS) if chats else []
    if not stats:
        return Turn([Text(text=texts.STATS_NONE.format(days=STATS_DAYS))])
    titles = core.quiz.titles(actor.channel, chats)
    if actor.chat_title:
        titles.setdefault(actor.chat_id, actor.chat_title)
    lines = [
        texts.STATS_ROW.format(
            date=d.date, title=titles.get(d.chat_id, d.chat_id), people=d.participants, rate=d.correct_rate
        )
        for d in stats
    ]
    return Turn([Listing(title=texts.STATS_TITLE.format(days=STATS_DAYS), sections=[(None, lines)])])


def leaderboard(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    sections = []
    anyone = False
    for period in PERIODS:
        rows = core.quiz.leaderboard(actor.channel, actor.chat_id, period, 5)
        anyone = anyone or bool(rows)
        lines = [
            texts.BOARD_ROW.format(
                rank=i,
                name=r.name,
                points=r.points,
                answered=r.answered,
                streak=texts.BOARD_STREAK.format(days=r.streak) if r.streak > 1 else "",
            )
            for i, r in enumerate(rows, 1)
        ] or [texts.BOARD_EMPTY]
        sections.append((texts.BOARD_PERIODS[period], lines))
    where = actor.chat_title or (texts.WHERE_PRIVATE if actor.private else texts.WHERE_GROUP)
    return Turn(
        [
            Listing(
                title=texts.BOARD_TITLE.format(where=where),
                sections=sections,
                footer=None if anyone else texts.BOARD_INVITE,
            )
        ]
    )


def answer_letter(core, actor: Actor, option: int) -> Turn | None:
    """A letter typed under a text quiz (Zalo, terminal): scored once; None when no text quiz is open.
    With the database out: kept, written when it is back (to the chat's open quiz then)."""
    try:
        delivery = core.quiz.open_text_delivery(actor.channel, actor.chat_id)
        if delivery is None:
            return None
        result = core.quiz.record_answer(actor.channel, actor.user_id, actor.name, option, delivery_id=delivery)
    except Exception as e:
        if trouble_kind(e) is None:
            raise
        core.keep_quiz_answer(actor.channel, actor.user_id, actor.name, option, error=e, chat_id=actor.chat_id)
        return _kept(actor, option)
    return _scored(actor, result)


def _kept(actor: Actor, option: int) -> Turn:
    return Turn([Text(text=texts.QUIZ_KEPT.format(name=actor.name, letter=LETTERS[option]))])


def _scored(actor: Actor, result) -> Turn:
    """Right or wrong with the answer and its explanation; a second answer is not scored."""
    if result is None:
        return Turn([Text(text=texts.QUIZ_AGAIN.format(name=actor.name))])
    metrics.count(metrics.QUIZ_ANSWERS, actor.channel, str(result.correct).lower())
    q = result.question
    if result.correct:
        head = texts.QUIZ_RIGHT.format(name=actor.name)
    else:
        head = texts.QUIZ_WRONG.format(name=actor.name, letter=LETTERS[q.correct], option=q.options[q.correct])
    return Turn([Text(text=f"{head}\n{q.explanation}".strip())])


def due(core, channels: set[str], now: dt.datetime | None = None) -> list:
    """Claim what is due for ``channels`` (and claims abandoned by a dead process): [(Claim, QuizPoll)]."""
    now = now or utcnow()
    grace = dt.timedelta(minutes=core.settings.quiz_misfire_grace_minutes)
    out = []
    for claim in core.quiz.reclaim_stale(
        channels, dt.timedelta(seconds=core.settings.quiz_claim_timeout_seconds), grace
    ):
        out.append((claim, poll_for(core, claim)))
    subs = core.quiz.due(channels, now, grace)
    _count_unsent(core, channels, now, grace, subs)
    if subs:
        _sync_bank(core)
    for sub, day in subs:
        try:
            question = core.quiz.next_question(sub.channel, sub.chat_id)
        except QuizError as e:
            log.warning("quiz for %s/%s not sent: %s", sub.channel, sub.chat_id, e)
            continue
        claim = _claim(
            core,
            sub.channel,
            sub.chat_id,
            sub.chat_type,
            question,
            subscription_id=sub.id,
            local_date=day,
            slot=sub.time,
        )
        if claim is not None:  # None: another process claimed it first and sends it
            out.append((claim, poll_for(core, claim)))
    return out


def _count_unsent(core, channels: set[str], now: dt.datetime, grace: dt.timedelta, subs) -> None:
    """The scheduled quizzes due and not sent yet (about to be claimed, or claimed and waiting), for the
    metrics: how many, and how long the oldest has been due."""
    due = core.quiz.unsent_slots(channels, now, grace)
    for sub, day in subs:
        hour, minute = (int(x) for x in sub.time.split(":"))
        due.append(dt.datetime.combine(day, dt.time(hour, minute), core.quiz.tz))
    metrics.QUIZ_DUE.set(len(due))
    metrics.QUIZ_UNSENT_AGE.set(max(((now - t).total_seconds() for t in due), default=0.0))


def today(core, actor: Actor) -> Turn:
    """The quiz of the day on a channel where each member has a page of their own (the web): one
    question a day for the whole site, the same for everyone, answered by tapping a letter.

    The site is a subscribed chat like any group (created on first use, so officers see it and can
    stop it); its delivery of the day is claimed once, by whichever process is asked first."""
    day = core.quiz.today()
    found = core.quiz.delivery_of_day(actor.channel, SITE_CHAT, day)
    if found is None:
        sub = core.quiz.ensure_subscription(actor.channel, SITE_CHAT, GROUP, texts.WEB_QUIZ_CHAT, SITE_SLOT, ALL_DAYS)
        if not sub.active:
            return Turn([Text(text=texts.QUIZ_NONE)])
        _sync_bank(core)
        try:
            question = core.quiz.next_question(actor.channel, SITE_CHAT)
        except QuizError:
            return Turn([Text(text=texts.QUIZ_NONE)])
        claim = _claim(
            core, actor.channel, SITE_CHAT, GROUP, question, subscription_id=sub.id, local_date=day, slot=sub.time
        )
        if claim is not None:  # nothing to send: the page shows it
            core.quiz_sent(claim.delivery_id)
        found = core.quiz.delivery_of_day(actor.channel, SITE_CHAT, day)
        if found is None:
            return Turn([Text(text=texts.QUIZ_NONE)])
    delivery_id, question = found
    # The site has room for whole options (a poll's are cut at 100 characters, with "…").
    options = (question.source or {}).get("options_full") or question.options
    if len(options) != len(question.options):
        options = question.options
    choices = tuple(
        Choice(f"{LETTERS[i]}. {option}", QuizVote(delivery_id, i), key=LETTERS[i]) for i, option in enumerate(options)
    )
    return Turn([QuizPoll(question=question, delivery_id=delivery_id, choices=choices)])


def vote(core, actor: Actor, delivery_id: int, option: int) -> Turn:
    """A tapped letter: scored once if that quiz is still open on this channel. With the database out:
    kept, and written when it is back (the member is told their answer was received)."""
    try:
        if not core.quiz.delivery_open(actor.channel, delivery_id):
            return Turn([Toast(text=texts.QUIZ_CLOSED, alert=True)])
        result = core.quiz.record_answer(actor.channel, actor.user_id, actor.name, option, delivery_id=delivery_id)
    except Exception as e:
        if trouble_kind(e) is None:
            raise
        core.keep_quiz_answer(actor.channel, actor.user_id, actor.name, option, error=e, delivery_id=delivery_id)
        return _kept(actor, option)
    return _scored(actor, result)
