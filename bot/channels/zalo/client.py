"""A small async client for the Zalo Bot Platform API (httpx).

``https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>`` with JSON bodies:
getMe, getUpdates (long polling, one update per call), setWebhook (secret
8-256 characters, echoed by Zalo in ``X-Bot-Api-Secret-Token``), deleteWebhook,
getWebhookInfo, sendMessage (1-2000 characters), sendChatAction. Ids are
strings; dates are milliseconds.

The token is part of every URL, so URLs are never logged and error messages
have the token masked.
"""

from __future__ import annotations

import logging

import httpx

from bot.errors import HoidapError

# httpx logs every request URL at INFO: with the token in the path that would leak it.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

MESSAGE_LIMIT = 2000
SECRET_MIN, SECRET_MAX = 8, 256


class ZaloApiError(HoidapError):
    """The Zalo Bot API answered with an error (or could not be reached)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class ZaloClient:
    def __init__(self, token: str, base_url: str = "https://bot-api.zaloplatforms.com", timeout: float = 40.0) -> None:
        self._token = token
        self._base = f"{base_url.rstrip('/')}/bot{token}/"
        self._http = httpx.AsyncClient(timeout=timeout)

    def _mask(self, text: str) -> str:
        return text.replace(self._token, "***")

    async def call(self, method: str, payload: dict | None = None, timeout: float | None = None):
        try:
            response = await self._http.post(
                self._base + method,
                json=payload or {},
                timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as e:
            raise ZaloApiError(f"Không gọi được Zalo API {method}: {self._mask(str(e)) or type(e).__name__}") from None
        try:
            data = response.json()
        except ValueError:
            raise ZaloApiError(f"Zalo API {method} trả về dữ liệu không hợp lệ (HTTP {response.status_code})") from None
        if not data.get("ok"):
            code = data.get("error_code") or response.status_code
            raise ZaloApiError(f"Zalo API {method} lỗi {code}: {self._mask(str(data.get('description', '')))}", code)
        return data.get("result")

    async def get_me(self) -> dict:
        return await self.call("getMe")

    async def get_updates(self, timeout: int = 30) -> list[dict]:
        """Wait up to ``timeout`` seconds; Zalo returns one update per call (or times out with 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloApiError as e:
            if e.code == 408:
                return []
            raise
        if result is None:
            return []
        return result if isinstance(result, list) else [result]

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        if not SECRET_MIN <= len(secret_token) <= SECRET_MAX:
            raise ZaloApiError(f"secret_token của webhook Zalo phải dài {SECRET_MIN}-{SECRET_MAX} ký tự")
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict:
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict:
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> dict:
        if not 1 <= len(text) <= MESSAGE_LIMIT:
            raise ZaloApiError(f"tin nhắn Zalo phải dài 1-{MESSAGE_LIMIT} ký tự (đang là {len(text)})")
        return await self.call("sendMessage", {"chat_id": str(chat_id), "text": text})

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": str(chat_id), "action": action})

    async def close(self) -> None:
        await self._http.aclose()
