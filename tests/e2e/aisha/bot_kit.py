"""Driving the bot through the stack in tests: users, buttons, waits, ready avatars."""

from __future__ import annotations

import io
import random
import time
from typing import Any

from aisha.models import Avatar, Gender, LedgerKind, TrainingType
from aisha.resources import Resources
from aisha.services import avatars, ledger, photos
from PIL import Image

BOT_TIMEOUT = 40.0  # two cores shared with other test runs


def buttons(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button["callback_data"] for row in rows for button in row if "callback_data" in button]


def bot_messages(stack: Any, chat_id: int) -> list[dict[str, Any]]:
    return [m["message"] for m in stack.chat.messages(chat_id, direction="out")]


def body(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


def wait_for(check: Any, timeout: float = BOT_TIMEOUT, what: str = "it") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_chat(stack: Any, chat_id: int, check: Any, timeout: float = BOT_TIMEOUT, what: str = "it") -> Any:
    """`wait_for` for what the bot does in a chat: between looks it long-polls the chat's feed in the Telegram
    stand-in, which answers as soon as anything there changes. Polling slept through two thirds of the
    waits of the Aisha stack's tests for an answer that had already come."""
    deadline = time.monotonic() + timeout
    rev = stack.chat.feed(chat_id)["rev"]
    while True:
        if value := check():
            return value
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timed out waiting for {what}")
        rev = stack.chat.feed(chat_id, since_rev=rev, wait=min(left, 5.0))["rev"]


def wait_events_settled(stack: Any, timeout: float = BOT_TIMEOUT) -> None:
    """Until the runners' Event queue holds nothing queued, running or waiting to retry: all the asynchronous
    work handed on so far (by answers already received) has finished."""
    from tests.e2e.event_queue import events_settled

    wait_for(lambda: events_settled(stack.env), timeout, "the Event queue to settle")


def wait_button(stack: Any, chat_id: int, data: str, timeout: float = BOT_TIMEOUT) -> dict[str, Any]:
    """The newest bot message that carries a button with this callback data."""
    def find() -> dict[str, Any] | None:
        found = [m for m in bot_messages(stack, chat_id) if data in buttons(m)]
        return max(found, key=lambda m: m["message_id"]) if found else None

    return dict(wait_chat(stack, chat_id, find, timeout, f"a button {data!r} in chat {chat_id}"))


def wait_text(stack: Any, chat_id: int, fragment: str, after: int = 0,
              timeout: float = BOT_TIMEOUT) -> dict[str, Any]:
    """The newest bot message (id > after) whose text or caption contains `fragment`."""
    def find() -> dict[str, Any] | None:
        found = [m for m in bot_messages(stack, chat_id) if m["message_id"] > after and fragment in body(m)]
        return max(found, key=lambda m: m["message_id"]) if found else None

    return dict(wait_chat(stack, chat_id, find, timeout, f"{fragment!r} in chat {chat_id}"))


def last_id(stack: Any, chat_id: int) -> int:
    return max((m["message_id"] for m in stack.chat.messages(chat_id)), default=0)


def press(stack: Any, chat_id: int, data: str) -> dict[str, Any]:
    """Press the button `data` under the newest bot message that has it."""
    message = wait_button(stack, chat_id, data)
    stack.chat.press(chat_id, message["message_id"], data=data)
    return message


def new_user(stack: Any, res: Resources, coins: int = 0, language: str = "ru") -> int:
    """A user who sent /start and saw the menu, with `coins` on the balance."""
    chat_id = random.randint(10**8, 10**9)
    stack.chat.set_user(chat_id, first_name="Ann", language_code=language)
    stack.chat.send_text(chat_id, "/start")
    wait_button(stack, chat_id, "gen:new")
    if coins:
        with res.db.transaction() as conn:
            ledger.credit(conn, chat_id, coins, LedgerKind.TOPUP, reason="test")
    return chat_id


def balance(res: Resources, user_id: int) -> int:
    with res.db.transaction() as conn:
        return ledger.balance(conn, user_id)


def photo(seed: int) -> bytes:
    image = Image.new("RGB", (600, 700), (seed * 7 % 256, seed * 13 % 256, seed * 29 % 256))
    image.putpixel((seed % 600, 1), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return out.getvalue()


def make_avatar(res: Resources, user_id: int, name: str, *, completed: bool = True, photo_count: int = 0,
                status: str | None = None) -> Avatar:
    """An avatar with `photo_count` stored photos; `completed` gives it a LoRA object in the bucket
    (set straight in the database: the training path has its own tests)."""
    with res.db.transaction() as conn:
        avatar = avatars.create(conn, user_id, name, Gender.FEMALE, TrainingType.PORTRAIT)
    for i in range(photo_count):
        with res.db.transaction() as conn:
            photos.add_photo(conn, res.storage, res.settings.s3_bucket_photos, avatar.id, user_id,
                             photo(avatar.id * 31 + i))
    target = "completed" if completed else status
    if target:
        lora_key = f"{user_id}/avatars/{avatar.id}/lora/pytorch_lora_weights.safetensors"
        if target == "completed":
            res.storage.put(res.settings.s3_bucket_loras, lora_key, b"lora-weights", "application/octet-stream")
        with res.db.transaction() as conn:
            conn.execute("UPDATE avatars SET status = %s, lora_key = %s WHERE id = %s",
                         (target, lora_key if target == "completed" else None, avatar.id))
            avatar = avatars.get(conn, avatar.id)
    return avatar


def new_chat(stack: Any, first_name: str = "Ann", language: str = "ru") -> int:
    """A fresh private chat in the Telegram stand-in (nothing sent yet)."""
    chat_id = random.randint(10**8, 10**9)
    stack.chat.set_user(chat_id, first_name=first_name, language_code=language)
    return chat_id


def message(stack: Any, chat_id: int, message_id: int) -> dict[str, Any]:
    """A message of the chat as it is now (edits applied)."""
    return dict(next(m["message"] for m in stack.chat.messages(chat_id) if m["message_id"] == message_id))


def invoke(stack: Any, function: str, payload: bytes = b"{}") -> dict[str, Any]:
    """Run a function once through the runner's Invoke API (as a schedule would) and return its answer."""
    import json

    import boto3

    client = boto3.client("lambda", endpoint_url=stack.url, region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    answer = client.invoke(FunctionName=function, Payload=payload)
    body = json.loads(answer["Payload"].read())
    assert "FunctionError" not in answer, body
    return dict(body)
