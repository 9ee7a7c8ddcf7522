"""In chat (Telegram, Zalo, the terminal), /rollback, /remove and /unlink first show what members would
lose or gain, as the dashboard's confirmation page does, with "✅ Xác nhận …" and "Hủy": nothing
changes until the admin who asked confirms; cancelling changes nothing; nobody else may tap it."""

import datetime as dt

import pytest
from sqlalchemy import update

from bot.channels.terminal import Terminal
from bot.conversation import pending
from bot.conversation.actions import ActionDecision, decode, encode
from bot.conversation.actor import Actor
from bot.conversation.replies import Listing, Toast
from bot.learning import store as phrasings
from bot.service import Assistant
from bot.storage import audit
from bot.storage.models import Upload
from tests.conftest import DATA
from tests.turns import run_turn

ADMIN, OTHER_ADMIN = "9201", "9202"
QD99 = DATA / "docs" / "quy-dinh-99-kiem-thu.txt"
QD99_QUESTION = "Sinh hoạt chi bộ trực tuyến cần bảo đảm điều kiện gì?"


@pytest.fixture
def core(settings, embedder):
    assistant = Assistant(settings.model_copy(update={"admin_ids": [int(ADMIN), int(OTHER_ADMIN)]}), embedder=embedder)
    assistant.library.build()
    assistant.library.add_documents([(QD99, None)])  # a second version, holding Quy định 99
    yield assistant
    assistant.close()


def admin(user=ADMIN) -> Actor:
    return Actor("telegram", user, user, "private", "Lê Văn Quản")


def records(core) -> int:
    return audit.entries(core.conversation().db, audit.Filters(), limit=1000)[1]


def linked(core) -> int:
    return core.records.link_phrasing("sếp cứ đẩy việc lên trên thì sao", 4, document="46-CT/TU").id


def state(core, name: str, target: str):
    """What each command changes: the active version, the documents, a link's status."""
    if name == "rollback":
        return core.index.current().name
    if name == "remove":
        return sorted(d.doc_id for d in core.library.documents())
    return phrasings.get(core.conversation().db, int(target)).status


def target(core, name: str) -> str:
    if name == "rollback":
        return core.library.index_versions()[0].name  # the first build, without Quy định 99
    return "99-qd-tu" if name == "remove" else str(linked(core))


EXPECTED = {  # what the question says, and the confirmation button
    "rollback": ("Quay về phiên bản", "Quy định 99-QĐ/TU: 4 câu trả lời", "✅ Xác nhận quay về"),
    "remove": ("Xóa Quy định 99-QĐ/TU khỏi kho văn bản?", "Quy định 99-QĐ/TU: 4 câu trả lời", "✅ Xác nhận xóa"),
    "unlink": ("Bỏ liên kết #", "sẽ không còn được trả lời ngay bằng", "✅ Xác nhận bỏ liên kết"),
}


def ask(core, name: str, arg: str, actor: Actor | None = None) -> Listing:
    before = records(core)
    replies = run_turn(core.conversation().command(actor or admin(), name, [arg]))
    assert records(core) == before, "asking is not an action: nothing in the audit log"
    return next(r for r in replies if isinstance(r, Listing))


def buttons(listing: Listing, name: str) -> dict[bool, ActionDecision]:
    assert [c.label for c in listing.choices] == [EXPECTED[name][2], "Hủy"]
    return {c.action.accept: c.action for c in listing.choices}


@pytest.mark.parametrize("name", ["rollback", "remove", "unlink"])
def test_the_command_shows_the_impact_and_changes_nothing_until_confirmed(core, name):
    arg = target(core, name)
    before = state(core, name, arg)
    listing = ask(core, name, arg)
    title, line, _ = EXPECTED[name]
    assert listing.title.startswith(title)
    assert any(line in row for _, rows in listing.sections for row in rows), listing.sections
    choices = buttons(listing, name)
    assert state(core, name, arg) == before
    if name != "unlink":
        assert core.ask(QD99_QUESTION).found  # members still answered from Quy định 99

    # Every button survives the channels' encoding (Telegram's 64-byte callback data).
    assert all(decode(encode(a)) == a for a in choices.values())
    logged = records(core)
    done = run_turn(core.conversation().tap(admin(), encode(choices[True])))
    assert state(core, name, arg) != before
    assert records(core) == logged + 1  # one record, written on the confirmation
    assert audit.entries(core.conversation().db, audit.Filters(), limit=1)[0][0].action == name
    said = " ".join(getattr(r, "text", "") for r in done)
    assert {"rollback": "Đã chuyển chỉ mục", "remove": "Đã xóa 99-qd-tu.txt", "unlink": "Đã gỡ liên kết"}[name] in said
    if name != "unlink":
        assert not core.ask(QD99_QUESTION).found

    again = run_turn(core.conversation().tap(admin(), choices[True]))  # a second tap does nothing more
    assert isinstance(again[0], Toast) and again[0].alert and "hết hạn" in again[0].text
    assert records(core) == logged + 1


@pytest.mark.parametrize("name", ["rollback", "remove", "unlink"])
def test_cancel_keeps_everything_and_says_so(core, name):
    arg = target(core, name)
    before, logged = state(core, name, arg), records(core)
    choices = buttons(ask(core, name, arg), name)
    done = run_turn(core.conversation().tap(admin(), choices[False]))
    assert any(getattr(r, "text", "") == "Đã hủy, không có gì thay đổi." for r in done)
    assert state(core, name, arg) == before and records(core) == logged
    late = run_turn(core.conversation().tap(admin(), choices[True]))  # cancelled: confirming later does nothing
    assert late[0].alert and state(core, name, arg) == before


@pytest.mark.parametrize("name", ["rollback", "remove", "unlink"])
def test_only_the_admin_who_asked_may_confirm(core, name):
    arg = target(core, name)
    before = state(core, name, arg)
    choices = buttons(ask(core, name, arg), name)
    conv = core.conversation()
    member = Actor("telegram", "42", "42", "private", "Lan")
    for other in (admin(OTHER_ADMIN), member, Actor("zalo", ADMIN, ADMIN, "private", "Cùng số, kênh khác")):
        for accept in (True, False):
            refused = run_turn(conv.tap(other, choices[accept]))
            assert len(refused) == 1 and isinstance(refused[0], Toast) and refused[0].alert
    assert "Chỉ người đã ra lệnh" in run_turn(conv.tap(admin(OTHER_ADMIN), choices[True]))[0].text
    assert state(core, name, arg) == before
    run_turn(conv.tap(admin(), choices[True]))  # still the asker's to confirm
    assert state(core, name, arg) != before


def test_a_confirmation_expires(core):
    arg = target(core, "rollback")
    choices = buttons(ask(core, "rollback", arg), "rollback")
    with core.conversation().db.session() as s:  # an hour later (UPLOAD_TTL): the row is past its time
        s.execute(update(Upload).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)))
    before = core.index.current().name
    late = run_turn(core.conversation().tap(admin(), choices[True]))
    assert late[0].alert and "hết hạn" in late[0].text
    assert core.index.current().name == before


def test_a_pending_command_is_never_taken_for_an_upload(core):
    from bot.conversation.actions import UploadDecision

    choices = buttons(ask(core, "remove", "99-qd-tu"), "remove")
    forged = run_turn(core.conversation().tap(admin(), UploadDecision(choices[True].token, True)))
    assert forged[0].alert and "99-qd-tu" in {d.doc_id for d in core.library.documents()}
    assert set(pending.CONFIRM_LABELS) == {"rollback", "remove", "unlink"}


def test_nothing_to_confirm_is_said_without_buttons(core):
    conv = core.conversation()
    for name, arg, said in (
        ("rollback", "v9999", "Không có phiên bản v9999"),
        ("rollback", core.index.current().name, "đang được dùng"),
        ("remove", "khong-co", "Không có văn bản mã khong-co"),
        ("unlink", "999", "Không có liên kết nào mã 999"),
    ):
        replies = run_turn(conv.command(admin(), name, [arg]))
        assert len(replies) == 1 and said in replies[0].text and not replies[0].choices


def test_the_dashboard_path_acts_at_once(core):
    """The dashboard asks on its own page, then calls the command confirmed: no second question."""
    first = core.library.index_versions()[0].name
    logged = records(core)
    replies = run_turn(core.conversation().command(admin(), "rollback", [first], confirmed=True))
    assert "Đã chuyển chỉ mục" in replies[0].text and core.index.current().name == first
    assert records(core) == logged + 1


def test_the_terminal_numbers_the_two_choices(core, monkeypatch):
    terminal = Terminal(core)
    first, active = core.library.index_versions()[0].name, core.index.current().name
    shown = terminal.say(f"/rollback {first}")
    assert "Quay về phiên bản" in shown and "1. ✅ Xác nhận quay về" in shown and "2. Hủy" in shown
    assert "Đã hủy" in terminal.say("2") and core.index.current().name == active
    terminal.say("/rollback")  # without a name: the version before the active one
    assert "Đã chuyển chỉ mục về phiên bản" in terminal.say("1")
    assert core.index.current().name == first


def test_cancelling_an_upload_says_so_once(core):
    """Zalo and the terminal show a tap's acknowledgement as a line of text: the cancellation is said once."""
    another = QD99.read_text(encoding="utf-8").replace("99-QĐ/TU", "98-QĐ/TU").encode("utf-8")
    preview = run_turn(core.conversation().upload(admin(), "qd-98.txt", another))
    cancel = next(c.action for r in preview for c in getattr(r, "choices", []) if "Hủy" in c.label)
    done = run_turn(core.conversation().tap(admin(), cancel))
    said = [getattr(r, "text", "") for r in done]
    assert said.count("Đã hủy, không có gì thay đổi.") == 1, said
