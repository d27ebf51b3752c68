"""Pieces every sending method shares: the target chat/message, keyboards, replies, text and captions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ..errors import bad_request
from ..formatting import format_text, utf16_len
from ..params import Params
from ..state import ChatRecord, MessageRecord

if TYPE_CHECKING:
    from ..core import SandboxCore

Handler = Callable[["SandboxCore", Params], Awaitable[Any]]
MethodTable = dict[str, tuple[str, Handler]]

_ACTIONS = ("callback_data", "url", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
            "switch_inline_query_chosen_chat", "callback_game", "pay", "web_app", "copy_text")
_URL_SCHEMES = ("http", "https", "tg")


def table(*handlers: tuple[str, Handler]) -> MethodTable:
    return {name.lower(): (name, handler) for name, handler in handlers}


def _check_inline(markup: dict[str, Any]) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("field \"inline_keyboard\" of the InlineKeyboardMarkup must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text must be non-empty")
            actions = [key for key in _ACTIONS if key in button]
            if len(actions) != 1:
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline "
                                  "keyboard")
            if "callback_data" in button and not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and urlsplit(str(button["url"])).scheme not in _URL_SCHEMES:
                raise bad_request("BUTTON_URL_INVALID")


def inline_markup(core: SandboxCore, chat: ChatRecord, params: Params) -> dict[str, Any] | None:
    """The inline keyboard to attach to the message; a reply keyboard goes to the chat instead."""
    markup = params.get_json("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline(markup)
        return markup
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None
    elif "force_reply" not in markup:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return None


def reply_fields(chat: ChatRecord, params: Params) -> dict[str, Any]:
    """``reply_to_message`` from ``reply_parameters`` (PTB 22) or the older ``reply_to_message_id``."""
    reply = params.get_json("reply_parameters")
    allow_missing = params.get_bool("allow_sending_without_reply")
    if isinstance(reply, dict):
        message_id = reply.get("message_id")
        allow_missing = bool(reply.get("allow_sending_without_reply", allow_missing))
    else:
        message_id = params.get_int("reply_to_message_id")
    if message_id is None:
        return {}
    if not isinstance(message_id, int):
        raise bad_request("field \"message_id\" must be of type Integer")
    target = chat.messages.get(message_id)
    if target is None or target.deleted:
        if allow_missing:
            return {}
        raise bad_request("message to be replied not found")
    original = {k: v for k, v in target.message.items() if k != "reply_to_message"}
    return {"reply_to_message": original}


def text_fields(text: str, params: Params, prefix: str = "") -> dict[str, Any]:
    """``text``+``entities`` (or ``caption``+``caption_entities``) after ``parse_mode``."""
    entities_key = "caption_entities" if prefix else "entities"
    plain, entities = format_text(text, params.get_str("parse_mode"), params.get_json(entities_key))
    key = "caption" if prefix else "text"
    limit = 1024 if prefix else 4096
    if utf16_len(plain) > limit:
        raise bad_request("message caption is too long" if prefix else "message is too long")
    if not prefix and not plain.strip():
        raise bad_request("message text is empty")
    fields: dict[str, Any] = {key: plain}
    if entities:
        fields[entities_key] = entities
    return fields


def caption_fields(params: Params) -> dict[str, Any]:
    caption = params.get_str("caption")
    return text_fields(caption, params, prefix="caption") if caption else {}


def send(core: SandboxCore, chat: ChatRecord, fields: dict[str, Any], params: Params) -> MessageRecord:
    """Store a message the bot sends (with its keyboard and reply) and return its record."""
    markup = inline_markup(core, chat, params)
    full = {**fields, **reply_fields(chat, params)}
    if markup is not None:
        full["reply_markup"] = markup
    if params.get_bool("protect_content"):
        full["has_protected_content"] = True
    return core.state.add_message(chat, "out", full, core.bot_user())


def bot_message(core: SandboxCore, params: Params, editing: bool = True) -> MessageRecord:
    """The message a call names by chat_id + message_id, for editing or deleting."""
    if params.has("inline_message_id"):
        raise bad_request("inline message not found")
    chat = core.chat(params.chat_id() or 0)
    message_id = params.get_int("message_id", required=True, empty="message identifier is not specified")
    record = chat.messages.get(message_id or 0)
    verb = "edit" if editing else "delete"
    if record is None or record.deleted:
        raise bad_request(f"message to {verb} not found")
    if editing and record.direction != "out":
        raise bad_request("message can't be edited")
    return record


def not_modified() -> Exception:
    return bad_request("message is not modified: specified new message content and reply markup are exactly the "
                       "same as a current content and reply markup of the message")
