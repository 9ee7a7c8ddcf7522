"""A small async client for the Zalo Bot Platform API (httpx).

``https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>`` with JSON bodies: getMe, getUpdates
(long polling, one update per call, 408 when idle), setWebhook (secret 8-256 characters, echoed by
Zalo in ``X-Bot-Api-Secret-Token``; the result may carry a ``verification`` of the URL),
deleteWebhook, getWebhookInfo, sendMessage (1-2000 characters), sendChatAction. Ids are strings;
dates are milliseconds. Documented error codes: 400 bad request, 401 token rejected, 403 internal
server error (sic), 404 not found, 408 timeout, 429 quota exceeded.

The token is part of every URL, so URLs are never logged and error messages have the token masked.
"""

from __future__ import annotations

import httpx

from bot.channels.split import utf16_len
from bot.errors import HoidapError

MESSAGE_LIMIT = 2000  # counted in UTF-16 code units
SECRET_MIN, SECRET_MAX = 8, 256
RETRIED = {403, 408, 429, 500, 502, 503, 504}  # 403 is Zalo's "internal server error"


class ZaloApiError(HoidapError):
    """The Zalo Bot API answered with an error (``code``), or could not be reached (``code`` None)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

    @property
    def unauthorized(self) -> bool:
        return self.code == 401

    @property
    def transient(self) -> bool:
        """Worth retrying: unreachable, timeouts, quota, server errors."""
        return self.code is None or self.code in RETRIED


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
            detail = self._mask(str(e)) or type(e).__name__
            raise ZaloApiError(f"Không gọi được Zalo API {method}: {detail}") from None
        except ValueError as e:  # a malformed base URL
            raise ZaloApiError(f"Địa chỉ Zalo API không hợp lệ: {self._mask(str(e))}", 400) from None
        try:
            data = response.json()
        except ValueError:
            raise ZaloApiError(
                f"Zalo API {method} trả về dữ liệu không hợp lệ (HTTP {response.status_code})", response.status_code
            ) from None
        if not isinstance(data, dict) or not data.get("ok"):
            data = data if isinstance(data, dict) else {}
            code = data.get("error_code") or response.status_code
            raise ZaloApiError(f"Zalo API {method} lỗi {code}: {self._mask(str(data.get('description', '')))}", code)
        return data.get("result")

    async def download(self, url: str, max_bytes: int) -> bytes:
        """The bytes at ``url`` (an image a user sent: Zalo gives its address), refused past ``max_bytes``."""
        if not url.startswith(("https://", "http://")):
            raise ZaloApiError("Địa chỉ ảnh không hợp lệ", 400)
        data = bytearray()
        try:
            async with self._http.stream("GET", url) as response:
                if response.status_code != 200:
                    raise ZaloApiError(f"Không tải được ảnh (HTTP {response.status_code})", response.status_code)
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise ZaloApiError("Ảnh quá lớn", 413)
        except httpx.HTTPError as e:
            raise ZaloApiError(f"Không tải được ảnh: {type(e).__name__}") from None
        return bytes(data)

    async def get_me(self) -> dict:
        return await self.call("getMe") or {}

    async def get_updates(self, timeout: int = 30) -> list[dict]:
        """Wait up to ``timeout`` seconds; Zalo returns one update per call (or times out with 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloApiError as e:
            if e.code == 408:
                return []
            raise
        if not result:
            return []
        return result if isinstance(result, list) else [result]

    async def set_webhook(self, url: str, secret_token: str) -> dict:
        if not SECRET_MIN <= len(secret_token) <= SECRET_MAX:
            raise ZaloApiError(f"secret_token của webhook Zalo phải dài {SECRET_MIN}-{SECRET_MAX} ký tự", 400)
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token}) or {}

    async def delete_webhook(self) -> dict:
        return await self.call("deleteWebhook") or {}

    async def get_webhook_info(self) -> dict:
        return await self.call("getWebhookInfo") or {}

    async def send_message(self, chat_id: str, text: str) -> dict:
        if not 1 <= utf16_len(text) <= MESSAGE_LIMIT:
            raise ZaloApiError(f"tin nhắn Zalo phải dài 1-{MESSAGE_LIMIT} ký tự (đang là {utf16_len(text)})", 400)
        return await self.call("sendMessage", {"chat_id": str(chat_id), "text": text}) or {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": str(chat_id), "action": action})

    async def close(self) -> None:
        await self._http.aclose()
