"""``SandboxClient``: the ``/_sandbox`` admin API from synchronous code (tests, scripts), over httpx."""

from __future__ import annotations

import functools
import ssl
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import httpx

from .errors import AdminError


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: httpx reads the whole CA bundle for each context it builds (about
    29 ms of CPU), and tests make many clients."""
    return httpx.create_ssl_context()


class SandboxClient:
    """Act as users and read what the bot did. ``url`` is the server root (``TelegramSandbox.url``)."""

    def __init__(self, url: str, timeout: float = 70.0) -> None:
        self._http = httpx.Client(base_url=url.rstrip("/") + "/_sandbox", timeout=timeout, verify=_tls())

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, path, **kwargs)
        body = response.json()
        if not body.get("ok"):
            error = body.get("error") or {}
            raise AdminError(response.status_code, error.get("code", "error"), error.get("message", response.text))
        return body["result"]

    # -- users act -------------------------------------------------------------------------------------
    def send_text(self, chat_id: int, text: str, reply_to: int | None = None,
                  user: dict[str, Any] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text, "reply_to_message_id": reply_to, "from": user}
        return dict(self._call("POST", f"/chats/{chat_id}/messages", json=body))

    def set_user(self, chat_id: int, **profile: Any) -> dict[str, Any]:
        return dict(self._call("POST", f"/chats/{chat_id}/user", json=profile))

    def press(self, chat_id: int, message_id: int, data: str | None = None, text: str | None = None) -> dict[str, Any]:
        body = {"message_id": message_id, "data": data, "text": text}
        return dict(self._call("POST", f"/chats/{chat_id}/callback", json=body))

    def send_photos(self, chat_id: int, images: Sequence[bytes], caption: str | None = None) -> dict[str, Any]:
        files = [(f"photo{i}", (f"photo{i}.jpg", data, "image/jpeg")) for i, data in enumerate(images)]
        return dict(self._call("POST", f"/chats/{chat_id}/photos", files=files, data=_caption(caption)))

    def send_documents(self, chat_id: int, documents: Sequence[tuple[bytes, str, str | None]],
                       caption: str | None = None) -> dict[str, Any]:
        files = [(f"document{i}", (name, data, mime or "application/octet-stream"))
                 for i, (data, name, mime) in enumerate(documents)]
        return dict(self._call("POST", f"/chats/{chat_id}/documents", files=files, data=_caption(caption)))

    def pay(self, chat_id: int, message_id: int | None = None) -> dict[str, Any]:
        return dict(self._call("POST", f"/chats/{chat_id}/pay", json={"message_id": message_id}))

    def send_fields(self, chat_id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """A message with any Bot API fields (``{"sticker": {...}}``, ``{"voice": {...}}``)."""
        return dict(self._call("POST", f"/chats/{chat_id}/raw", json={"fields": fields}))

    def send_update(self, kind: str, payload: dict[str, Any], chat_id: int) -> dict[str, Any]:
        """A raw update of any kind (``edited_message``, ``inline_query``...), delivered as given."""
        return dict(self._call("POST", "/updates", json={"kind": kind, "payload": payload, "chat_id": chat_id}))

    def redeliver(self, update_id: int) -> dict[str, Any]:
        """Deliver an update again with the same update_id, as Telegram may (bots must dedupe)."""
        return dict(self._call("POST", f"/updates/{update_id}/redeliver"))

    def block(self, chat_id: int, blocked: bool = True) -> dict[str, Any]:
        """The user blocks the bot (403 on the bot's calls) until unblocked or the user writes again."""
        return dict(self._call("POST", f"/chats/{chat_id}/block", json={"blocked": blocked}))

    def add_fault(self, error_code: int = 429, method: str | None = None, chat_id: int | None = None,
                  retry_after: int | None = None, count: int = 1, description: str | None = None) -> dict[str, Any]:
        """The next ``count`` matching Bot API calls fail with ``error_code`` (429 carries retry_after)."""
        body = {"error_code": error_code, "method": method, "chat_id": chat_id, "retry_after": retry_after,
                "count": count, "description": description}
        return dict(self._call("POST", "/faults", json=body))

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults"))

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    # -- reads -----------------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return dict(self._call("GET", "/"))

    def reset(self) -> None:
        self._call("POST", "/reset")

    def chats(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/chats"))

    def chat(self, chat_id: int) -> dict[str, Any]:
        return dict(self._call("GET", f"/chats/{chat_id}"))

    def messages(self, chat_id: int, after: int = 0, since_rev: int = 0, direction: str | None = None,
                 wait: float = 0, count: int = 1) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"after": after, "since_rev": since_rev, "wait": wait, "count": count}
        if direction:
            params["direction"] = direction
        return list(self._call("GET", f"/chats/{chat_id}/messages", params=params)["messages"])

    def feed(self, chat_id: int, since_rev: int = 0, wait: float = 0) -> dict[str, Any]:
        """What changed in a chat after ``since_rev``: messages, the chat, callback answers, payments."""
        return dict(self._call("GET", f"/chats/{chat_id}/feed", params={"since_rev": since_rev, "wait": wait}))

    def wait_bot_messages(self, chat_id: int, after: int = 0, count: int = 1,
                          timeout: float = 10) -> list[dict[str, Any]]:
        """At least ``count`` messages from the bot with message_id > ``after``, or ``TimeoutError``."""
        found = self.messages(chat_id, after=after, direction="out", wait=timeout, count=count)
        if len(found) < count:
            raise TimeoutError(f"{len(found)} of {count} bot messages in chat {chat_id} after {timeout} s")
        return found

    def calls(self, method: str | None = None, chat_id: int | None = None, after: int = 0, wait: float = 0,
              count: int = 1) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"after": after, "wait": wait, "count": count}
        if method:
            params["method"] = method
        if chat_id is not None:
            params["chat_id"] = chat_id
        return list(self._call("GET", "/calls", params=params))

    def updates(self, chat_id: int | None = None, status: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"chat_id": chat_id, "status": status}.items() if v is not None}
        return list(self._call("GET", "/updates", params=params))

    def update(self, update_id: int, wait: float = 0) -> dict[str, Any]:
        return dict(self._call("GET", f"/updates/{update_id}", params={"wait": wait}))

    def payment(self, query_id: str, wait: float = 0) -> dict[str, Any]:
        return dict(self._call("GET", f"/payments/{query_id}", params={"wait": wait}))

    def callback_query(self, query_id: str, wait: float = 0) -> dict[str, Any]:
        return dict(self._call("GET", f"/callback_queries/{query_id}", params={"wait": wait}))

    def wait_idle(self, quiet: float = 0.3, timeout: float = 10) -> dict[str, Any]:
        """Block until every update is delivered and the bot made no call for ``quiet`` s (or ``TimeoutError``)."""
        status = dict(self._call("GET", "/idle", params={"quiet": quiet, "wait": timeout}))
        if not status["idle"]:
            raise TimeoutError(f"the bot is still busy after {timeout} s: {status}")
        return status

    def webhook_info(self) -> dict[str, Any]:
        return dict(self._call("GET", "/webhook"))

    def file(self, file_id: str) -> bytes:
        response = self._http.get(f"/files/{file_id}")
        if response.status_code != 200:
            raise AdminError(response.status_code, "file_not_found", response.text)
        return response.content


def _caption(caption: str | None) -> dict[str, str]:
    return {"caption": caption} if caption else {}
