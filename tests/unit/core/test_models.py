from __future__ import annotations

import datetime as dt

import pytest
from aisha.models import FalWebhook, GenerationOutput, LoraTrainingOutput, Preset, TelegramUpdate
from pydantic import ValidationError
from telegram import CallbackQuery, Chat, Message, Update, User


def test_fal_ok_training_payload() -> None:
    hook = FalWebhook.model_validate({
        "request_id": "req-1", "gateway_request_id": "req-1", "status": "OK",
        "payload": {"diffusers_lora_file": {"url": "https://fal.media/l.safetensors", "content_type":
                    "application/octet-stream", "file_name": "l.safetensors", "file_size": 123},
                    "config_file": {"url": "https://fal.media/c.json"}},
    })
    assert hook.succeeded
    output = LoraTrainingOutput.model_validate(hook.payload)
    assert output.diffusers_lora_file.file_size == 123 and output.config_file is not None


def test_fal_error_and_null_payload() -> None:
    failed = FalWebhook.model_validate({"request_id": "r", "status": "ERROR", "error": "Invalid status code: 422",
                                        "payload": {"detail": [{"msg": "bad"}]}})
    assert not failed.succeeded and failed.failure_reason == "Invalid status code: 422"
    unreadable = FalWebhook.model_validate({"request_id": "r", "status": "OK", "payload": None,
                                            "payload_error": "payload too large"})
    assert not unreadable.succeeded and unreadable.failure_reason == "payload too large"


@pytest.mark.parametrize("body", [
    {"status": "OK"},
    {"request_id": "r", "status": "COMPLETED", "payload": {}},
    {"request_id": "", "status": "OK"},
    {"request_id": "r", "status": "OK", "payload": "not an object"},
])
def test_fal_malformed_bodies_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        FalWebhook.model_validate(body)


def test_generation_output_nsfw_flags() -> None:
    output = GenerationOutput.model_validate({
        "images": [{"url": "https://x/1.jpg", "width": 1024, "height": 1024}, {"url": "https://x/2.jpg"}],
        "seed": 42, "has_nsfw_concepts": [False, True],
    })
    assert [output.nsfw(i) for i in range(2)] == [False, True]


def test_presets_have_their_steps() -> None:
    assert [p.steps for p in Preset] == [1000, 2500, 4000]


def test_telegram_update_envelope_from_ptb_objects() -> None:
    user = User(id=777, first_name="Ann", is_bot=False, language_code="ru")
    chat = Chat(id=777, type="private")
    message = Message(message_id=1, date=dt.datetime(2026, 11, 24, tzinfo=dt.UTC), chat=chat, from_user=user,
                      text="/start")
    update = TelegramUpdate.model_validate(Update(update_id=10, message=message).to_dict())
    assert (update.update_id, update.kind, update.chat_id) == (10, "message", 777)
    query = CallbackQuery(id="q1", from_user=user, chat_instance="ci", data="menu", message=message)
    update = TelegramUpdate.model_validate(Update(update_id=11, callback_query=query).to_dict())
    assert (update.kind, update.chat_id) == ("callback_query", 777)
