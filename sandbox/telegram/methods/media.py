"""Photos and documents the bot sends (upload, file_id or URL), albums, and getFile."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import bad_request, too_large
from ..files import NotAnImage, StoredFile, photo_variants
from ..params import Params
from .common import bot_message, inline_markup, reply_fields, send, table, text_fields

if TYPE_CHECKING:
    from ..core import SandboxCore

_WRONG_FILE = "wrong file identifier/HTTP URL specified"


@dataclass(frozen=True)
class _Source:
    data: bytes | None = None
    filename: str | None = None
    content_type: str | None = None
    stored: StoredFile | None = None


async def _source(core: SandboxCore, params: Params, name: str, value: Any) -> _Source:
    """Where the file of a parameter comes from: a multipart part, ``attach://x``, a URL or a file_id."""
    if value in (None, "") and name in params.uploads:
        upload = params.uploads[name]
        return _Source(upload.data, upload.filename, upload.content_type)
    if not isinstance(value, str) or not value:
        raise bad_request(f"there is no {name} in the request")
    if value.startswith("attach://"):
        attached = params.uploads.get(value.removeprefix("attach://"))
        if attached is None:
            raise bad_request(_WRONG_FILE)
        return _Source(attached.data, attached.filename, attached.content_type)
    if value.startswith(("http://", "https://")):
        data, filename, ctype = await core.api.fetch_url(value)
        return _Source(data, filename, ctype)
    stored = core.files.get(value)
    if stored is None:
        raise bad_request(_WRONG_FILE)
    return _Source(stored=stored)


async def _photo_sizes(core: SandboxCore, source: _Source) -> list[dict[str, Any]]:
    if source.stored is not None:
        if source.stored.photo_group is None:
            raise bad_request("can't use file of type Document as Photo")
        return source.stored.photo_group
    data = source.data or b""
    if len(data) > core.config.max_photo_upload_size:
        raise too_large()
    try:  # CPU work off the loop
        variants = await asyncio.to_thread(photo_variants, data)
    except NotAnImage:
        raise bad_request("IMAGE_PROCESS_FAILED") from None
    return core.files.store_photo(variants, origin="bot")


def _document(core: SandboxCore, source: _Source) -> dict[str, Any]:
    if source.stored is not None:
        if source.stored.document is None:
            raise bad_request("can't use file of type Photo as Document")
        return source.stored.document
    return core.files.add_document(source.data or b"", source.filename, source.content_type, origin="bot")


async def send_photo(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    source = await _source(core, params, "photo", params.values.get("photo"))
    fields: dict[str, Any] = {"photo": await _photo_sizes(core, source), **_caption(params)}
    if params.get_bool("has_spoiler"):
        fields["has_media_spoiler"] = True
    return send(core, chat, fields, params).message


async def send_document(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    source = await _source(core, params, "document", params.values.get("document"))
    fields = {"document": _document(core, source), **_caption(params)}
    return send(core, chat, fields, params).message


def _caption(params: Params, item: dict[str, Any] | None = None) -> dict[str, Any]:
    if item is not None:
        caption = item.get("caption")
        if not caption:
            return {}
        sub = Params({"parse_mode": item.get("parse_mode"), "caption_entities": item.get("caption_entities")})
        return text_fields(str(caption), sub, prefix="caption")
    caption = params.get_str("caption")
    return text_fields(caption, params, prefix="caption") if caption else {}


async def send_media_group(core: SandboxCore, params: Params) -> Any:
    chat = core.chat(params.chat_id() or 0)
    media = params.get_json("media", required=True)
    if not isinstance(media, list) or not 2 <= len(media) <= 10:
        raise bad_request("wrong number of media in the album: must be 2-10")
    kinds = {item.get("type") if isinstance(item, dict) else None for item in media}
    if not kinds <= {"photo", "video", "document", "audio"} or None in kinds:
        raise bad_request("can't parse InputMedia: media type is not supported")
    if len(kinds) > 1 and ("document" in kinds or "audio" in kinds):
        raise bad_request(f"{'document' if 'document' in kinds else 'audio'} can't be mixed with other media types")
    built = [await _input_media(core, params, item) for item in media]
    group_id = str(10**17 + secrets.randbelow(9 * 10**17))
    reply = reply_fields(chat, params)
    messages = []
    for fields in built:
        record = core.state.add_message(chat, "out", {**fields, "media_group_id": group_id, **reply}, core.bot_user())
        messages.append(record.message)
    return messages


async def _input_media(core: SandboxCore, params: Params, item: dict[str, Any]) -> dict[str, Any]:
    """The message fields of one InputMedia (photo or document) with its caption."""
    source = await _source(core, params, "media", item.get("media"))
    if item.get("type") == "photo":
        fields: dict[str, Any] = {"photo": await _photo_sizes(core, source)}
    elif item.get("type") == "document":
        fields = {"document": _document(core, source)}
    else:
        raise bad_request(f"{item.get('type')} media is not supported by the sandbox")
    return {**fields, **_caption(params, item)}


async def edit_message_media(core: SandboxCore, params: Params) -> Any:
    record = bot_message(core, params)
    item = params.get_json("media", required=True)
    if not isinstance(item, dict):
        raise bad_request("can't parse InputMedia JSON object")
    if not any(key in record.message for key in ("photo", "document", "video", "animation", "audio")):
        raise bad_request("there is no media in the message to edit")
    changes = await _input_media(core, params, item)
    markup = inline_markup(core, core.chat(record.chat_id), params)
    if markup is not None:
        changes["reply_markup"] = markup
    removed = tuple(k for k in ("photo", "document", "caption", "caption_entities", "reply_markup")
                    if k not in changes)
    core.state.edit_message(record, changes, removed)
    return record.message


async def get_file(core: SandboxCore, params: Params) -> Any:
    file_id = params.get_str("file_id", required=True, empty="file_id is empty") or ""
    stored = core.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    if stored.file_size > core.config.max_download_size:
        raise bad_request("file is too big")
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_size": stored.file_size,
            "file_path": stored.file_path}


METHODS = table(("sendPhoto", send_photo), ("sendDocument", send_document), ("sendMediaGroup", send_media_group),
                ("editMessageMedia", edit_message_media), ("getFile", get_file))
