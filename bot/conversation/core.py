"""The conversation core: every command and flow implemented once, for every channel.

A channel maps an update to an :class:`Actor` and one call here, then renders the typed replies it
gets back (:mod:`bot.conversation.replies`). Roles are checked here; admin-only output goes to
private chats only; nothing here knows Telegram, Zalo or HTML. Calls are synchronous (database
and model work): channels run them in a worker thread.

Public calls: :meth:`Conversation.text`, :meth:`~Conversation.tap`, :meth:`~Conversation.choose`,
:meth:`~Conversation.other`, :meth:`~Conversation.check_upload`, :meth:`~Conversation.upload`,
:meth:`~Conversation.poll_answer`, :meth:`~Conversation.poll_counts`, :meth:`~Conversation.quiz_sent`,
:meth:`~Conversation.quiz_failed`, :meth:`~Conversation.chat_migrated`, :meth:`~Conversation.chat_lost`,
:meth:`~Conversation.due_quizzes` and :meth:`~Conversation.will_answer`; for the web:
:meth:`~Conversation.role`, :meth:`~Conversation.command`, :meth:`~Conversation.quiz_today`,
:meth:`~Conversation.import_quiz`, :meth:`~Conversation.impact` and :meth:`~Conversation.redeem_web_link`.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from bot import metrics, outages
from bot.conversation import actions, texts
from bot.conversation.actions import Action
from bot.conversation.actor import CHANNEL, Actor, Incoming
from bot.conversation.ratelimit import UserRateLimiter
from bot.conversation.replies import Text, Toast, Turn
from bot.conversation.roles import Roles
from bot.errors import HoidapError
from bot.shared import Recent
from bot.storage.db import Database
from bot.storage.journal import Journal, trouble_kind
from bot.text.normalize import fold
from bot.text.smalltalk import is_smalltalk

log = logging.getLogger(__name__)
LATE_QUIZ_SECONDS = 300  # a scheduled quiz sent later than this after its time counts as late

MEMBER, OFFICER, ADMIN = "member", "officer", "admin"
OFFERED_MAX = 10_000
MAINTAIN_EVERY = 3600.0  # seconds between retention purges


@dataclass(frozen=True)
class ChatInfo:
    """A chat named in a command (``/quiz_on 07:30 @kenh``), as the channel resolved it."""

    chat_id: str
    kind: str
    title: str | None


@dataclass
class ChannelInfo:
    """What the core needs to know about a channel."""

    polls: bool = False  # native quiz polls (else: text quizzes answered by letter)
    bot_name: str | None = None  # "/help@bot_name" is for us; "/help@other_bot" is not
    resolve: Callable[[str], ChatInfo | None] | None = None  # "@kenh" / "-100…" → the chat


@dataclass(frozen=True)
class Command:
    run: Callable[[Conversation, Actor, Incoming, list[str]], Turn]
    role: str = MEMBER
    private_only: bool = False
    on_edit: bool = False  # an edited message runs it again (questions only: never resend a quiz)
    refusal: str = texts.NOT_ADMIN
    # Destructive commands: ``run`` only asks (what members lose, "✅ Xác nhận …"); this does it, once
    # confirmed in chat or on the dashboard's own confirmation page.
    run_confirmed: Callable[[Conversation, Actor, Incoming, list[str]], Turn] | None = None


_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_PRONOUNS = {"em", "toi", "minh", "to", "tui", "chau", "con", "anh", "chi"}
_LEAD = {"xin", "chon", "dap", "an", "tra", "loi", "la", "cau", "phuong", "y", ":", "-"}
_PARTICLES = {"a", "nhe", "nha", "roi"}


def quiz_letter(text: str) -> int | None:
    """The option a message picks ("b", "Đáp án B", "Em chọn đáp án c ạ") as 0-9; None otherwise."""
    words = re.findall(r"[^\s.,:;!?)(]+", fold(text).strip())
    while words and words[0] in _PRONOUNS:
        words = words[1:]
    while words and words[0] in _LEAD:
        words = words[1:]
    while len(words) > 1 and words[-1] in _PARTICLES:
        words = words[:-1]
    if len(words) == 1 and len(words[0]) == 1 and "a" <= words[0] <= "j":
        return ord(words[0]) - ord("a")
    return None


def is_chatter(text: str) -> bool:
    """Thanks, acknowledgements, praise, emoji and bare punctuation ("...", "?!"): what members say to the
    bot that needs no answer."""
    return is_smalltalk(text) or not any(ch.isalnum() for ch in text)


def parse_command(text: str) -> tuple[str, str | None, list[str]] | None:
    """``/quiz_on@bot 07:30 T2`` → ("quiz_on", "bot", ["07:30", "T2"]); None if not a command."""
    if not text.startswith("/"):
        return None
    head, *args = text[1:].split()
    name, _, suffix = head.partition("@") if head else ("", "", "")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", name or ""):
        return None
    return name.lower(), suffix or None, args


@dataclass
class Conversation:
    assistant: object  # bot.service.Assistant (ask, its parts and its services: .library, .records …)
    db: Database
    journal: Journal
    quiz: object  # bot.quiz.service.QuizService
    channels: dict[str, ChannelInfo] = field(default_factory=dict)

    def __post_init__(self) -> None:
        settings = self.assistant.settings
        self.settings = settings
        self.roles = Roles(settings, self.db)
        self.limiter = UserRateLimiter(settings.questions_per_minute, self.assistant.shared)
        # What each member's last answer was about, per chat, for follow-ups (Redis when configured).
        self.recent = Recent(self.assistant.shared, ttl=settings.followup_minutes * 60)
        # Choices just offered, by chat: a member may answer "1" before the background write landed.
        self._offered: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        # Questions answered by this process whose log may not be written yet: ref -> who asked.
        self._issued: OrderedDict[str, str] = OrderedDict()
        self._maintained = 0.0

    def maintain(self) -> None:
        """At most once an hour, in the background: delete question logs past their retention
        (bot.learning.privacy). Every process may do it; deleting twice is harmless."""
        import time

        from bot.learning.privacy import purge_in

        now = time.monotonic()
        if self._maintained and now - self._maintained < MAINTAIN_EVERY:
            return
        self._maintained = now
        days = self.settings.question_retention_days
        self.journal.submit("retention", lambda s: purge_in(s, days))

    def issued(self, ref: str, user_id: str) -> None:
        self._issued[ref] = user_id
        while len(self._issued) > OFFERED_MAX:
            self._issued.popitem(last=False)

    def asker(self, ref: str) -> str | None:
        """Who asked question ``ref`` (its log, or this process's memory while the log is queued)."""
        from bot.storage import repository

        with self.db.session() as s:  # a read: works while another writer holds the database
            row = repository.question_by_ref(s, ref)
            if row is not None:
                return row.user_id
        return self._issued.get(ref)

    # --- channels ---------------------------------------------------------------------------
    def register_channel(self, name: str, **info) -> ChannelInfo:
        """A channel says what it can do (``polls``), its bot's name, and how to resolve named chats."""
        self.channels[name] = ChannelInfo(**info)
        return self.channels[name]

    def channel(self, name: str) -> ChannelInfo:
        return self.channels.get(name) or ChannelInfo()

    # --- messages -----------------------------------------------------------------------------
    def text(self, actor: Actor, message: Incoming) -> Turn:
        """A text message (or caption): a command, a quiz answer, a numbered choice, or a question."""
        from bot.conversation import ask, quiz

        text = message.text.strip()
        if actor.chat_kind == CHANNEL:
            return Turn()  # channel posts are the channel's own content
        command = parse_command(text)
        if command is not None:
            return self._command(actor, message, *command)
        if not actor.private and not message.addressed:
            return Turn()  # group chatter: stay silent
        if message.edited and (quiz_letter(text) is not None or _NUMBER.match(text)):
            return Turn()  # an edited answer or choice is not scored or chosen twice
        number = _NUMBER.match(text)
        if number:
            turn = self.choose(actor, number.group(1))
            if turn is not None:
                return turn
        letter = quiz_letter(text)
        if letter is not None:
            turn = quiz.answer_letter(self, actor, letter)
            if turn is not None:
                return turn
        quiet = is_chatter(text) or message.reply_to_quiz or letter is not None
        if not actor.private and message.reply_to_bot and not message.mentioned and quiet:
            return Turn()  # a reply to the bot that asks nothing: thanks, "ok", 👍, chatter under a quiz
        if not text:
            return Turn([Text(text=texts.HOI_USAGE)])
        return ask.ask(self, actor, text)

    def will_answer(self, actor: Actor, message: Incoming) -> bool:
        """Whether ``text`` will look for an answer (cheap, no database): channels show "typing…"."""
        text = message.text.strip()
        if not text or actor.chat_kind == CHANNEL:
            return False
        command = parse_command(text)
        if command is not None:
            return command[0] == "hoi" and bool(command[2])
        if not actor.private and not message.addressed:
            return False
        if _NUMBER.match(text) or quiz_letter(text) is not None:
            return False
        return not (not actor.private and message.reply_to_bot and not message.mentioned and is_chatter(text))

    def command(self, actor: Actor, name: str, args: list[str] | None = None, confirmed: bool = False) -> Turn:
        """Run a command by name, with the same role and private-chat checks as when typed (the
        dashboard's buttons are these commands). ``confirmed``: a destructive command (/rollback,
        /remove, /unlink) was already confirmed (the dashboard's page, a chat's "✅ Xác nhận"), so it
        acts instead of asking."""
        message = Incoming(text=f"/{name}", addressed=True)
        return self._command(actor, message, name, None, list(args or []), confirmed)

    def role(self, actor: Actor) -> str:
        """ "admin", "officer" or "member": what this person may do (checked again by every action)."""
        if self.roles.is_admin(actor):
            return ADMIN
        return OFFICER if self.roles.is_officer(actor) else MEMBER

    def _command(
        self, actor: Actor, message: Incoming, name: str, suffix: str | None, args: list[str], confirmed: bool = False
    ) -> Turn:
        from bot.conversation.commands import COMMANDS

        mine = self.channel(actor.channel).bot_name
        if suffix and mine and suffix.lower() != mine.lower():
            return Turn()  # "/help@other_bot" in a group with several bots
        command = COMMANDS.get(name)
        if command is None:
            return Turn([Text(text=texts.UNKNOWN_COMMAND.format(command=name))]) if actor.private else Turn()
        if message.edited and not command.on_edit:
            return Turn()  # editing "/quiz_now" must not send a second quiz
        if command.private_only and not actor.private:
            return Turn([Text(text=texts.PRIVATE_ONLY.format(command=name))])
        if command.role == ADMIN and not self.roles.is_admin(actor):
            return Turn([Text(text=command.refusal)])
        if command.role == OFFICER and not self.roles.is_officer(actor):
            return Turn([Text(text=texts.NOT_OFFICER)])
        run = command.run_confirmed if confirmed and command.run_confirmed else command.run
        try:
            return run(self, actor, message, args)
        except HoidapError as e:  # a user's mistake or an anticipated refusal: say it in one line
            return Turn([Text(text=str(e))])

    # --- taps and numbered choices ----------------------------------------------------------------
    def tap(self, actor: Actor, data: str | Action) -> Turn:
        """A button press (encoded data) or a chosen number's action. Garbled data gets a short notice."""
        from bot.conversation import admin, ask, feedback, learning, pending, quiz

        action = actions.decode(data) if isinstance(data, str) else data
        if action is None:
            return Turn([Toast(text=texts.STALE_BUTTON, alert=True)])
        match action:
            case actions.ShowAnswer(key, number, ref):
                return ask.show_answer(self, actor, key, number, ref)
            case actions.ConfirmAnswer():
                return ask.confirm(self, actor, action)
            case actions.Feedback(ref, value):
                return feedback.record(self, actor, ref, value)
            case actions.UploadDecision(token, accept):
                return admin.decide_upload(self, actor, token, accept)
            case actions.ActionDecision(token, accept):
                return pending.decide(self, actor, token, accept)
            case actions.Review():
                return learning.step(self, actor, action)
            case actions.QuizVote(delivery_id, option):
                return quiz.vote(self, actor, delivery_id, option)
        return Turn([Toast(text=texts.STALE_BUTTON, alert=True)])

    def remember_choices(self, actor: Actor, numbered: dict[str, str]) -> None:
        """Text channels: what each number offered in this chat does (written in the background)."""
        from bot.storage import repository

        channel, chat = actor.channel, actor.chat_id
        self._offered[(channel, chat)] = numbered
        self._offered.move_to_end((channel, chat))
        while len(self._offered) > OFFERED_MAX:
            self._offered.popitem(last=False)
        self.journal.submit(
            "chat choices", lambda s: repository.put_chat_state(s, channel, chat, {"choices": numbered})
        )

    def choose(self, actor: Actor, number: str) -> Turn | None:
        """A number typed on a text channel picks one of the choices last offered there (None: none)."""
        from bot.storage import repository

        offered = self._offered.get((actor.channel, actor.chat_id))
        if offered is None:  # offered by another process, or before a restart
            offered = repository.get_chat_state(self.db, actor.channel, actor.chat_id).get("choices") or {}
        data = offered.get(str(int(number)))
        if not isinstance(data, str):
            return None
        turn = self.tap(actor, data)
        # Toasts acknowledge buttons; on a text channel the reply itself is the acknowledgement.
        turn.replies = [r for r in turn.replies if not (isinstance(r, Toast) and not r.text)]
        return turn

    def other(self, actor: Actor, kind: str) -> Turn:
        """Something that is not text (sticker, voice, photo without caption): a hint in private only."""
        return Turn([Text(text=texts.NOT_TEXT)]) if actor.private else Turn()

    # --- documents ------------------------------------------------------------------------------------
    def takes_photos(self, actor: Actor) -> bool:
        """A photo is a page of a document to add when an admin sends it in private; otherwise it is media."""
        return actor.private and self.roles.is_admin(actor)

    def check_upload(self, actor: Actor, filename: str, size: int | None) -> Turn | None:
        """Before downloading a file: a refusal, or None to go ahead."""
        from bot.conversation import admin

        return admin.check_upload(self, actor, filename, size)

    def album_page(self, actor: Actor, group_id: str, message_id: int, data: bytes) -> None:
        """A photo of an album (several pages sent at once): kept until the album is complete."""
        from bot.conversation import admin

        admin.album_page(self, actor, group_id, message_id, data)

    def album(self, actor: Actor, group_id: str, quiet: float) -> Turn | None:
        """The album as one document's preview once no photo came for ``quiet`` s; None until then."""
        from bot.conversation import admin

        return admin.album(self, actor, group_id, quiet)

    def upload(self, actor: Actor, filename: str, data: bytes) -> Turn:
        """An admin sent a document: preview it, keep it (in the database) until confirmed."""
        from bot.conversation import admin

        return admin.upload(self, actor, filename, data)

    def import_quiz(self, actor: Actor, filename: str, data: bytes) -> Turn:
        """An officer's own quiz questions (CSV/YAML), validated against the indexed documents."""
        from bot.conversation import admin

        return admin.import_quiz(self, actor, filename, data)

    # --- web ---------------------------------------------------------------------------------------
    def redeem_web_link(self, token: str):
        """Whom a /web login link logs in (:class:`~bot.conversation.weblogin.Staff`); None for a forged,
        expired or used link."""
        from bot.conversation import weblogin

        return weblogin.redeem(self, token)

    def review_rows(self, actor: Actor) -> list:
        """The review queue as list rows (:class:`~bot.conversation.learning.ReviewRow`; admins only,
        else empty): the dashboard searches, filters and pages them; each row's actions are taps."""
        from bot.conversation import learning

        return learning.review_rows(self, actor)

    def impact(self, actor: Actor, action: str, target: str) -> Turn:
        """What ``action`` ("rollback", "remove", "unlink") on ``target`` would change for members,
        shown before it is confirmed (admins only): see :mod:`bot.conversation.impact`."""
        from bot.conversation import impact

        if action == "rollback":
            return impact.rollback(self, actor, target)
        if action == "remove":
            return impact.remove(self, actor, target)
        if action == "unlink" and target.lstrip("#").isdigit() and len(target) <= 12:
            return impact.unlink(self, actor, int(target.lstrip("#")))
        return Turn([Text(text=texts.UNLINK_USAGE if action == "unlink" else texts.STALE_BUTTON)])

    def quiz_today(self, actor: Actor) -> Turn:
        """The site's quiz of the day, answered by tapping a letter (channels without polls or chats)."""
        from bot.conversation import quiz

        return quiz.today(self, actor)

    # --- quiz bank and groups, from the dashboard (bot.conversation.quiz_editor) -------------------------
    def save_quiz_question(self, actor: Actor, form: dict, replaces: str | None = None) -> Turn:
        """Write a quiz question, or edit ``replaces``: checked as an imported row is."""
        from bot.conversation import quiz_editor

        return self._guarded(quiz_editor.save_question, actor, form, replaces)

    def set_quiz_question_active(self, actor: Actor, question_id: str, active: bool) -> Turn:
        from bot.conversation import quiz_editor

        return self._guarded(quiz_editor.set_question_active, actor, question_id, active)

    def set_quiz_schedule(self, actor: Actor, sub_id: int, time: str, days: list[str], active: bool) -> Turn:
        from bot.conversation import quiz_editor

        return self._guarded(quiz_editor.set_schedule, actor, sub_id, time, days, active)

    def _guarded(self, flow, actor: Actor, *args) -> Turn:
        try:
            return flow(self, actor, *args)
        except HoidapError as e:  # a user's mistake: said in one line, as commands do
            return Turn([Text(text=str(e))])

    # --- quiz ------------------------------------------------------------------------------------------
    def poll_answer(self, channel: str, user_id: str, name: str, poll_id: str, option: int | None) -> None:
        """A vote on a native quiz poll: scored once (changed and retracted votes change nothing).
        With the database out, kept and written when it is back."""
        try:
            result = self.quiz.record_answer(channel, str(user_id), name, option, poll_id=poll_id)
        except Exception as e:
            if trouble_kind(e) is None:
                raise
            self.keep_quiz_answer(channel, str(user_id), name, option, error=e, poll_id=poll_id)
            return
        if result is not None:
            metrics.count(metrics.QUIZ_ANSWERS, channel, str(result.correct).lower())

    def keep_quiz_answer(
        self, channel: str, user_id: str, name: str, option: int | None, error: BaseException | str = "", **where
    ) -> None:
        """A quiz answer taken while the database is out: queued, as question logs are, and written
        (scored once, by the usual rules) when it is back — the member's tap is not lost. Said once a
        minute, not once a tap (a quiz at 7:00 brings hundreds of taps)."""
        outages.failure("database", "quiz answers kept, to be written when it is back", error)
        self.journal.submit("quiz answer", lambda s: self.quiz.record_kept(s, channel, user_id, name, option, **where))

    def knows_poll(self, channel: str, poll_id: str) -> bool | None:
        """Whether the poll is one of ours; None when the database cannot say now."""
        try:
            return self.quiz.knows_poll(channel, poll_id)
        except Exception as e:
            if trouble_kind(e) is None:
                raise
            return None

    def poll_counts(self, channel: str, poll_id: str, total: int, per_option: list[int]) -> None:
        self.quiz.record_poll_counts(channel, poll_id, total, per_option)

    def quiz_sent(self, delivery_id: int, poll_id: str | None = None, message_id: str | None = None) -> None:
        late = self.quiz.mark_sent(delivery_id, poll_id, message_id)
        metrics.count(metrics.QUIZ_DELIVERIES, "sent")
        if late is not None and late > LATE_QUIZ_SECONDS:
            metrics.count(metrics.QUIZ_LATE)

    def quiz_failed(self, delivery_id: int, retry_later: bool) -> None:
        """A quiz could not be sent: left claimed (retried after the claim timeout) or given up."""
        metrics.count(metrics.QUIZ_DELIVERIES, "retry" if retry_later else "failed")
        if not retry_later:
            self.quiz.mark_failed(delivery_id)

    def due_quizzes(self, channels: set[str], now=None):
        """Claim the quizzes due now for ``channels``: [(Claim, QuizPoll)] this process must send."""
        from bot.conversation import quiz

        return quiz.due(self, channels, now)

    def renew_claim(self, claim):
        """The claim with a fresh mark if this process still owns it, else None (see QuizDeliveries.renew)."""
        return self.quiz.renew(claim)

    # --- chats that change ------------------------------------------------------------------------------
    def chat_migrated(self, channel: str, old: str, new: str) -> None:
        """A group became a supergroup with a new id: subscription, scores and memory move with it."""
        if self.quiz.migrate_chat(channel, str(old), str(new)):
            log.info("%s: chat %s migrated to %s; its quiz follows", channel, old, new)

    def chat_lost(self, channel: str, chat_id: str, reason: str) -> list:
        """The bot can no longer post in a chat (kicked, blocked, chat gone): its quiz stops, and the
        officer who set it up is told privately. Returns the notices to send."""
        sub = self.quiz.stop_chat(channel, str(chat_id), reason)
        if sub is None:
            return []
        log.warning("%s: quiz of chat %s stopped (%s)", channel, chat_id, reason)
        if not sub.created_by or sub.created_by == str(chat_id):
            return []
        title = sub.title or str(chat_id)
        return [Text(text=texts.QUIZ_STOPPED_KICKED.format(title=title), to=sub.created_by)]
