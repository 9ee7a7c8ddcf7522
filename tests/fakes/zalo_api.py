"""A fake Zalo Bot Platform API server on 127.0.0.1 (aiohttp), for end-to-end tests.

Bot side (JSON POST bodies, like the real API): getMe (``id``, ``account_name``,
``account_type``, ``can_join_groups``), getUpdates (long poll, one update per call,
``408 Request timeout`` when idle; refused while a webhook is set), setWebhook
(secret of 8-256 characters; answers ``url`` and ``updated_at``), deleteWebhook,
getWebhookInfo, sendMessage (1-2000 characters counted in UTF-16 units),
sendChatAction. Errors as documented: 401 for a wrong token, and injected per
method: 429 (quota exceeded), a proxy's 502 page, 500, a dropped connection.

Control side: make text / sticker / image / voice / unsupported updates (string
ids, millisecond dates); group messages carry the "@Bot …" mention Zalo puts in
the text; queue them for getUpdates, or POST them to the webhook as Zalo does
(the flat update body) with or without the right ``X-Bot-Api-Secret-Token``;
post raw bodies; deliver one message twice; wait for what the bot sent.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

from aiohttp import ClientSession, web

from tests.fakes.base import ApiError, FakeServer, bad_gateway, drop_connection

BOT_NAME = "Bot Hỏi Đáp"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeZalo(FakeServer):
    def __init__(self, token: str = "1459232241454765289:zalo-TEST-token-abc", can_join_groups: bool = True) -> None:
        super().__init__()
        self.token = token
        self.can_join_groups = can_join_groups
        self.files: dict[str, bytes] = {}
        self.updates: list[dict] = []
        self.webhook: dict | None = None
        self._ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/files/{name}", self._file)

    async def _file(self, request: web.Request) -> web.Response:
        """Where Zalo keeps the images users send (``photo`` of an image message is its address)."""
        data = self.files.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def image_update(self, chat_id: str, user_id: str, name: str, data: bytes) -> dict:
        """A photo without a caption, stored here and sent by its address."""
        key = f"{uuid.uuid4().hex}.jpg"
        self.files[key] = data
        content = {"photo": f"{self.base_url}/files/{key}"}
        return {"event_name": "message.image.received", "message": self.message(chat_id, user_id, name, **content)}

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        try:
            params = await request.json() if request.can_read_body else {}
        except ValueError:
            return web.json_response({"ok": False, "error_code": 400, "description": "Invalid JSON"}, status=400)
        fault = self.next_fault(method)
        if fault == "network":
            return await drop_connection(request)
        if fault == 502:
            return bad_gateway(request)
        if fault in (500, 429):
            description = "Quota exceeded" if fault == 429 else "Internal server error"
            return web.json_response({"ok": False, "error_code": fault, "description": description}, status=fault)
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            return web.json_response({"ok": False, "error_code": 404, "description": "Not found"}, status=404)
        try:
            result = await handler(params or {})
        except ApiError as e:
            code = int(str(e).split(":")[0]) if str(e)[:3].isdigit() else 400
            return web.json_response({"ok": False, "error_code": code, "description": str(e)})
        if method == "getUpdates":
            transport = request.transport
            if transport is None or transport.is_closing():  # the poller went away: keep the update
                self.updates.insert(0, result)
        else:
            self.record(method, params, result)
        return web.json_response({"ok": True, "result": result} if result is not None else {"ok": True})

    async def api_getMe(self, p):
        return {
            "id": self.token.split(":")[0],
            "account_name": "bot.HoiDapTest",
            "account_type": "BASIC",
            "can_join_groups": self.can_join_groups,
        }

    async def api_getUpdates(self, p):
        if self.webhook is not None:
            raise ApiError("400: getUpdates is not available while a webhook is set")
        if not self.updates:
            await self.wait_update(float(p.get("timeout", 30)))
        if not self.updates:
            raise ApiError("408: Request timeout")
        return self.updates.pop(0)

    async def api_setWebhook(self, p):
        secret = p.get("secret_token") or ""
        if not p.get("url") or not 8 <= len(secret) <= 256:
            raise ApiError("400: url and a secret_token of 8-256 characters are required")
        self.webhook = {"url": p["url"], "secret_token": secret}
        return {"url": p["url"], "updated_at": int(time.time() * 1000)}

    async def api_deleteWebhook(self, p):
        self.webhook = None
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def api_getWebhookInfo(self, p):
        return {"url": self.webhook["url"] if self.webhook else "", "updated_at": int(time.time() * 1000)}

    async def api_sendMessage(self, p):
        text = p.get("text")
        if not p.get("chat_id") or not isinstance(text, str) or not 1 <= _utf16_len(text) <= 2000:
            raise ApiError("400: text must be 1-2000 characters")
        return {"message_id": uuid.uuid4().hex[:20], "date": int(time.time() * 1000)}

    async def api_sendChatAction(self, p):
        return None

    # --- control side -------------------------------------------------------------------
    def message(self, chat_id: str, user_id: str, name: str, group: bool = False, **content) -> dict:
        return {
            "message_id": uuid.uuid4().hex[:20],
            "date": int(time.time() * 1000),
            "chat": {"id": chat_id, "chat_type": "GROUP" if group else "PRIVATE"},
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            **content,
        }

    def text_update(
        self, chat_id: str, user_id: str, name: str, text: str, group: bool = False, mention: bool = True
    ) -> dict:
        """A text message; in a group it carries the "@Bot …" mention (Zalo only delivers group messages
        that mention the bot or reply to it: ``mention=False`` is such a reply)."""
        if group and mention:
            text = f"@{BOT_NAME} {text}"
        return {
            "event_name": "message.text.received",
            "message": self.message(chat_id, user_id, name, group, text=text),
        }

    def other_update(self, kind: str, chat_id: str, user_id: str, group: bool = False) -> dict:
        content = {
            "sticker": {"sticker": "0e078a2fb66a5f34067b"},
            "image": {"photo": "https://example.invalid/p.jpg"},
            "voice": {"voice_url": "https://example.invalid/v.aac"},
            "unsupported": {},
        }[kind]
        return {
            "event_name": f"message.{kind}.received",
            "message": self.message(chat_id, user_id, "A", group, **content),
        }

    async def deliver(self, update, secret: str | None | object = ...) -> int:
        """Queue for getUpdates, or POST the update (flat, as Zalo sends it) to the webhook."""
        if self.webhook is None:
            self.updates.append(update)
            self.notify_update()
            return 200
        return await self.post_raw(json.dumps(update).encode(), secret)

    async def post_raw(self, body: bytes, secret: str | None | object = ...) -> int:
        token = self.webhook["secret_token"] if secret is ... else secret
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["X-Bot-Api-Secret-Token"] = token
        async with ClientSession() as s, s.post(self.webhook["url"], data=body, headers=headers) as r:
            return r.status

    async def say(
        self, chat_id: str, user_id: str, name: str, text: str, group: bool = False, timeout: float = 30, mention=True
    ):
        """Send a text and return the bot's first reply in that chat."""
        before = len(self.calls)
        await self.deliver(self.text_update(chat_id, user_id, name, text, group, mention))
        return await self.wait_for(
            "sendMessage", lambda c: c.params["chat_id"] == chat_id, after=before, timeout=timeout
        )

    def sent_to(self, chat_id: str) -> list[str]:
        return [c.params["text"] for c in self.calls if c.method == "sendMessage" and c.params["chat_id"] == chat_id]

    def next_id(self) -> str:
        return f"z{next(self._ids):06d}"
