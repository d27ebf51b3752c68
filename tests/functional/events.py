"""Recorded events (tests/events/*.json) made fresh for one test: new ids, wrapped as API Gateway sends them."""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"
RECORDED_USER = 424242001  # the user and chat id in the recorded Telegram updates


def recorded(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / f"{name}.json").read_text()))


def _replace_ids(node: Any, old: int, new: int) -> Any:
    if isinstance(node, dict):
        return {key: _replace_ids(value, old, new) for key, value in node.items()}
    if isinstance(node, list):
        return [_replace_ids(value, old, new) for value in node]
    return new if node == old and not isinstance(node, bool) else node


def telegram_update(name: str, user_id: int, *, language: str = "en", **fields: Any) -> dict[str, Any]:
    """A recorded update for `user_id` (its private chat), with a fresh update_id; `fields` override
    the keys of the update's payload (message, callback_query, ...), one level deep."""
    update = _replace_ids(recorded(f"telegram_{name}"), RECORDED_USER, user_id)
    update["update_id"] = secrets.randbelow(10**9) + 10**9
    kind = next(key for key in update if key != "update_id")
    update[kind]["from"]["language_code"] = language
    for key, value in fields.items():
        update[kind][key] = value
    return update


def fal_webhook(name: str, request_id: str | None = None) -> bytes:
    """A recorded FAL webhook body with a fresh (or the given) request id, as raw bytes."""
    body = recorded(f"fal_{name}")
    body["request_id"] = body["gateway_request_id"] = request_id or str(uuid.uuid4())
    return json.dumps(body).encode()


def api_gateway_post(path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """The REST (v1) proxy event API Gateway gives a function for POST `path`."""
    event = copy.deepcopy(recorded("apigw_rest_post"))
    event["resource"] = event["path"] = event["requestContext"]["resourcePath"] = path
    event["requestContext"]["path"] = f"/api{path}"
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    merged = {**event["headers"], **headers}
    event["headers"] = merged
    event["multiValueHeaders"] = {key: [value] for key, value in merged.items()}
    event["body"] = body.decode()
    return event
