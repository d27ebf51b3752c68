"""Admin actions: users write, press buttons, send photos, albums and files, pay; faults for the bot."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import AdminError
from .common import core_of, int_param, json_body, ok, uploads


async def set_user(request: web.Request) -> web.Response:
    body = await json_body(request)
    return ok(core_of(request).state.ensure_user(int_param(request, "chat_id"), body).summary())


async def send_text(request: web.Request) -> web.Response:
    body = await json_body(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise AdminError(400, "missing_parameter", "text is required")
    update, message = core_of(request).users.send_text(int_param(request, "chat_id"), text, body.get("from"),
                                                      body.get("reply_to_message_id"))
    return ok({"update_id": update.update_id, "message": message.to_dict()})


async def press_button(request: web.Request) -> web.Response:
    body = await json_body(request)
    message_id = body.get("message_id")
    if not isinstance(message_id, int):
        raise AdminError(400, "missing_parameter", "message_id is required")
    update, query_id = core_of(request).users.press_button(int_param(request, "chat_id"), message_id, body.get("data"),
                                                         body.get("text"))
    return ok({"update_id": update.update_id, "callback_query_id": query_id})


def _sent(pairs: list[Any]) -> dict[str, Any]:
    return {"update_ids": [u.update_id for u, _ in pairs], "messages": [m.to_dict() for _, m in pairs]}


async def send_photos(request: web.Request) -> web.Response:
    files, fields = await uploads(request)
    images = [data for data, _, _ in files]
    pairs = await core_of(request).users.send_photos(int_param(request, "chat_id"), images,
                                                     fields.get("caption") or None)
    return ok(_sent(pairs))


async def send_documents(request: web.Request) -> web.Response:
    files, fields = await uploads(request)
    pairs = core_of(request).users.send_documents(int_param(request, "chat_id"), files, fields.get("caption") or None)
    return ok(_sent(pairs))


async def pay(request: web.Request) -> web.Response:
    core, chat_id = core_of(request), int_param(request, "chat_id")
    body = await json_body(request)
    message_id = body.get("message_id")
    if message_id is None:
        invoices = [mid for (cid, mid) in core.invoices if cid == chat_id]
        if not invoices:
            raise AdminError(404, "invoice_not_found", "the bot sent no invoice to this chat")
        message_id = max(invoices)
    return ok(core.users.pay(chat_id, int(message_id)).to_dict())


async def block(request: web.Request) -> web.Response:
    """The user blocks (or unblocks) the bot: the bot's calls to this chat get 403 until then."""
    body = await json_body(request)
    core, chat_id = core_of(request), int_param(request, "chat_id")
    update = core.users.set_blocked(chat_id, bool(body.get("blocked", True)))
    return ok({**core.state.chats[chat_id].summary(), "update_id": update.update_id if update else None})


async def add_fault(request: web.Request) -> web.Response:
    """``{"error_code": 429, "method": "sendMessage", "chat_id": 1, "retry_after": 2, "count": 1}``"""
    body = await json_body(request)
    try:
        fault = core_of(request).add_fault(int(body.get("error_code", 429)), body.get("method"), body.get("chat_id"),
                                           body.get("description"), body.get("retry_after"),
                                           int(body.get("count", 1)))
    except (TypeError, ValueError):
        raise AdminError(400, "bad_fault", "error_code and count are integers") from None
    return ok(fault.to_dict())


async def list_faults(request: web.Request) -> web.Response:
    return ok([f.to_dict() for f in core_of(request).faults])


async def clear_faults(request: web.Request) -> web.Response:
    core_of(request).faults.clear()
    return ok(True)


async def send_fields(request: web.Request) -> web.Response:
    """``{"fields": {"sticker": {...}}}``: a message of a kind the sandbox has no shortcut for."""
    body = await json_body(request)
    fields = body.get("fields")
    if not isinstance(fields, dict) or not fields:
        raise AdminError(400, "missing_parameter", "fields must be an object of Message fields")
    update, message = core_of(request).users.send_fields(int_param(request, "chat_id"), fields, body.get("from"))
    return ok({"update_id": update.update_id, "message": message.to_dict()})


async def send_update(request: web.Request) -> web.Response:
    """``{"kind": "edited_message", "payload": {...}, "chat_id": 1}``: a raw update, queued as given."""
    body = await json_body(request)
    kind, payload, chat_id = body.get("kind"), body.get("payload"), body.get("chat_id")
    if not isinstance(kind, str) or not isinstance(payload, dict) or not isinstance(chat_id, int):
        raise AdminError(400, "missing_parameter", "kind (str), payload (object) and chat_id (int) are required")
    return ok(core_of(request).users.send_update(kind, payload, chat_id).to_dict())


async def redeliver(request: web.Request) -> web.Response:
    """Deliver an update once more with the same update_id (a duplicate, as Telegram may send)."""
    record = core_of(request).dispatcher.redeliver(int_param(request, "update_id"))
    if record is None:
        raise AdminError(404, "update_not_found", "no such update")
    return ok(record.to_dict())
