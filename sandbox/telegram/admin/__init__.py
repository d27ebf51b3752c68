"""The sandbox's own JSON API under ``/_sandbox``: act as users, read chats and calls, wait, reset.

Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": {"code", "message"}}``.
"""

from __future__ import annotations

from aiohttp import web

from . import actions, reads
from .common import CORE_KEY, admin_errors

__all__ = ["CORE_KEY", "add_admin_routes", "admin_errors"]


def add_admin_routes(app: web.Application, prefix: str = "/_sandbox") -> None:
    chat = f"{prefix}/chats/{{chat_id}}"
    app.router.add_routes([
        web.get(prefix, reads.info), web.get(f"{prefix}/", reads.info), web.post(f"{prefix}/reset", reads.reset),
        web.get(f"{prefix}/chats", reads.list_chats), web.get(chat, reads.get_chat),
        web.get(f"{chat}/messages", reads.list_messages), web.get(f"{chat}/calls", reads.list_calls),
        web.get(f"{chat}/feed", reads.feed),
        web.post(f"{chat}/user", actions.set_user), web.post(f"{chat}/messages", actions.send_text),
        web.post(f"{chat}/callback", actions.press_button), web.post(f"{chat}/photos", actions.send_photos),
        web.post(f"{chat}/documents", actions.send_documents), web.post(f"{chat}/pay", actions.pay),
        web.post(f"{chat}/block", actions.block), web.post(f"{chat}/raw", actions.send_fields),
        web.post(f"{prefix}/updates", actions.send_update),
        web.post(f"{prefix}/updates/{{update_id}}/redeliver", actions.redeliver),
        web.get(f"{prefix}/payments", reads.list_payments),
        web.get(f"{prefix}/payments/{{query_id}}", reads.get_payment),
        web.get(f"{prefix}/callback_queries/{{query_id}}", reads.get_callback_query),
        web.get(f"{prefix}/calls", reads.list_calls), web.get(f"{prefix}/updates", reads.list_updates),
        web.get(f"{prefix}/updates/{{update_id}}", reads.get_update), web.get(f"{prefix}/webhook", reads.webhook),
        web.get(f"{prefix}/idle", reads.idle),
        web.get(f"{prefix}/files", reads.list_files), web.get(f"{prefix}/files/{{file_id}}", reads.get_file),
        web.get(f"{prefix}/faults", actions.list_faults), web.post(f"{prefix}/faults", actions.add_fault),
        web.delete(f"{prefix}/faults", actions.clear_faults),
    ])
