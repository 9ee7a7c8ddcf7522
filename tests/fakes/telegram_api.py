"""A small fake Telegram Bot API server on 127.0.0.1 (aiohttp), for end-to-end tests.

Bot side (what python-telegram-bot calls, form-encoded like the real API):
getMe, getUpdates (offset + long-poll timeout), sendMessage, editMessageText, editMessageReplyMarkup, getChat,
answerCallbackQuery, setMyCommands, getMyCommands, sendChatAction, sendPoll, stopPoll,
setWebhook, deleteWebhook, getWebhookInfo, getFile (+ file download), sendDocument.

It enforces Telegram's flood limits as the real API does
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): more than 30 calls
naming a chat in any second, or more than 20 messages to one group in any minute, get 429 with the
``retry_after`` that frees the window (``enforce_limits``; every 429 is kept in ``throttled``).

It answers as the real API does when things go wrong: 401 for a wrong token; HTML that does not
parse ("can't parse entities"), text over 4,096 characters after parsing ("message is too long");
403 for a chat that kicked or blocked the bot; 400 with ``migrate_to_chat_id`` for a group upgraded
to a supergroup; and, injected per method, 429 with ``retry_after``, a proxy's 502 page, 500, or a
dropped connection.

Control side (what tests call): make users and chats, inject messages, button
presses and poll answers (queued for getUpdates, or POSTed to the bot's webhook
with or without the right secret), and wait for what the bot sent.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
import uuid
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlparse

from aiohttp import ClientError, ClientSession, web

from tests.fakes.base import ApiError, Call, FakeServer, bad_gateway, drop_connection

# What Telegram's HTML parse mode accepts (https://core.telegram.org/bots/api#html-style).
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
}
MESSAGE_MAX = 4096
PER_SECOND = 30  # calls naming a chat, for the whole bot
PER_GROUP_MINUTE = 20  # messages to one group


class _EntityParser(HTMLParser):
    """Telegram's HTML check: known tags, properly nested and closed; collects the plain text."""

    ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def _fail(self, message: str) -> None:
        self.error = self.error or message

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self._fail(f'Unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self._fail(f'Unexpected end tag "{tag}"')
            return
        self.stack.pop()

    def handle_data(self, data):
        if "<" in data or ">" in data:
            self._fail("Unsupported start tag")  # a raw "<" that is no tag
        if "&" in data:
            self._fail("Unsupported entity")  # a bare "&" that starts no entity
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in self.ENTITIES:
            self._fail(f'Unsupported entity "{name}"')
        self.text.append(self.ENTITIES.get(name, ""))

    def handle_charref(self, name):
        self.text.append(chr(int(name[1:], 16) if name[:1] in "xX" else int(name)))


def parse_html(html: str) -> str:
    """The text Telegram would show, or ApiError("can't parse entities") as Telegram answers."""
    parser = _EntityParser()
    parser.feed(html)
    parser.close()
    if parser.rawdata:
        parser._fail("Unsupported start tag")  # an unterminated "<…"
    if parser.error:
        raise ApiError(f"Bad Request: can't parse entities: {parser.error}")
    if parser.stack:
        raise ApiError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
        )
    return "".join(parser.text)


# Parameters that are plain strings in the Bot API (everything else arrives JSON-encoded).
STRING_PARAMS = {
    "text",
    "caption",
    "question",
    "explanation",
    "parse_mode",
    "callback_query_id",
    "url",
    "secret_token",
    "file_id",
    "action",
    "data",
    "explanation_parse_mode",
    "ip_address",
}


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123456:TEST-TOKEN", username: str = "hoidap_test_bot") -> None:
        super().__init__()
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Hỏi Đáp", "username": username}
        self.updates: list[dict] = []
        self.webhook: dict | None = None
        self.backends: list[str] = []  # see balance()
        self.accepted: dict[int, int] = {}  # update id -> the backend that answered 200 (balance())
        self.redelivered = 0  # webhook posts tried again after a dropped connection or a 5xx
        self._turn = itertools.count()
        self._session: ClientSession | None = None
        self.slow: dict[str, float] = {}  # method -> seconds every call of it takes
        self.commands: list = []
        self.files: dict[str, bytes] = {}
        self.polls: dict[str, dict] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self._chats: dict[int, dict] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.kicked: dict[int, str] = {}  # chat id -> the 403 description sends to it get
        self.migrated: dict[int, int] = {}  # old group id -> new supergroup id
        self.enforce_limits = True
        self.throttled: list[tuple[str, str, float]] = []  # (method, chat id, retry_after) of each 429
        self._calls_second: deque[float] = deque()
        self._group_minute: dict[str, deque[float]] = {}

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # --- bot side -------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict:
        params: dict = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
            return params
        if request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    params[key] = {"filename": value.filename, "content": value.file.read()}
                elif key in STRING_PARAMS:
                    params[key] = value
                else:
                    try:
                        params[key] = json.loads(value)
                    except ValueError:
                        params[key] = value
        return params

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        wait = self._over_limit(method, params, arrived) if self.enforce_limits else None
        if wait is not None:
            after = max(1, math.ceil(wait))
            self.throttled.append((method, str(params.get("chat_id")), after))
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {after}",
                    "parameters": {"retry_after": after},
                },
                status=429,
            )
        if self.slow.get(method):
            # A slow Bot API: a sender that dies meanwhile never gets the request through (its
            # connection is gone before Telegram acted on it), as when a process is killed mid-send.
            await asyncio.sleep(self.slow[method])
            if request.transport is None or request.transport.is_closing():
                return web.Response(status=499)
        fault = self.next_fault(method)
        if fault == "network":
            return await drop_connection(request)
        if fault == 502:
            return bad_gateway(request)
        if fault == 500:
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, status=500
            )
        if fault == 429:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": f"Not Found: {method}"}, status=404
            )
        try:
            self._check_chat(method, params)
            result = await handler(params)
        except ApiError as e:
            body = {"ok": False, "error_code": e.status, "description": str(e)}
            if e.parameters:
                body["parameters"] = e.parameters
            return web.json_response(body, status=e.status)
        if method != "getUpdates":
            self.record(method, params, result, at=arrived)
        return web.json_response({"ok": True, "result": result})

    def _over_limit(self, method: str, params: dict, now: float) -> float | None:
        """Seconds until the call would be within Telegram's limits; None: within them (and counted)."""
        if "chat_id" not in params or method == "getUpdates":
            return None
        chat = str(params["chat_id"])
        second = self._calls_second
        while second and now - second[0] >= 1.0:
            second.popleft()
        if len(second) >= PER_SECOND:
            return second[0] + 1.0 - now
        group = None
        if is_message(method) and (not chat.lstrip("-").isdigit() or int(chat) < 0):
            group = self._group_minute.setdefault(chat, deque())
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= PER_GROUP_MINUTE:
                return group[0] + 60.0 - now
            group.append(now)
        second.append(now)
        return None

    async def _file(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["path"])
        if data is None or request.match_info["token"] != self.token:
            return web.Response(status=404)
        return web.Response(body=data)

    def _check_chat(self, method: str, p: dict) -> None:
        if not method.startswith("send") or method == "sendChatAction" or "chat_id" not in p:
            return
        chat_id = int(p["chat_id"])
        if chat_id in self.migrated:
            raise ApiError(
                "Bad Request: group chat was upgraded to a supergroup chat",
                parameters={"migrate_to_chat_id": self.migrated[chat_id]},
            )
        if chat_id in self.kicked:
            raise ApiError(self.kicked[chat_id], status=403)

    async def api_getMe(self, p):
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def api_getUpdates(self, p):
        offset = int(p.get("offset", 0) or 0)
        timeout = float(p.get("timeout", 0) or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates and timeout > 0:
            await self.wait_update(timeout)
        limit = int(p.get("limit", 100) or 100)
        return [u for u in self.updates if u["update_id"] >= offset][:limit]

    async def api_deleteWebhook(self, p):
        self.webhook = None
        return True

    async def api_setWebhook(self, p):
        self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
        return True

    async def api_getWebhookInfo(self, p):
        return {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def api_setMyCommands(self, p):
        self.commands = p.get("commands", [])
        return True

    async def api_getMyCommands(self, p):
        return self.commands

    async def api_sendChatAction(self, p):
        return True

    async def api_answerCallbackQuery(self, p):
        return True

    def _store(self, chat_id, **content) -> dict:
        chat = self._chat_for(chat_id)
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            **content,
        }
        self.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def _chat_for(self, chat_id) -> dict:
        chat_id = int(chat_id)
        return self._chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "group"})

    def _check_text(self, p: dict) -> str:
        text = p.get("text", "")
        shown = parse_html(text) if str(p.get("parse_mode", "")).upper() == "HTML" else text
        if not shown.strip():
            raise ApiError("Bad Request: message text is empty")
        if _utf16_len(shown) > MESSAGE_MAX:
            raise ApiError("Bad Request: message is too long")
        self._check_markup(p.get("reply_markup"))
        return text

    def _check_markup(self, markup) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise ApiError("Bad Request: BUTTON_DATA_INVALID")

    async def api_sendMessage(self, p):
        text = self._check_text(p)
        extra = {"reply_markup": p["reply_markup"]} if p.get("reply_markup") else {}
        return self._store(p["chat_id"], text=text, **extra)

    async def api_editMessageText(self, p):
        key = (int(p["chat_id"]), int(p["message_id"]))
        self._check_text(p)
        if key not in self.messages:
            raise ApiError("Bad Request: message to edit not found")
        self.messages[key] = {**self.messages[key], "text": p["text"], "edit_date": int(time.time())}
        if p.get("reply_markup"):
            self.messages[key]["reply_markup"] = p["reply_markup"]
        return self.messages[key]

    async def api_editMessageReplyMarkup(self, p):
        key = (int(p["chat_id"]), int(p["message_id"]))
        if key not in self.messages:
            raise ApiError("Bad Request: message to edit not found")
        message = dict(self.messages[key])
        if p.get("reply_markup"):
            message["reply_markup"] = p["reply_markup"]
        else:
            message.pop("reply_markup", None)
        self.messages[key] = message
        return message

    async def api_sendDocument(self, p):
        return self._store(p["chat_id"], document={"file_id": uuid.uuid4().hex, "file_unique_id": "u"})

    async def api_sendPoll(self, p):
        question, options = p["question"], p["options"]
        texts = [o["text"] if isinstance(o, dict) else o for o in options]
        if not 1 <= len(question) <= 300 or not 2 <= len(texts) <= 10 or any(not 1 <= len(t) <= 100 for t in texts):
            raise ApiError("Bad Request: poll limits exceeded")
        if p.get("explanation") and len(p["explanation"]) > 200:
            raise ApiError("Bad Request: explanation too long")
        # Bot API 9.6+ shape: option persistent ids, correct_option_ids, allows_revoting, members_only.
        poll = {
            "id": uuid.uuid4().hex[:16],
            "question": question,
            "options": [{"text": t, "voter_count": 0, "persistent_id": f"o{i}"} for i, t in enumerate(texts)],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": bool(p.get("is_anonymous", True)),
            "type": p.get("type", "regular"),
            "allows_multiple_answers": False,
            "allows_revoting": bool(p.get("allows_revoting", False)),
            "members_only": bool(p.get("members_only", False)),
        }
        correct = p.get("correct_option_ids")
        if correct is None and "correct_option_id" in p:
            correct = [p["correct_option_id"]]
        if correct is not None:
            if poll["type"] == "quiz" and (len(correct) != 1 or not 0 <= int(correct[0]) < len(texts)):
                raise ApiError("Bad Request: a quiz needs exactly one correct option")
            poll["correct_option_ids"] = [int(c) for c in correct]
        if p.get("explanation"):
            poll["explanation"] = p["explanation"]
        if p.get("open_period"):
            poll["open_period"] = int(p["open_period"])
        msg = self._store(p["chat_id"], poll=poll)
        self.polls[poll["id"]] = {"poll": poll, "chat_id": int(p["chat_id"]), "message_id": msg["message_id"]}
        return msg

    async def api_stopPoll(self, p):
        for entry in self.polls.values():
            if entry["chat_id"] == int(p["chat_id"]) and entry["message_id"] == int(p["message_id"]):
                entry["poll"]["is_closed"] = True
                return entry["poll"]
        raise ApiError("Bad Request: poll not found")

    async def api_getChat(self, p):
        ref = p["chat_id"]
        if isinstance(ref, str) and ref.startswith("@"):
            chat = next((c for c in self._chats.values() if c.get("username") == ref[1:]), None)
        else:
            chat = self._chats.get(int(ref))
        if chat is None:
            raise ApiError("Bad Request: chat not found")
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    async def api_getFile(self, p):
        fid = p["file_id"]
        if fid not in self.files:
            raise ApiError("Bad Request: invalid file_id")
        return {"file_id": fid, "file_unique_id": fid[:8], "file_size": len(self.files[fid]), "file_path": fid}

    # --- control side -------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "Đảng viên", username: str | None = None) -> dict:
        u = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            u["username"] = username
        return u

    def private_chat(self, user: dict) -> dict:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self._chats[chat["id"]] = chat
        return chat

    def group_chat(self, chat_id: int, title: str = "Chi bộ 1", kind: str = "supergroup") -> dict:
        chat = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = chat
        return chat

    def channel_chat(self, chat_id: int, title: str = "Kênh tuyên truyền", username: str | None = None) -> dict:
        chat = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        self._chats[chat_id] = chat
        return chat

    def _message(self, chat: dict, user: dict | None, **content) -> dict:
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat, **content}
        if user is not None:
            msg["from"] = user
        self.messages[(chat["id"], msg["message_id"])] = msg
        return msg

    def text_update(
        self,
        chat: dict,
        user: dict | None,
        text: str,
        reply_to: dict | None = None,
        edited: bool = False,
        channel_post: bool = False,
    ) -> dict:
        content: dict = {"text": text}
        entities = self._entities(text)
        if entities:
            content["entities"] = entities
        if reply_to is not None:
            content["reply_to_message"] = reply_to
        msg = self._message(chat, user, **content)
        if edited:
            msg["edit_date"] = int(time.time())
        key = "channel_post" if channel_post else "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: msg}

    def _entities(self, text: str) -> list[dict]:
        out = []
        if text.startswith("/"):
            length = len(text.split()[0])
            out.append({"type": "bot_command", "offset": 0, "length": length})
        mention = "@" + self.bot_user["username"]
        pos = text.find(mention)
        if pos >= 0 and not text.startswith("/"):
            out.append({"type": "mention", "offset": _utf16_len(text[:pos]), "length": _utf16_len(mention)})
        return out

    def photo_update(self, chat: dict, user: dict, caption: str) -> dict:
        """A photo whose caption is a question."""
        photo = {"photo": [{"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90}], "caption": caption}
        return {"update_id": next(self._update_ids), "message": self._message(chat, user, **photo)}

    def membership_update(self, chat: dict, user: dict, status: str) -> dict:
        """The bot's own membership changed (``kicked``, ``left``, ``member``)."""
        member = {"user": self.bot_user, "status": status}
        if status == "kicked":
            member["until_date"] = 0
        change = {
            "chat": chat,
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {"user": self.bot_user, "status": "member"},
            "new_chat_member": member,
        }
        return {"update_id": next(self._update_ids), "my_chat_member": change}

    def migrate(self, old: dict, new_id: int) -> dict:
        """Upgrade a group to a supergroup: later sends to the old id fail with ``migrate_to_chat_id``."""
        self.migrated[old["id"]] = new_id
        return self.group_chat(new_id, old.get("title", "Chi bộ"), kind="supergroup")

    def kick(self, chat: dict, description: str = "Forbidden: bot was kicked from the group chat") -> None:
        self.kicked[chat["id"]] = description

    def media_update(self, chat: dict, user: dict, kind: str) -> dict:
        payloads = {
            "sticker": {
                "sticker": {
                    "file_id": "stk",
                    "file_unique_id": "stk",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            "photo": {"photo": [{"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90}]},
            "voice": {"voice": {"file_id": "vc", "file_unique_id": "vc", "duration": 2}},
        }
        return {"update_id": next(self._update_ids), "message": self._message(chat, user, **payloads[kind])}

    def document_update(self, chat: dict, user: dict, filename: str, data: bytes, mime: str = "text/plain") -> dict:
        fid = uuid.uuid4().hex
        self.files[fid] = data
        doc = {
            "file_id": fid,
            "file_unique_id": fid[:8],
            "file_name": filename,
            "mime_type": mime,
            "file_size": len(data),
        }
        return {"update_id": next(self._update_ids), "message": self._message(chat, user, document=doc)}

    def callback_update(self, message: dict, user: dict, data: str) -> dict:
        cq = {"id": uuid.uuid4().hex[:12], "from": user, "chat_instance": "ci", "data": data, "message": message}
        return {"update_id": next(self._update_ids), "callback_query": cq}

    def poll_update(self, poll_id: str, votes: list[int]) -> dict:
        """An anonymous poll's new vote counts (what Telegram sends for channel polls)."""
        poll = dict(self.polls[poll_id]["poll"])
        poll["options"] = [{**o, "voter_count": v} for o, v in zip(poll["options"], votes, strict=True)]
        poll["total_voter_count"] = sum(votes)
        return {"update_id": next(self._update_ids), "poll": poll}

    def poll_answer_update(self, poll_id: str, user: dict, option_ids: list[int]) -> dict:
        return {
            "update_id": next(self._update_ids),
            "poll_answer": {
                "poll_id": poll_id,
                "user": user,
                "option_ids": option_ids,
                "option_persistent_ids": [f"o{i}" for i in option_ids],
            },
        }

    async def deliver(
        self, update: dict, secret: str | None | object = ..., to: int | None = None, patience: float = 60.0
    ) -> int:
        """Queue for getUpdates, or POST to the webhook (``secret`` overrides the registered one).

        With :meth:`balance`, the webhook's URL stands for a load balancer in front of several bot
        processes: updates go to them in turn (``to``: to that one). As Telegram (and nginx's
        ``proxy_next_upstream``) do, a post whose connection failed or that got a 5xx is tried again —
        on the next process — for up to ``patience`` seconds; a 2xx or 4xx is final."""
        if self.webhook is None:
            self.updates.append(update)
            self.notify_update()
            return 200
        token = self.webhook["secret_token"] if secret is ... else secret
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        if self._session is None:
            self._session = ClientSession()
        deadline = time.monotonic() + patience
        index = to
        while True:
            url = self.webhook["url"]
            if self.backends:
                index = next(self._turn) % len(self.backends) if index is None else index % len(self.backends)
                url = self.backends[index] + urlparse(url).path
            try:
                async with self._session.post(url, data=json.dumps(update), headers=headers) as r:
                    status = r.status
            except (ClientError, OSError):
                status = None  # refused, reset, dropped: the process is gone or the machine too busy
            if status is not None and status < 500:
                if status == 200 and self.backends:
                    self.accepted[update["update_id"]] = index
                return status
            if time.monotonic() > deadline:
                return status or 599
            self.redelivered += 1
            await asyncio.sleep(0.2)
            index = None if index is None else index + 1

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await super().stop()

    def balance(self, backends: list[str]) -> None:
        """Spread webhook updates round-robin over ``backends`` (base URLs of bot processes)."""
        self.backends = list(backends)

    def enqueue(self, updates: list[dict]) -> None:
        """Queue many updates at once for getUpdates (a burst, as from a busy group)."""
        self.updates.extend(updates)
        self.notify_update()

    async def send(self, chat: dict, user: dict | None, text: str, **kw) -> dict:
        update = self.text_update(chat, user, text, **kw)
        await self.deliver(update)
        return update

    async def press(self, message: dict, user: dict, data: str) -> dict:
        update = self.callback_update(message, user, data)
        await self.deliver(update)
        return update

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[Call]:
        return [c for c in self.calls if c.method == method and int(c.params.get("chat_id", 0)) == chat_id]


def is_message(method: str) -> bool:
    """What Telegram counts as a message to a chat (chat actions are not)."""
    return method.startswith("send") and method != "sendChatAction"


def window_peak(times: list[float], seconds: float) -> int:
    """The most of ``times`` that fall within any ``seconds`` (a moving window)."""
    times, peak, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= seconds:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
