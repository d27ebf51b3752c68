"""The sandbox's own JSON API under ``/_sandbox``: act as users, read chats and calls, wait, reset.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``.
Reads accept ``wait=<seconds>`` (at most 60) to long-poll until something matches, so tests and the
chat page need no sleep loops.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .core import SandboxCore
from .errors import AdminError
from .state import Direction

CORE_KEY: web.AppKey[SandboxCore] = web.AppKey("telegram_sandbox_core", SandboxCore)
MAX_WAIT = 60.0
AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def ok(result: Any, status: int = 200) -> web.Response:
    return web.json_response({"ok": True, "result": result}, status=status)


@web.middleware
async def admin_errors(request: web.Request, handler: AdminHandler) -> web.StreamResponse:
    try:
        return await handler(request)
    except AdminError as exc:
        return web.json_response(exc.to_dict(), status=exc.status)


def _core(request: web.Request) -> SandboxCore:
    return request.app[CORE_KEY]


def _int(request: web.Request, name: str, default: int | None = None) -> int:
    raw = request.match_info.get(name) or request.query.get(name)
    if raw is None:
        if default is None:
            raise AdminError(400, "missing_parameter", f"{name} is required")
        return default
    try:
        return int(raw)
    except ValueError:
        raise AdminError(400, "bad_parameter", f"{name} must be an integer") from None


def _wait(request: web.Request) -> float:
    try:
        return min(max(float(request.query.get("wait", "0")), 0.0), MAX_WAIT)
    except ValueError:
        raise AdminError(400, "bad_parameter", "wait must be a number of seconds") from None


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        raise AdminError(400, "bad_json", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise AdminError(400, "bad_json", "the body must be a JSON object")
    return body


async def info(request: web.Request) -> web.Response:
    core = _core(request)
    base = f"{request.scheme}://{request.host}"
    return ok({"bot": core.bot_user(), "token": core.config.token, "api_base_url": f"{base}/bot",
               "file_base_url": f"{base}/file/bot", "webhook": core.dispatcher.info()})


async def reset(request: web.Request) -> web.Response:
    _core(request).reset()
    return ok(True)


async def list_chats(request: web.Request) -> web.Response:
    return ok([chat.summary() for chat in _core(request).state.chats.values()])


async def get_chat(request: web.Request) -> web.Response:
    chat = _core(request).state.chats.get(_int(request, "chat_id"))
    if chat is None:
        raise AdminError(404, "chat_not_found", "no such chat")
    return ok(chat.summary())


async def set_user(request: web.Request) -> web.Response:
    body = await _json(request)
    return ok(_core(request).state.ensure_user(_int(request, "chat_id"), body).summary())


async def list_messages(request: web.Request) -> web.Response:
    core, chat_id = _core(request), _int(request, "chat_id")
    after, since_rev, count = _int(request, "after", 0), _int(request, "since_rev", 0), _int(request, "count", 1)
    direction = request.query.get("direction")
    if direction not in (None, "in", "out"):
        raise AdminError(400, "bad_parameter", "direction is 'in' (user to bot) or 'out' (bot to user)")
    kind: Direction | None = "in" if direction == "in" else "out" if direction == "out" else None

    def found() -> list[dict[str, Any]]:
        return [r.to_dict() for r in core.state.messages(chat_id, after, since_rev, kind)]

    await core.state.notifier.wait_for(lambda: len(found()) >= count, _wait(request))
    return ok({"messages": found(), "rev": core.state.rev})


async def send_text(request: web.Request) -> web.Response:
    body = await _json(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise AdminError(400, "missing_parameter", "text is required")
    update, message = _core(request).users.send_text(_int(request, "chat_id"), text, body.get("from"),
                                                      body.get("reply_to_message_id"))
    return ok({"update_id": update.update_id, "message": message.to_dict()})


async def press_button(request: web.Request) -> web.Response:
    body = await _json(request)
    message_id = body.get("message_id")
    if not isinstance(message_id, int):
        raise AdminError(400, "missing_parameter", "message_id is required")
    update, query_id = _core(request).users.press_button(_int(request, "chat_id"), message_id, body.get("data"),
                                                         body.get("text"))
    return ok({"update_id": update.update_id, "callback_query_id": query_id})


Files = list[tuple[bytes, str | None, str | None]]


async def _uploads(request: web.Request) -> tuple[Files, dict[str, Any]]:
    """Files from a multipart form (any field names) or JSON ``{"files": [{"data": base64, ...}]}``."""
    files: Files
    if request.content_type == "multipart/form-data":
        form = await request.post()
        files = [(f.file.read(), f.filename, f.content_type) for f in form.values() if isinstance(f, web.FileField)]
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        return files, fields
    body = await _json(request)
    try:
        files = [(base64.b64decode(f["data"]), f.get("file_name"), f.get("mime_type")) for f in body.get("files", [])]
    except (KeyError, TypeError, binascii.Error):
        raise AdminError(400, "bad_file", "files are {data: base64, file_name?, mime_type?}") from None
    return files, body


def _sent(pairs: list[Any]) -> dict[str, Any]:
    return {"update_ids": [u.update_id for u, _ in pairs], "messages": [m.to_dict() for _, m in pairs]}


async def send_photos(request: web.Request) -> web.Response:
    files, fields = await _uploads(request)
    pairs = _core(request).users.send_photos(_int(request, "chat_id"), [data for data, _, _ in files],
                                             fields.get("caption") or None)
    return ok(_sent(pairs))


async def send_documents(request: web.Request) -> web.Response:
    files, fields = await _uploads(request)
    pairs = _core(request).users.send_documents(_int(request, "chat_id"), files, fields.get("caption") or None)
    return ok(_sent(pairs))


async def pay(request: web.Request) -> web.Response:
    core, chat_id = _core(request), _int(request, "chat_id")
    body = await _json(request)
    message_id = body.get("message_id")
    if message_id is None:
        invoices = [mid for (cid, mid) in core.invoices if cid == chat_id]
        if not invoices:
            raise AdminError(404, "invoice_not_found", "the bot sent no invoice to this chat")
        message_id = max(invoices)
    return ok(core.users.pay(chat_id, int(message_id)).to_dict())


async def get_payment(request: web.Request) -> web.Response:
    core = _core(request)
    checkout = core.checkouts.get(request.match_info["query_id"])
    if checkout is None:
        raise AdminError(404, "payment_not_found", "no such pre_checkout_query")
    await core.state.notifier.wait_for(lambda: checkout.status != "pending", _wait(request))
    return ok(checkout.to_dict())


async def list_payments(request: web.Request) -> web.Response:
    return ok([c.to_dict() for c in _core(request).checkouts.values()])


async def get_callback_query(request: web.Request) -> web.Response:
    core = _core(request)
    query = core.callback_queries.get(request.match_info["query_id"])
    if query is None:
        raise AdminError(404, "callback_query_not_found", "no such callback query")
    await core.state.notifier.wait_for(lambda: query.answer is not None, _wait(request))
    return ok(query.to_dict())


async def list_calls(request: web.Request) -> web.Response:
    core = _core(request)
    after, count = _int(request, "after", 0), _int(request, "count", 1)
    method = (request.query.get("method") or "").lower()
    chat_id = request.query.get("chat_id")

    def found() -> list[dict[str, Any]]:
        return [c.to_dict() for c in core.state.calls if c.seq > after and (not method or c.method.lower() == method)
                and (chat_id is None or str(c.chat_id) == chat_id)]

    await core.state.notifier.wait_for(lambda: len(found()) >= count, _wait(request))
    return ok(found())


async def list_updates(request: web.Request) -> web.Response:
    core = _core(request)
    chat_id, status = request.query.get("chat_id"), request.query.get("status")
    return ok([u.to_dict() for u in core.dispatcher.updates
               if (chat_id is None or str(u.chat_key) == chat_id) and (status is None or u.status == status)])


async def get_update(request: web.Request) -> web.Response:
    core = _core(request)
    record = core.dispatcher.find(_int(request, "update_id"))
    if record is None:
        raise AdminError(404, "update_not_found", "no such update")
    await core.state.notifier.wait_for(lambda: record.status != "pending", _wait(request))
    return ok(record.to_dict())


async def webhook(request: web.Request) -> web.Response:
    return ok(_core(request).dispatcher.info())


async def list_files(request: web.Request) -> web.Response:
    return ok([f.info() for f in _core(request).files.all()])


async def get_file(request: web.Request) -> web.Response:
    stored = _core(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise AdminError(404, "file_not_found", "no such file_id")
    return web.Response(body=stored.data, content_type=stored.mime_type)


def add_admin_routes(app: web.Application, prefix: str = "/_sandbox") -> None:
    chat = f"{prefix}/chats/{{chat_id}}"
    app.router.add_routes([
        web.get(prefix, info), web.get(f"{prefix}/", info), web.post(f"{prefix}/reset", reset),
        web.get(f"{prefix}/chats", list_chats),
        web.get(chat, get_chat), web.post(f"{chat}/user", set_user),
        web.get(f"{chat}/messages", list_messages), web.post(f"{chat}/messages", send_text),
        web.post(f"{chat}/callback", press_button), web.post(f"{chat}/photos", send_photos),
        web.post(f"{chat}/documents", send_documents), web.post(f"{chat}/pay", pay),
        web.get(f"{prefix}/payments", list_payments), web.get(f"{prefix}/payments/{{query_id}}", get_payment),
        web.get(f"{prefix}/callback_queries/{{query_id}}", get_callback_query),
        web.get(f"{prefix}/calls", list_calls), web.get(f"{prefix}/updates", list_updates),
        web.get(f"{prefix}/updates/{{update_id}}", get_update), web.get(f"{prefix}/webhook", webhook),
        web.get(f"{prefix}/files", list_files), web.get(f"{prefix}/files/{{file_id}}", get_file),
    ])
