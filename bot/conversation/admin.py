"""Admins: officers, documents (upload → preview → confirm, remove), rebuilds, rollback, the
unanswered report. Document output stays in private chats."""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
from pathlib import Path

from bot.conversation import audit, texts
from bot.conversation.actions import UploadDecision
from bot.conversation.actor import Actor, Incoming
from bot.conversation.impact import held
from bot.conversation.replies import Choice, DocumentPreview, Listing, Text, Toast, Turn, Work
from bot.documents.readers import SUPPORTED_SUFFIXES
from bot.errors import HoidapError, QuizImportError, UserInputError
from bot.localtime import show
from bot.storage import repository

log = logging.getLogger(__name__)
UPLOAD_TTL = 3600.0  # seconds an unconfirmed upload is kept
MAX_DAYS = 3650
SUFFIXES = SUPPORTED_SUFFIXES  # documents, scans, photos of pages, old .doc: whatever the readers read
# In the audit record of what built a version: the versions list finds who built each one by it.
VERSION_NOTE = "phiên bản {version}"


# --- officers ------------------------------------------------------------------------------------
def _officer_target(actor: Actor, message: Incoming, args: list[str], verb: str) -> str:
    if args and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", args[0]):
        return args[0]
    if message.reply_to_user:
        return message.reply_to_user
    raise UserInputError(texts.OFFICER_USAGE.format(verb=verb))


def officer_add(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    user = _officer_target(actor, message, args, "add")
    done = core.roles.grant(actor, user)
    if done:
        audit.record(core, actor, "role_grant", f"{actor.channel}:{user}", "cán bộ")
    return Turn([Text(text=(texts.OFFICER_ADDED if done else texts.OFFICER_ALREADY).format(user=user))])


def officer_remove(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    user = _officer_target(actor, message, args, "remove")
    done = core.roles.revoke(actor, user)
    if done:
        audit.record(core, actor, "role_revoke", f"{actor.channel}:{user}", "cán bộ")
    return Turn([Text(text=(texts.OFFICER_REMOVED if done else texts.OFFICER_NOT).format(user=user))])


# --- reports and index ------------------------------------------------------------------------------
def docs(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    lines = [
        texts.DOCS_ROW.format(doc_id=d.doc_id, name=d.name, questions=d.questions)
        for d in core.assistant.library.documents()
    ]
    versions = core.assistant.library.index_versions()
    active = next((v for v in versions if v.active), None)
    footer = (
        texts.DOCS_INDEX.format(name=active.name, built=show(active.built_at), count=len(versions)) if active else None
    )
    # The kept versions with what each holds, in Vietnam time: a chat admin picks a rollback target here,
    # as on the dashboard's Phiên bản page.
    kept = []
    for v in list(reversed(versions))[: texts.DOCS_VERSIONS_SHOWN]:
        docs_held = held(v.manifest)
        kept.append(
            texts.DOCS_VERSION_ROW.format(
                name=v.name,
                built=show(v.built_at),
                documents=len(docs_held),
                answers=sum(d.answers for d in docs_held),
                active=texts.DOCS_VERSION_ACTIVE if v.active else "",
            )
        )
    sections = [(None, lines)] + ([(texts.DOCS_VERSIONS, kept)] if kept else [])
    return Turn([Listing(title=texts.DOCS_TITLE, sections=sections, footer=footer)])


def unanswered(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    days = 30
    if args:
        if not args[0].isdigit() or not 1 <= int(args[0][:6]) <= MAX_DAYS:
            raise UserInputError(texts.DAYS_USAGE.format(max=MAX_DAYS))
        days = int(args[0])
    rows = core.assistant.records.unanswered(days, 15)
    if not rows:
        return Turn([Text(text=texts.UNANSWERED_NONE.format(days=days))])
    lines = [texts.UNANSWERED_ROW.format(count=r.count, question=r.question[:200]) for r in rows]
    return Turn(
        [
            Listing(
                title=texts.UNANSWERED_TITLE.format(days=days),
                sections=[(None, lines)],
                footer=texts.UNANSWERED_HINT,
            )
        ]
    )


def build_summary(result) -> str:
    lines = [
        texts.REBUILT.format(
            version=result.version,
            seconds=result.seconds,
            documents=len(result.documents),
            groups=result.groups,
            embedded=result.embedded,
            cached=result.cached,
        )
    ]
    for d in result.documents:
        meta, counts = d["meta"], d["counts"]
        name = f"{meta.get('doc_type') or 'Văn bản'} {meta.get('number') or d['file']}"
        if counts["questions"]:
            lines.append(texts.REBUILT_DOC_QA.format(name=name, questions=counts["questions"], items=counts["items"]))
        else:
            lines.append(texts.REBUILT_DOC_SECTIONS.format(name=name, sections=counts["sections"]))
    lines += [f"⚠️ {n}" for n in result.notices]
    return "\n".join(lines)


def _work(title: str, job) -> Work:
    def run(progress):
        try:
            return [Text(text=job(progress))]
        except HoidapError as e:
            return [Text(text=texts.FAILED.format(error=e))]

    return Work(title=title, run=run)


def reindex(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    def job(progress) -> str:
        result = core.assistant.library.build(progress=progress)
        audit.record(core, actor, "rebuild", result.version, VERSION_NOTE.format(version=result.version))
        return build_summary(result)

    return Turn([_work(texts.REINDEXING, job)])


def previous_version(versions) -> str | None:
    """The version ``/rollback`` without a name goes back to: the newest one older than the active
    (as the index store resolves it), so the question names the version the confirmation restores."""
    active = next((v.name for v in versions if v.active), None)
    older = [v.name for v in versions if active is None or v.name < active]
    return older[-1] if older else None


def rollback(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """Asks first: what members lose and gain, with "✅ Xác nhận quay về" (see bot.conversation.pending)."""
    from bot.conversation import impact, pending

    version = args[0] if args else previous_version(core.assistant.library.index_versions())
    if version is None:
        return Turn([Text(text=texts.ROLLBACK_FAILED.format(error=texts.ROLLBACK_NO_OLDER))])
    return pending.ask(core, actor, "rollback", [version], impact.rollback(core, actor, version))


def rollback_now(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    before = next((v.name for v in core.assistant.library.index_versions() if v.active), "")
    try:
        name = core.assistant.library.rollback(args[0] if args else None)
    except HoidapError as e:
        return Turn([Text(text=texts.ROLLBACK_FAILED.format(error=e))])
    audit.record(core, actor, "rollback", name, f"từ {before}" if before else "")
    return Turn([Text(text=texts.ROLLED_BACK.format(name=name))])


def remove(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    """Asks first: the document's answers members lose, with "✅ Xác nhận xóa"."""
    from bot.conversation import impact, pending

    if len(args) != 1:
        raise UserInputError(texts.REMOVE_USAGE)
    return pending.ask(core, actor, "remove", args, impact.remove(core, actor, args[0]))


def remove_now(core, actor: Actor, message: Incoming, args: list[str]) -> Turn:
    if len(args) != 1:
        raise UserInputError(texts.REMOVE_USAGE)

    def job(progress) -> str:
        path, result = core.assistant.library.remove_document(args[0], progress=progress)
        audit.record(core, actor, "remove", args[0], f"{path.name}; {VERSION_NOTE.format(version=result.version)}")
        return texts.REMOVED.format(file=path.name) + "\n" + build_summary(result)

    return Turn([_work(texts.REINDEXING, job)])


# --- uploads -------------------------------------------------------------------------------------------
def check_upload(core, actor: Actor, filename: str, size: int | None) -> Turn | None:
    if not actor.private:
        return Turn()  # files shared in groups are not for the bot
    if not core.roles.is_admin(actor):
        return Turn([Text(text=texts.NOT_ADMIN_DOCS)])
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return Turn([Text(text=texts.UPLOAD_UNSUPPORTED.format(name=filename, suffix=suffix or "(không có đuôi)"))])
    limit = core.settings.max_upload_bytes
    if size is not None and size > limit:
        return Turn(
            [
                Text(
                    text=texts.UPLOAD_TOO_LARGE.format(
                        name=filename, size=size / 1048576, limit=core.settings.max_upload_mb
                    )
                )
            ]
        )
    return None


# An album's pages wait this long in the database at most (an album whose process died is forgotten).
ALBUM_TTL = 3600.0


def album_page(core, actor: Actor, group_id: str, message_id: int, data: bytes) -> None:
    """One photo of an album an admin sent: kept until the album is complete (see ``album``)."""
    repository.store_album_page(core.db, actor.channel, actor.user_id, group_id, message_id, data, ALBUM_TTL)


def album(core, actor: Actor, group_id: str, quiet: float) -> Turn | None:
    """The album's photos as one document, a page each in the order sent, once no photo has come for
    ``quiet`` seconds (None until then, or when another process took it): the same preview as one upload."""
    from bot.documents.readers.scan import combine_pages

    pages = repository.take_album(core.db, actor.channel, actor.user_id, group_id, quiet)
    if not pages:
        return None
    if len(pages) == 1:
        return upload(core, actor, f"anh-chup-{group_id}.jpg", pages[0])
    name = f"album-{group_id}-{len(pages)}-trang.tif"
    refused = check_upload(core, actor, name, sum(len(p) for p in pages))
    if refused is not None:
        return refused
    from PIL import Image

    try:
        data = combine_pages(pages)
    except (OSError, ValueError, Image.DecompressionBombError):
        return Turn([Text(text=texts.ALBUM_UNREADABLE)])
    return upload(core, actor, name, data)


def _staged(core, token: str, filename: str, data: bytes) -> Path:
    """The bytes in a file of ours (named by token, never by the user's name), for the parser."""
    folder = core.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=token, suffix=Path(filename).suffix.lower(), dir=folder)
    with open(fd, "wb") as f:
        f.write(data)
    return Path(name)


def preview_lines(summary) -> tuple[str, list[str]]:
    """What the admin checks before confirming: title, number, date, issuer, counts, first questions,
    what it replaces and how it differs, warnings."""
    lines = [texts.PREVIEW_NUMBER.format(number=summary.number or texts.PREVIEW_NO_NUMBER)]
    if getattr(summary, "date", None):
        lines.append(texts.PREVIEW_DATE.format(date=summary.date))
    if getattr(summary, "issuer", None):
        lines.append(texts.PREVIEW_ISSUER.format(issuer=summary.issuer))
    if summary.questions:
        lines.append(texts.PREVIEW_QA.format(questions=summary.questions, items=summary.items))
    else:
        lines.append(texts.PREVIEW_SECTIONS.format(sections=summary.sections))
    per_question = getattr(summary, "items_per_question", None) or {}
    if per_question:
        lines.append(
            texts.PREVIEW_ITEMS.format(items=", ".join(f"câu {q}: {n}" for q, n in sorted(per_question.items())))
        )
    lines += [f"• {q[:150]}" for q in summary.first_questions]
    if summary.replaces:
        lines.append("⚠️ " + texts.PREVIEW_REPLACES.format(file=summary.replaces))
    changes = getattr(summary, "changes", None) or []
    if changes:
        lines.append(texts.PREVIEW_CHANGES)
        lines += [f"  {c}" for c in changes]
    lines += [f"⚠️ {w}" for w in summary.warnings]
    return f"📄 {summary.title}", lines


def upload(core, actor: Actor, filename: str, data: bytes) -> Turn:
    refused = check_upload(core, actor, filename, len(data))
    if refused is not None:
        return refused
    token = secrets.token_urlsafe(12)
    staged = _staged(core, token, filename, data)
    try:
        summary = core.assistant.library.preview_document(staged, filename)
    except HoidapError as e:
        return Turn([Text(text=texts.UPLOAD_REFUSED.format(error=e))])
    finally:
        staged.unlink(missing_ok=True)
    # Kept in the database, not in this process: any process may receive the confirmation tap.
    repository.store_upload(core.db, token, actor.channel, actor.user_id, filename, data, UPLOAD_TTL)
    audit.record(core, actor, "upload", filename, f"{len(data)} byte")
    title, lines = preview_lines(summary)
    choices = (
        Choice(texts.UPLOAD_CONFIRM, UploadDecision(token, True), key="1"),
        Choice(texts.UPLOAD_CANCEL, UploadDecision(token, False), key="2"),
    )
    preview = DocumentPreview(summary=summary, title=title, lines=lines, choices=choices)
    if not summary.questions:
        return Turn([preview])
    return Turn([preview, _self_test(core, filename, data)])


QUIZ_SUFFIXES = (".csv", ".xlsx", ".yaml", ".yml")


def import_quiz(core, actor: Actor, filename: str, data: bytes) -> Turn:
    """Officers' own questions: validated (errors name the file and line), duplicates skipped."""
    if not core.roles.is_officer(actor):
        return Turn([Text(text=texts.NOT_OFFICER)])
    name = Path(filename).name
    if Path(name).suffix.lower() not in QUIZ_SUFFIXES:
        return Turn([Text(text=texts.IMPORT_UNSUPPORTED)])
    if len(data) > core.settings.max_upload_bytes:
        size, limit = len(data) / 1048576, core.settings.max_upload_mb
        return Turn([Text(text=texts.UPLOAD_TOO_LARGE.format(name=name, size=size, limit=limit))])
    # Under the name the officer chose (errors cite it), in a folder of ours.
    with tempfile.TemporaryDirectory(dir=_uploads(core)) as folder:
        path = Path(folder) / (re.sub(r"[^\w.() -]", "_", name)[:100] or "cau-hoi.csv")
        path.write_bytes(data)
        try:
            added, duplicates = core.assistant.quizzes.import_quiz_file(path)
        except QuizImportError as e:
            return Turn([import_problems(name, e)])
        except HoidapError as e:
            return Turn([Text(text=str(e))])
    audit.record(core, actor, "quiz_import", name, f"{added} câu mới, {duplicates} câu trùng")
    done = texts.IMPORTED_DUPLICATES if duplicates else texts.IMPORTED
    return Turn([Text(text=done.format(added=added, file=name, duplicates=duplicates))])


def import_problems(name: str, error: QuizImportError) -> Text | Listing:
    """One bad row in a line; several as a list, every one with its line, so the whole file is fixed at once."""
    if len(error.problems) == 1:
        return Text(text=str(error))
    lines = [
        texts.IMPORT_PROBLEM_ROW.format(line=line if line is not None else "?", reason=reason)
        for line, reason in error.problems
    ]
    title = texts.IMPORT_PROBLEMS.format(file=name, count=len(error.problems))
    return Listing(title=title, sections=[(None, lines)], footer=texts.IMPORT_FIX)


def _uploads(core) -> Path:
    folder = core.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def decide_upload(core, actor: Actor, token: str, accept: bool) -> Turn:
    if not core.roles.is_admin(actor):
        return Turn([Toast(text=texts.NOT_ADMIN_DOCS, alert=True)])
    pending = repository.peek_upload(core.db, token)
    if pending is None or pending.user_id != actor.user_id or pending.channel != actor.channel:
        return Turn([Toast(text=texts.UPLOAD_EXPIRED, alert=True)])
    if repository.is_pending_action(pending) or repository.is_album_page(pending):  # not a document's token
        return Turn([Toast(text=texts.UPLOAD_EXPIRED, alert=True)])
    pending = repository.take_upload(core.db, token)  # one tap wins, in any process
    if pending is None:
        return Turn([Toast(text=texts.UPLOAD_EXPIRED, alert=True)])
    if not accept:
        audit.record(core, actor, "cancel", pending.filename)
        # The text says it once; the tap's own acknowledgement stays empty (elsewhere than Telegram a toast
        # is a line of text too, and "Đã hủy" twice reads as two cancellations).
        return Turn([Toast(text=""), Text(text=texts.UPLOAD_CANCELLED)])
    filename, data = pending.filename, pending.data

    def job(progress) -> str:
        staged = _staged(core, token, filename, data)
        try:
            summaries, result = core.assistant.library.add_documents(
                [(staged, filename)], replace=True, progress=progress
            )
        except HoidapError as e:  # confirmed, but not added: the log says so
            audit.record(core, actor, "confirm", filename, texts.FAILED.format(error=e))
            raise
        finally:
            staged.unlink(missing_ok=True)
        audit.record(core, actor, "confirm", filename, VERSION_NOTE.format(version=result.version))
        added = ", ".join(s.name for s in summaries)
        return texts.ADDED.format(names=added) + "\n" + build_summary(result)

    return Turn([Toast(text=texts.UPLOAD_WORKING + "…"), _work(texts.UPLOAD_WORKING, job)])


def self_test_lines(checks) -> tuple[str, list[str]]:
    """The self-test as a title and lines: per official question, how many phrasings were answered
    right, an example of what went wrong, and the other documents it collides with."""
    total = sum(len(c.asked) for c in checks)
    right = sum(c.right for c in checks)
    lines = []
    for c in checks:
        if c.right < len(c.asked):
            text, answer = next(
                (t, a) for t, a in c.asked if not (a.found and a.source and a.source.question_number == c.number)
            )
            src = answer.source
            got = f"câu hỏi {src.question_number}" if answer.found and src else texts.SELFTEST_NONE
            lines.append(
                texts.SELFTEST_WEAK.format(number=c.number, right=c.right, total=len(c.asked), example=text, got=got)
            )
        else:
            lines.append(texts.SELFTEST_OK.format(number=c.number, right=c.right, total=len(c.asked)))
        if c.collides_with:
            lines.append(texts.SELFTEST_COLLIDES.format(number=c.number, others="; ".join(c.collides_with)))
    if any(not c.ok for c in checks):
        lines.append(texts.SELFTEST_FOOTER)
    return texts.SELFTEST_TITLE.format(right=right, total=total), lines


def _self_test(core, filename: str, data: bytes) -> Work:
    """The preview's self-test, as long work (a scratch index is built): see bot.answer.selftest."""

    def run(progress) -> list:
        token = secrets.token_urlsafe(8)
        staged = _staged(core, token, filename, data)
        try:
            _, checks = core.assistant.library.self_test_document(staged, filename, progress)
        except HoidapError as e:
            return [Text(text=texts.UPLOAD_REFUSED.format(error=e))]
        finally:
            staged.unlink(missing_ok=True)
        title, lines = self_test_lines(checks)
        return [Listing(title=title, sections=[(None, lines)])]

    return Work(title=texts.SELFTEST_WORKING, run=run)
