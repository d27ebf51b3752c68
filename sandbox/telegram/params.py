"""Parameters of a Bot API call, whichever way they came (query, JSON, form, multipart).

python-telegram-bot sends every value as a string (numbers and objects JSON-encoded: ``chat_id=123``,
``reply_markup={"inline_keyboard": ...}``), form-urlencoded, or multipart when files go along; other
clients send a JSON body with native values. The getters here accept both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from .errors import bad_request, too_large

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes

    def info(self) -> dict[str, Any]:
        return {"field": self.field, "filename": self.filename, "content_type": self.content_type,
                "size": len(self.data)}


class Params:
    """Typed access to a call's parameters; missing or malformed ones raise Telegram's 400."""

    def __init__(self, values: dict[str, Any] | None = None, uploads: dict[str, Upload] | None = None) -> None:
        self.values: dict[str, Any] = dict(values or {})
        self.uploads: dict[str, Upload] = dict(uploads or {})

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "") or name in self.uploads

    def get_str(self, name: str, required: bool = False, empty: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(empty or f"{name} is empty")
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def get_int(self, name: str, required: bool = False, empty: str | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(empty or f"{name} is empty")
            return None
        if isinstance(value, bool):
            raise bad_request(f"field \"{name}\" must be of type Integer")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"field \"{name}\" must be of type Integer") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad_request(f"field \"{name}\" must be of type Boolean")

    def get_json(self, name: str, required: bool = False) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self, required: bool = True) -> int | None:
        value = self.values.get("chat_id")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        return self.get_int("chat_id", required=required, empty="chat_id is empty")

    def recorded(self) -> dict[str, Any]:
        """The parameters as recorded for the admin API: JSON strings decoded where they hold objects."""
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    pass
            out[key] = value
        return out


async def read_params(request: web.Request, max_part: int) -> Params:
    """Parse a Bot API request the way Telegram does: query string plus the body, any content type."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.body_exists:
        return Params(values)
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        values.update(body)
    elif ctype == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await _read_part(part, max_part)
            if part.filename is not None:
                ptype = part.headers.get("Content-Type")
                uploads[part.name] = Upload(part.name, part.filename, ptype, data)
            else:
                values[part.name] = data.decode(part.get_charset("utf-8"))
    else:
        form = await request.post()
        values.update({key: value for key, value in form.items() if isinstance(value, str)})
    return Params(values, uploads)


async def _read_part(part: BodyPartReader, max_part: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(1 << 16):
        size += len(chunk)
        if size > max_part:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)
