"""Admin reads: chats, messages (with edits), calls, updates and their deliveries, payments, files.

``wait=<seconds>`` (at most 60) long-polls until something matches, so tests and the chat page need no
sleep loops: ``/chats/{id}/messages?after=<message_id>&direction=out&count=2&wait=10``,
``?since_rev=<rev>`` for anything changed (edits, deletions) since a previous answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from ..errors import AdminError
from ..state import Direction
from .common import core_of, int_param, ok, wait_param


async def info(request: web.Request) -> web.Response:
    core = core_of(request)
    base = f"{request.scheme}://{request.host}"
    return ok({"bot": core.bot_user(), "token": core.config.token, "api_base_url": f"{base}/bot",
               "file_base_url": f"{base}/file/bot", "webhook": core.dispatcher.info()})


async def reset(request: web.Request) -> web.Response:
    core_of(request).reset()
    return ok(True)


async def list_chats(request: web.Request) -> web.Response:
    return ok([chat.summary() for chat in core_of(request).state.chats.values()])


async def get_chat(request: web.Request) -> web.Response:
    chat = core_of(request).state.chats.get(int_param(request, "chat_id"))
    if chat is None:
        raise AdminError(404, "chat_not_found", "no such chat")
    return ok(chat.summary())


async def list_messages(request: web.Request) -> web.Response:
    core, chat_id = core_of(request), int_param(request, "chat_id")
    after, since_rev = int_param(request, "after", 0), int_param(request, "since_rev", 0)
    count = int_param(request, "count", 1)
    direction = request.query.get("direction")
    if direction not in (None, "in", "out"):
        raise AdminError(400, "bad_parameter", "direction is 'in' (user to bot) or 'out' (bot to user)")
    kind: Direction | None = "in" if direction == "in" else "out" if direction == "out" else None

    def found() -> list[dict[str, Any]]:
        return [r.to_dict() for r in core.state.messages(chat_id, after, since_rev, kind)]

    await core.state.notifier.wait_for(lambda: len(found()) >= count, wait_param(request))
    return ok({"messages": found(), "rev": core.state.rev})


async def get_payment(request: web.Request) -> web.Response:
    core = core_of(request)
    checkout = core.checkouts.get(request.match_info["query_id"])
    if checkout is None:
        raise AdminError(404, "payment_not_found", "no such pre_checkout_query")
    await core.state.notifier.wait_for(lambda: checkout.status != "pending", wait_param(request))
    return ok(checkout.to_dict())


async def list_payments(request: web.Request) -> web.Response:
    return ok([c.to_dict() for c in core_of(request).checkouts.values()])


async def get_callback_query(request: web.Request) -> web.Response:
    core = core_of(request)
    query = core.callback_queries.get(request.match_info["query_id"])
    if query is None:
        raise AdminError(404, "callback_query_not_found", "no such callback query")
    await core.state.notifier.wait_for(lambda: query.answer is not None, wait_param(request))
    return ok(query.to_dict())


async def list_calls(request: web.Request) -> web.Response:
    core = core_of(request)
    after, count = int_param(request, "after", 0), int_param(request, "count", 1)
    method = (request.query.get("method") or "").lower()
    chat_id = request.match_info.get("chat_id") or request.query.get("chat_id")

    def found() -> list[dict[str, Any]]:
        return [c.to_dict() for c in core.state.calls if c.seq > after and (not method or c.method.lower() == method)
                and (chat_id is None or str(c.chat_id) == chat_id)]

    await core.state.notifier.wait_for(lambda: len(found()) >= count, wait_param(request))
    return ok(found())


async def list_updates(request: web.Request) -> web.Response:
    core = core_of(request)
    chat_id, status = request.query.get("chat_id"), request.query.get("status")
    return ok([u.to_dict() for u in core.dispatcher.updates
               if (chat_id is None or str(u.chat_key) == chat_id) and (status is None or u.status == status)])


async def get_update(request: web.Request) -> web.Response:
    core = core_of(request)
    record = core.dispatcher.find(int_param(request, "update_id"))
    if record is None:
        raise AdminError(404, "update_not_found", "no such update")
    await core.state.notifier.wait_for(lambda: record.status != "pending", wait_param(request))
    return ok(record.to_dict())


async def webhook(request: web.Request) -> web.Response:
    return ok(core_of(request).dispatcher.info())


async def list_files(request: web.Request) -> web.Response:
    return ok([f.info() for f in core_of(request).files.all()])


async def get_file(request: web.Request) -> web.Response:
    stored = core_of(request).files.get(request.match_info["file_id"])
    if stored is None:
        raise AdminError(404, "file_not_found", "no such file_id")
    return web.Response(body=stored.data, content_type=stored.mime_type)


async def feed(request: web.Request) -> web.Response:
    """Everything of one chat that changed after ``since_rev``, for a live chat page: ``wait`` until any."""
    core, chat_id = core_of(request), int_param(request, "chat_id")
    since = int_param(request, "since_rev", 0)
    await core.state.notifier.wait_for(lambda: core.state.rev > since, wait_param(request))
    chat = core.state.chats.get(chat_id)
    answers = [q.to_dict() for q in core.callback_queries.values()
               if q.chat_id == chat_id and q.answer is not None and q.answer["rev"] > since]
    payments = [c.to_dict() for c in core.checkouts.values() if c.chat_id == chat_id and c.rev > since]
    return ok({"rev": core.state.rev, "chat": chat.summary() if chat else None,
               "messages": [r.to_dict() for r in core.state.messages(chat_id, since_rev=since)],
               "callback_answers": answers, "payments": payments})


async def idle(request: web.Request) -> web.Response:
    """Wait (``wait`` s) until no update is pending, no Bot API call runs and none came for ``quiet`` s."""
    core = core_of(request)
    try:
        quiet = min(max(float(request.query.get("quiet", "0.3")), 0.0), 10.0)
    except ValueError:
        raise AdminError(400, "bad_parameter", "quiet must be a number of seconds") from None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_param(request)

    def status() -> dict[str, Any]:
        calm = core.state.clock() - core.state.last_activity >= quiet
        idle_now = not core.dispatcher.pending and core.state.in_flight == 0 and calm
        return {"idle": idle_now, "pending_update_count": len(core.dispatcher.pending),
                "calls_in_flight": core.state.in_flight, "last_activity": core.state.last_activity}

    while not (current := status())["idle"] and loop.time() < deadline and not core.state.notifier.closed:
        await asyncio.sleep(min(0.05, max(deadline - loop.time(), 0)))
    return ok(current)
