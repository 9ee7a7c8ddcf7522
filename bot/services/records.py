"""Records of use: unanswered questions, statistics for the dashboard, and learning from use (admins'
links and out-of-scope marks, the review queue, members' pseudonyms, retention)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from bot.zones import local_day, utc_bounds

if TYPE_CHECKING:  # the database is imported when first used: `hoidap ask` never needs SQLAlchemy
    from bot.learning.privacy import Pseudonyms
    from bot.service import Assistant
    from bot.storage import repository


@dataclass(frozen=True)
class DayCounts:
    """Questions of one local day by outcome, and the confirmations tapped that day."""

    date: dt.date
    answered: int = 0
    confirm: int = 0  # "Có phải bạn muốn hỏi…" offered
    refused: int = 0
    confirmed: int = 0  # offers members took with the "Có phải…" button (not suggestions tapped)
    suggested: int = 0  # suggestions tapped under a refusal


@dataclass(frozen=True)
class TopAnswer:
    doc_id: str
    name: str
    question_number: int
    question: str
    times: int


@dataclass(frozen=True)
class UnansweredGroup:
    """Unanswered questions that ask the same thing in different words (the most asked one first)."""

    question: str
    count: int
    last_asked: dt.datetime
    channels: str
    variants: list[tuple[str, int]]


SIMILAR = 0.90  # cosine of two unanswered questions asking the same thing (multilingual-e5-small)


class Records:
    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._member_keys: Pseudonyms | None = None  # read once, on the first question logged

    @cached_property
    def memory(self):
        """Phrasings admins linked or marked, laid over the active index (see bot.learning.memory).
        The answerer reads it; every change made here invalidates it, so it is in service at once."""
        from bot.learning.memory import PhrasingMemory

        return PhrasingMemory(self._assistant.database)

    # --- unanswered questions ----------------------------------------------------------------
    def unanswered(self, days: int | None = 30, limit: int = 50) -> list[repository.UnansweredRow]:
        """Most frequent questions without an official answer in the last ``days`` (None: all time),
        members' personal data masked (bot.personal): what every report, list and export shows."""
        from bot.personal import mask

        return [dataclasses.replace(r, question=mask(r.question)) for r in self._unanswered(days, limit)]

    def _unanswered(self, days: int | None, limit: int, **between) -> list[repository.UnansweredRow]:
        from bot.storage import repository

        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days) if days else None
        if between.get("since") is not None:
            since = max(since, between.pop("since")) if since else between.pop("since")
        between.pop("since", None)
        return repository.unanswered(self._assistant.database, since, limit, **between)

    def unanswered_groups(self, days: int | None = 30, limit: int = 50, **between) -> list[UnansweredGroup]:
        """Unanswered questions grouped by meaning: variants of wording (already counted together by
        :meth:`unanswered`) and questions whose embeddings are close (the model of the index).
        ``between``: ``since``/``until`` (UTC instants) and ``channel`` narrow what is counted."""
        from bot.personal import mask
        from bot.storage import repository

        rows = self._unanswered(days, 400, **between)  # grouped by what members wrote; shown masked
        if not rows:
            return []
        vectors = self._assistant.embedder.embed_queries([r.question for r in rows])
        groups: list[tuple[int, list[int]]] = []  # (representative, members), most asked first
        for i in range(len(rows)):
            for rep, members in groups:
                if float(vectors[i] @ vectors[rep]) >= SIMILAR:
                    members.append(i)
                    break
            else:
                groups.append((i, [i]))
        out = []
        for rep, members in groups[:limit]:
            picked = [rows[i] for i in members]
            channels = {r.channels for r in picked}
            out.append(
                UnansweredGroup(
                    question=mask(rows[rep].question),
                    count=sum(r.count for r in picked),
                    last_asked=max(repository._utc(r.last_asked) for r in picked),
                    channels=channels.pop() if len(channels) == 1 else "nhiều kênh",
                    variants=[(mask(r.question), r.count) for r in picked],
                )
            )
        return sorted(out, key=lambda g: (-g.count, -g.last_asked.timestamp()))

    # --- statistics (read-only; the web checks the reader's role with the conversation core) ---
    def question_stats(self, since: dt.date, until: dt.date) -> list[DayCounts]:
        """Questions per local day from ``since`` to ``until`` (answered / confirmation offered /
        refused; greetings, small talk and empty messages left out), confirmations taken with the
        "Có phải…" button and suggestions tapped, oldest day first, every day present."""
        from bot.storage import repository

        db, timezone = self._assistant.database, self._assistant.settings.timezone
        start, end = utc_bounds(since, until, timezone)
        days = (until - since).days + 1
        counts = {since + dt.timedelta(days=i): [0, 0, 0, 0, 0] for i in range(days)}
        for q in repository.question_outcomes(db, start, end):
            row = counts.get(local_day(q.created_at, timezone))
            if row is None or q.kind in ("empty", "smalltalk", "greeting"):
                continue
            row[0 if q.found else 1 if q.confirm else 2] += 1
        for when, origin in repository.confirmation_times(db, start, end):
            row = counts.get(local_day(when, timezone))
            if row is not None:
                row[3 if origin == "confirm" else 4] += 1
        return [DayCounts(day, *row) for day, row in sorted(counts.items())]

    def top_answers(self, since: dt.date, until: dt.date, limit: int = 10) -> list[TopAnswer]:
        """The official answers members got most often (documents no longer indexed left out)."""
        from bot.storage import repository

        start, end = utc_bounds(since, until, self._assistant.settings.timezone)
        version = self._assistant.index.current()
        questions = {(g.doc_id, g.question_number): g.question for g in version.groups}
        out = []
        for doc_id, number, times in repository.top_answers(self._assistant.database, start, limit, end):
            if doc_id in version.documents:
                name = version.documents[doc_id].short_name
                out.append(TopAnswer(doc_id, name, number, questions.get((doc_id, number), ""), times))
        return out

    # --- learning from use (bot.learning) ----------------------------------------------------
    def official_questions(self, doc_id: str) -> list[tuple[int, str, list[int]]]:
        """(number, official question, item numbers) of a document's Q&A pairs, in order: what a
        wording can be linked to."""
        version = self._assistant.index.current()
        out = []
        for g in version.groups:
            if g.doc_id == doc_id and g.question_number is not None:
                items = sorted({version.units[p].item for p in g.positions if version.units[p].kind == "item"})
                out.append((g.question_number, g.question, items))
        return out

    def link_phrasing(
        self, text: str, question_number: int, item: int | None = None, document: str | None = None, by: str = "cli"
    ):
        """Link a member's wording to an official answer ("Câu hỏi 4, mục (6)"); in service at once.

        ``document``: its number or id (default: the only loaded one). Returns the stored phrasing.
        """
        from bot.learning import store

        version = self._assistant.index.current()
        target = store.Target(store.find_document(version, document), question_number, item)
        row = store.add_link(self._assistant.database, version, text, target, by)
        self.memory.invalidate()
        return row

    def mark_out_of_scope(self, text: str, by: str = "cli"):
        """Mark a wording as not answered by the documents: it and close wordings are refused."""
        from bot.learning import store

        row = store.mark_out_of_scope(self._assistant.database, text, by)
        self.memory.invalidate()
        return row

    def phrasings(self, include_proposed: bool = False) -> list:
        """Links and marks (active, waiting for review, retired), oldest first; the queue too if asked."""
        from bot.learning import store

        a = self._assistant
        self.memory.snapshot(a.answerer.retriever(a.index.current()))  # statuses follow the version
        statuses = store.DECIDED + ((store.PROPOSED,) if include_proposed else ())
        return store.listed(a.database, statuses)

    def remove_phrasing(self, phrasing_id: int, by: str = "cli"):
        from bot.learning import store

        row = store.remove(self._assistant.database, phrasing_id, by)
        self.memory.invalidate()
        return row

    def review_queue(self, limit: int = 10, refresh: bool = True) -> list:
        """Candidates for an admin to link (most asked first), the bot's best guess filled in.
        ``refresh``: first turn recent unanswered questions into candidates."""
        from bot.learning import review

        a = self._assistant
        if refresh:
            review.refresh(a, a.database, a.settings.question_retention_days)
        return review.queue(a, a.database, limit)

    def decide_review(self, phrasing_id: int, by: str, target=None, out_of_scope: bool = False):
        """Accept a candidate (its guess, or ``target``: a bot.learning.store.Target) or mark it out of scope."""
        from bot.learning import store

        a = self._assistant
        row = store.decide(a.database, a.index.current(), phrasing_id, by, target, out_of_scope)
        self.memory.invalidate()
        return row

    def skip_review(self, phrasing_id: int, by: str) -> None:
        from bot.learning import store

        store.skip(self._assistant.database, phrasing_id, by)

    def feedback_rows(self) -> tuple[list[dict], list[dict]]:
        """Reviewed links (positives) and out-of-scope marks (negatives) as labelled questions."""
        from bot.learning import store

        positives, negatives = [], []
        for row in self.phrasings():
            if row.status != store.ACTIVE:
                continue
            if row.kind == store.LINK:
                positives.append({"q": row.text, "expect": [[row.question_number, row.item]], "doc": row.doc_id})
            else:
                negatives.append({"q": row.text, "expect": []})
        return positives, negatives

    # --- members' privacy (bot.learning.privacy) ---------------------------------------------
    def member_key(self, channel: str, user_id: str | None) -> str:
        """A member's pseudonym for logs (the keyed hash exports use); "" if the key cannot be read now."""
        keys = self._member_keys
        if keys is None:
            try:
                keys = self._member_keys = self.pseudonyms()
            except Exception:  # the database out of reach: the log line goes without it
                return ""
        return keys(channel, user_id)

    def pseudonyms(self) -> Pseudonyms:
        """``pseudonym(channel, user_id)`` for exports (see bot.learning.privacy)."""
        from bot.learning.privacy import Pseudonyms

        return Pseudonyms(self._assistant.database)

    def purge_expired(self) -> dict[str, int]:
        """Delete question logs older than the retention period, except the ones admins linked."""
        from bot.learning.privacy import purge

        return purge(self._assistant.database, self._assistant.settings.question_retention_days)
