"""Text messages, edits, deletions, callback answers, chat actions and the bot's commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import bad_request
from ..params import Params
from .common import bot_message, caption_fields, inline_markup, not_modified, send, table, text_fields

if TYPE_CHECKING:
    from ..core import SandboxCore

_CHAT_ACTIONS = ("typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
                 "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note")


async def get_me(core: SandboxCore, params: Params) -> Any:
    return {**core.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False}


async def send_message(core: SandboxCore, params: Params) -> Any:
    chat_id = params.chat_id()
    text = params.get_str("text", required=True, empty="message text is empty") or ""
    chat = core.chat(chat_id or 0)
    return send(core, chat, text_fields(text, params), params).message


async def edit_message_text(core: SandboxCore, params: Params) -> Any:
    record = bot_message(core, params)
    text = params.get_str("text", required=True, empty="message text is empty") or ""
    if "text" not in record.message:
        raise bad_request("there is no text in the message to edit")
    chat = core.chat(record.chat_id)
    changes = text_fields(text, params)
    removed: tuple[str, ...] = ("entities",) if "entities" not in changes else ()
    return _edit(core, chat, record, params, changes, removed)


async def edit_message_caption(core: SandboxCore, params: Params) -> Any:
    record = bot_message(core, params)
    chat = core.chat(record.chat_id)
    changes = caption_fields(params)
    removed: tuple[str, ...] = tuple(k for k in ("caption", "caption_entities") if k not in changes)
    return _edit(core, chat, record, params, changes, removed)


def _edit(core: SandboxCore, chat: Any, record: Any, params: Params, changes: dict[str, Any],
          removed: tuple[str, ...]) -> Any:
    """Apply an edit with the keyboard it carries (none given: the keyboard goes), as Telegram does;
    an edit that changes nothing is Telegram's "message is not modified"."""
    markup = inline_markup(core, chat, params)
    if markup is not None:
        changes["reply_markup"] = markup
    else:
        removed += ("reply_markup",)
    if _same(record.message, changes, removed):
        raise not_modified()
    core.state.edit_message(record, changes, removed)
    return record.message


async def edit_message_reply_markup(core: SandboxCore, params: Params) -> Any:
    record = bot_message(core, params)
    markup = inline_markup(core, core.chat(record.chat_id), params)
    changes = {"reply_markup": markup} if markup else {}
    removed = () if markup else ("reply_markup",)
    if _same(record.message, changes, removed):
        raise not_modified()
    core.state.edit_message(record, changes, removed)
    return record.message


def _same(message: dict[str, Any], changes: dict[str, Any], removed: tuple[str, ...]) -> bool:
    return all(message.get(k) == v for k, v in changes.items()) and all(k not in message for k in removed)


async def delete_message(core: SandboxCore, params: Params) -> Any:
    core.state.delete_message(bot_message(core, params, editing=False))
    return True


async def delete_messages(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    ids = params.get_json("message_ids", required=True)
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 identifiers")
    for message_id in ids:
        record = chat.messages.get(int(message_id))
        if record is not None and not record.deleted:
            core.state.delete_message(record)
    return True


async def answer_callback_query(core: SandboxCore, params: Params) -> Any:
    query_id = params.get_str("callback_query_id", required=True, empty="query_id is empty") or ""
    query = core.callback_queries.get(query_id)
    if query is None or query.answer is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = params.get_str("text")
    if text and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    query.answer = {"text": text, "show_alert": params.get_bool("show_alert"), "url": params.get_str("url"),
                    "cache_time": params.get_int("cache_time") or 0, "at": core.state.clock()}
    query.answer["rev"] = core.state.touch()
    return True


async def send_chat_action(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    action = params.get_str("action", required=True, empty="action is empty")
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.last_action = {"action": action, "at": core.state.clock(), "rev": core.state.touch()}
    return True


def _commands_key(params: Params) -> str:
    scope = params.get_json("scope") or {"type": "default"}
    kind = scope.get("type", "default") if isinstance(scope, dict) else "default"
    # a chat's (and a chat member's) own list: one per chat, not one for every chat of that scope type
    target = "".join(f"@{scope[k]}" for k in ("chat_id", "user_id") if isinstance(scope, dict) and k in scope)
    return f"{kind}{target}:{params.get_str('language_code') or ''}"


async def set_my_commands(core: SandboxCore, params: Params) -> Any:
    commands = params.get_json("commands", required=True)
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be an Array of at most 100 BotCommand")
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        if not (1 <= len(name) <= 32 and name.replace("_", "").isalnum() and name == name.lower()):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    core.state.commands[_commands_key(params)] = commands
    return True


async def get_my_commands(core: SandboxCore, params: Params) -> Any:
    return core.state.commands.get(_commands_key(params), [])


async def delete_my_commands(core: SandboxCore, params: Params) -> Any:
    core.state.commands.pop(_commands_key(params), None)
    return True


async def get_chat(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    return {**chat.chat(), "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": {
        "unlimited_gifts": True, "limited_gifts": True, "unique_gifts": True, "premium_subscription": True}}


METHODS = table(("getMe", get_me), ("sendMessage", send_message), ("editMessageText", edit_message_text),
                ("editMessageCaption", edit_message_caption), ("editMessageReplyMarkup", edit_message_reply_markup),
                ("deleteMessage", delete_message), ("deleteMessages", delete_messages),
                ("answerCallbackQuery", answer_callback_query), ("sendChatAction", send_chat_action),
                ("setMyCommands", set_my_commands), ("getMyCommands", get_my_commands),
                ("deleteMyCommands", delete_my_commands), ("getChat", get_chat))
