"""The bot's profile settings: name, descriptions and the chat menu button (stored, returned as set)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import bad_request
from ..params import Params
from .common import Handler, table

if TYPE_CHECKING:
    from ..core import SandboxCore

_LIMITS = {"name": 64, "description": 512, "short_description": 120}


def _setter(field: str) -> Handler:
    async def set_value(core: SandboxCore, params: Params) -> Any:
        value = params.get_str(field) or ""
        if len(value) > _LIMITS[field]:
            raise bad_request(f"{field.upper()}_INVALID")
        core.state.profile[f"{field}:{params.get_str('language_code') or ''}"] = value
        return True

    return set_value


def _getter(field: str) -> Handler:
    async def get_value(core: SandboxCore, params: Params) -> Any:
        language = params.get_str("language_code") or ""
        value = core.state.profile.get(f"{field}:{language}", core.state.profile.get(f"{field}:", ""))
        if field == "name" and not value:
            value = core.config.bot_first_name
        return {field: value}

    return get_value


async def set_chat_menu_button(core: SandboxCore, params: Params) -> Any:
    button = params.get_json("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse menu button JSON object")
    core.state.profile[f"menu_button:{params.get_int('chat_id') or ''}"] = button
    return True


async def get_chat_menu_button(core: SandboxCore, params: Params) -> Any:
    chat_key = f"menu_button:{params.get_int('chat_id') or ''}"
    return core.state.profile.get(chat_key, core.state.profile.get("menu_button:", {"type": "commands"}))


METHODS = table(("setMyName", _setter("name")), ("getMyName", _getter("name")),
                ("setMyDescription", _setter("description")), ("getMyDescription", _getter("description")),
                ("setMyShortDescription", _setter("short_description")),
                ("getMyShortDescription", _getter("short_description")),
                ("setChatMenuButton", set_chat_menu_button), ("getChatMenuButton", get_chat_menu_button))
