"""The per-chat dispatcher function: the chat's queued updates, in order, to their handler functions."""

from __future__ import annotations

from typing import Any

from aisha.bot.routing import route
from aisha.bot.state import load_state
from aisha.services import tg_dispatch
from aisha.worker import WorkerState, state


def dispatch_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event {"chat_id"}."""
    worker = state()
    chat_id = int(event["chat_id"])
    handled = tg_dispatch.drain_chat(worker.db, worker.redis, chat_id, _router(worker), worker.invoker.invoke_sync)
    return {"chat_id": chat_id, "handled": handled}


def _router(worker: WorkerState) -> tg_dispatch.Route:
    def function_for(update: dict[str, Any], chat_id: int | None) -> str:
        return route(update, load_state(worker.redis, chat_id) if chat_id is not None else None)

    return function_for
